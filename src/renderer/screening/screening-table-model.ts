/** Sorting, filtering and wording for the screening results (DOM-free). */
import type { ScreeningRow } from '../../shared/screening';

export type ResultRow = ScreeningRow & { imageId: string | null };

/** 'triage' = P(COVID-19) descending, errors last (the order main returns). */
export type SortOrder = 'triage' | 'ascending';

/** 'all', 'errors', or a class label (rows predicted as that class). */
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

export function sortRows(rows: ResultRow[], labels: string[], order: SortOrder): ResultRow[] {
  const keyed = rows.map((row, position) => ({ row, position, p: covidProbability(row, labels) }));
  keyed.sort((a, b) => {
    // Errors (no probability) always go last, in their original order.
    if (a.p === null || b.p === null) {
      if (a.p === null && b.p === null) return a.position - b.position;
      return a.p === null ? 1 : -1;
    }
    const difference = order === 'triage' ? b.p - a.p : a.p - b.p;
    return difference !== 0 ? difference : a.position - b.position;
  });
  return keyed.map((entry) => entry.row);
}

export function filterRows(rows: ResultRow[], filter: RowFilter): ResultRow[] {
  if (filter === 'all') return rows;
  if (filter === 'errors') return rows.filter((row) => row.status === 'error');
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
