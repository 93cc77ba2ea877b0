/** Screening results as files: triage order, CSV (fixed columns) and JSON. */
import { stringify } from 'csv-stringify/sync';
import { withoutPathPrefix } from '../../../shared/errors';
import type { ScreeningRow } from '../../../shared/screening';
import { compareTriageKeys, triageKey } from '../../../shared/triage-order';
import type { Verdict } from '../../../shared/verdict';

export const CSV_COLUMNS = [
  'path',
  'status',
  'error_code',
  'p_normal',
  'p_pneumonia',
  'p_covid19',
  'prediction',
  'model_id',
  'execution_provider',
  'ms',
  // The verdict (src/shared/verdict.ts), after the older columns so readers by position still work.
  'verdict',
  'verdict_label',
  'verdict_reason',
  'site_profile',
  // Why a row has no result: the chest gate's reason, why a file was skipped, or the error.
  'reason',
] as const;

/** Probability of `label` in a row (null for error rows or a model without that label). */
export function probabilityOf(row: ScreeningRow, labels: string[], label: string): number | null {
  const index = labels.indexOf(label);
  return row.probabilities && index >= 0 ? row.probabilities[index] : null;
}

/**
 * Triage order (src/shared/triage-order.ts): films that need a look (COVID-19 calls, uncertain,
 * unfamiliar) by P(COVID-19) descending, then confident calls of another class likewise, then
 * films the chest gate turned away, then error rows; ties by path.
 */
export function sortForTriage(rows: ScreeningRow[], labels: string[]): ScreeningRow[] {
  return rows
    .map((row) => ({ row, key: triageKey(row, labels) }))
    .sort(
      (a, b) =>
        compareTriageKeys(a.key, b.key) ||
        (a.row.path < b.row.path ? -1 : a.row.path > b.row.path ? 1 : 0),
    )
    .map((entry) => entry.row);
}

/** "<profile> (<label> >= <threshold>)" when a site profile's operating point decided the verdict. */
export function siteProfileCell(verdict: Verdict | null | undefined): string {
  const point = verdict?.operatingPoint;
  return point ? `${point.profileName} (${point.label} >= ${point.threshold})` : '';
}

/** Why a row has no result (empty for scored rows), without the path the row already names. */
export function reasonCell(row: ScreeningRow): string {
  if (row.status === 'ok' || !row.errorMessage) return '';
  return withoutPathPrefix(row.errorMessage, row.path);
}

function formatProbability(value: number | null): string {
  return value === null ? '' : value.toFixed(6);
}

export function rowsToCsv(rows: ScreeningRow[], labels: string[]): string {
  const records = sortForTriage(rows, labels).map((row) => [
    row.path,
    row.status,
    row.errorCode ?? '',
    formatProbability(probabilityOf(row, labels, 'normal')),
    formatProbability(probabilityOf(row, labels, 'pneumonia')),
    formatProbability(probabilityOf(row, labels, 'COVID-19')),
    row.prediction ?? '',
    row.modelId,
    row.executionProvider ?? '',
    row.ms.toFixed(1),
    row.verdict?.kind ?? '',
    row.verdict?.label ?? '',
    row.verdict?.reason ?? '',
    siteProfileCell(row.verdict),
    reasonCell(row),
  ]);
  return stringify(records, { header: true, columns: [...CSV_COLUMNS] });
}

export function rowsToJson(
  rows: ScreeningRow[],
  job: { jobId: string; modelId: string; labels: string[]; folders: string[] },
): string {
  return `${JSON.stringify({ ...job, rows: sortForTriage(rows, job.labels) }, null, 2)}\n`;
}
