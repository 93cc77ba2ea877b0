/** Sorting, filtering and wording for the screening results (DOM-free). */
import type { ScreeningRow } from '../../shared/screening';

export type ResultRow = ScreeningRow & { imageId: string | null };

/**
 * 'triage' = P(COVID-19) descending, then films the chest gate turned away (not scored), then
 * errors. 'ascending' reverses only the scored rows.
 */
export type SortOrder = 'triage' | 'ascending';

/** 'all', 'errors', 'rejected' (not a frontal chest X-ray), or a class label (rows predicted as it). */
export type RowFilter = string;

export const COVID_LABEL = 'COVID-19';

export function covidIndex(labels: string[]): number {
  const exact = labels.indexOf(COVID_LABEL);
  if (exact >= 0) return exact;
  return labels.findIndex((label) => /covid/i.test(label));
}

export function covidProbability(row: ResultRow, labels: string[]): number | null {
  const index = covidIndex(labels);
  if (index < 0 || !row.probabilities) return null;
  return row.probabilities[index] ?? null;
}

/** Scored rows first, then rejected films, then errors (and anything else without a score). */
function rankOf(row: ResultRow, p: number | null): number {
  if (p !== null) return 0;
  return row.status === 'rejected' ? 1 : 2;
}

export function sortRows(rows: ResultRow[], labels: string[], order: SortOrder): ResultRow[] {
  const keyed = rows.map((row, position) => {
    const p = covidProbability(row, labels);
    return { row, position, p, rank: rankOf(row, p) };
  });
  keyed.sort((a, b) => {
    // Rows without a probability keep their original order within their group.
    if (a.rank !== b.rank) return a.rank - b.rank;
    if (a.p === null || b.p === null) return a.position - b.position;
    const difference = order === 'triage' ? b.p - a.p : a.p - b.p;
    return difference !== 0 ? difference : a.position - b.position;
  });
  return keyed.map((entry) => entry.row);
}

export function filterRows(rows: ResultRow[], filter: RowFilter): ResultRow[] {
  if (filter === 'all') return rows;
  if (filter === 'errors') return rows.filter((row) => row.status === 'error');
  if (filter === 'rejected') return rows.filter((row) => row.status === 'rejected');
  return rows.filter((row) => row.status === 'ok' && row.prediction === filter);
}

export function fileName(path: string): string {
  const parts = path.split(/[\\/]/);
  return parts[parts.length - 1] || path;
}

export function formatEta(seconds: number | null): string {
  if (seconds === null || !Number.isFinite(seconds)) return 'estimating…';
  if (seconds < 1) return 'less than a second';
  if (seconds < 60) return `${Math.round(seconds)} s`;
  const minutes = Math.floor(seconds / 60);
  const rest = Math.round(seconds % 60);
  if (minutes < 60) return `${minutes} min ${rest} s`;
  return `${Math.floor(minutes / 60)} h ${minutes % 60} min`;
}

export function formatRate(ratePerSecond: number): string {
  if (!Number.isFinite(ratePerSecond) || ratePerSecond <= 0) return '—';
  return ratePerSecond >= 10
    ? `${Math.round(ratePerSecond)} images/s`
    : `${ratePerSecond.toFixed(1)} images/s`;
}

/** The Notes cell of a rejected row: what it is, and the gate's reason. */
export function rejectedNote(row: ResultRow): string {
  const reason = row.errorMessage?.trim().replace(/\.$/, '');
  return `Not a frontal chest X-ray${reason ? `: ${reason}` : ''}. Not scored.`;
}
