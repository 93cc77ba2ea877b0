/** Screening results as files: triage order, CSV (fixed columns) and JSON. */
import { stringify } from 'csv-stringify/sync';
import type { ScreeningRow } from '../../shared/screening';

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
] as const;

/** Probability of `label` in a row (null for error rows or a model without that label). */
export function probabilityOf(row: ScreeningRow, labels: string[], label: string): number | null {
  const index = labels.indexOf(label);
  return row.probabilities && index >= 0 ? row.probabilities[index] : null;
}

/**
 * Triage order: P(COVID-19) descending, then path; then films the chest gate turned away, then
 * error rows (each by path).
 */
export function sortForTriage(rows: ScreeningRow[], labels: string[]): ScreeningRow[] {
  const score = (row: ScreeningRow): number =>
    row.status === 'ok'
      ? (probabilityOf(row, labels, 'COVID-19') ?? -1)
      : row.status === 'rejected'
        ? -2
        : -3;
  return [...rows].sort(
    (a, b) => score(b) - score(a) || (a.path < b.path ? -1 : a.path > b.path ? 1 : 0),
  );
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
  ]);
  return stringify(records, { header: true, columns: [...CSV_COLUMNS] });
}

export function rowsToJson(
  rows: ScreeningRow[],
  job: { jobId: string; modelId: string; labels: string[]; folders: string[] },
): string {
  return `${JSON.stringify({ ...job, rows: sortForTriage(rows, job.labels) }, null, 2)}\n`;
}
