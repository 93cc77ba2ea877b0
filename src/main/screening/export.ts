/** Screening results as files: triage order, CSV (fixed columns) and JSON. */
import { stringify } from 'csv-stringify/sync';
import { withoutPathPrefix } from '../../shared/errors';
import type { ScreeningRow } from '../../shared/screening';
import { compareTriageKeys, triageKey } from '../../shared/triage-order';
import { significant, type Verdict } from '../../shared/verdict';
import { resultStatement, type ResultStatement } from '../../shared/result-statement';

export const CSV_COLUMNS = [
  'path',
  'status',
  'error_code',
  'p_normal',
  'p_pneumonia',
  'p_covid19',
  // The result statement's words (src/shared/result-statement.ts): the called class, or
  // "uncertain" / "unfamiliar" / "not scored" -- never the leading class of an undecided film.
  'result',
  'model_id',
  'execution_provider',
  'ms',
  // The verdict (src/shared/verdict.ts), after the older columns so readers by position still work.
  'verdict',
  // The secondary figure, under its one name.
  'highest_probability_class',
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

/**
 * "<profile> (<label> >= <threshold>; site-calibrated; <warning>)" when a site profile was in use
 * for the row, thresholds with 3 significant digits; '' otherwise.
 */
export function siteProfileCell(verdict: Verdict | null | undefined): string {
  const point = verdict?.operatingPoint;
  if (!point) return '';
  const parts = [
    ...(point.label !== null && point.threshold !== null
      ? [`${point.label} >= ${significant(point.threshold)}`]
      : []),
    ...(point.calibration ? ['site-calibrated'] : []),
    ...(point.smallNWarning ? [point.smallNWarning] : []),
  ];
  return parts.length ? `${point.profileName} (${parts.join('; ')})` : point.profileName;
}

/** The result statement of a row; null for rows with nothing to state (errors, rows stored before verdicts). */
export function rowStatement(row: ScreeningRow, labels: string[]): ResultStatement | null {
  if (row.status === 'rejected') {
    return resultStatement({ status: 'rejected', gate: { reason: row.errorMessage } });
  }
  if (row.status !== 'ok' || !row.verdict || !row.probabilities) return null;
  return resultStatement({ labels, probabilities: row.probabilities, verdict: row.verdict });
}

/** The CSV's `result` cell: the called class, "uncertain", "unfamiliar" or "not scored". */
export function resultCell(statement: ResultStatement | null): string {
  if (!statement) return '';
  return statement.coded.kind === 'class'
    ? statement.coded.label
    : statement.coded.kind.replace('-', ' ');
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
  const records = sortForTriage(rows, labels).map((row) => {
    const statement = rowStatement(row, labels);
    return [
      row.path,
      row.status,
      row.errorCode ?? '',
      formatProbability(probabilityOf(row, labels, 'normal')),
      formatProbability(probabilityOf(row, labels, 'pneumonia')),
      formatProbability(probabilityOf(row, labels, 'COVID-19')),
      resultCell(statement),
      row.modelId,
      row.executionProvider ?? '',
      row.ms.toFixed(1),
      row.verdict?.kind ?? '',
      statement?.leading?.label ?? (row.status === 'ok' ? (row.prediction ?? '') : ''),
      // The gate's or the error's reason goes in `reason`, once.
      row.status === 'ok' ? (statement?.reason ?? '') : '',
      siteProfileCell(row.verdict),
      reasonCell(row),
    ];
  });
  return stringify(records, { header: true, columns: [...CSV_COLUMNS] });
}

export function rowsToJson(
  rows: ScreeningRow[],
  job: { jobId: string; modelId: string; labels: string[]; folders: string[] },
): string {
  // Each row leads with its statement; the leading class keeps its one name, not "prediction".
  const described = sortForTriage(rows, job.labels).map((row) => {
    const { path, prediction, ...rest } = row;
    const statement = rowStatement(row, job.labels);
    return {
      path,
      result: statement ? { ...statement, code: resultCell(statement) } : null,
      highestProbabilityClass: prediction,
      ...rest,
    };
  });
  return `${JSON.stringify({ ...job, rows: described }, null, 2)}\n`;
}
