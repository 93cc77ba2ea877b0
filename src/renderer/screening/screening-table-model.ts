/** Sorting, filtering and wording for the screening results (DOM-free). */
import type { ScreeningRow } from '../../shared/screening';
import { compareTriageKeys, covidIndex, triageKey } from '../../shared/triage-order';
import { VERDICT_WORDS, type VerdictKind } from '../../shared/verdict';
import { LEADING_NAME, resultStatement, type ResultStatement } from '../../shared/result-statement';

export { COVID_LABEL, covidIndex } from '../../shared/triage-order';

export type ResultRow = ScreeningRow & { imageId: string | null };

/**
 * 'triage' (src/shared/triage-order.ts) = films that need a look (COVID-19 calls, uncertain,
 * unfamiliar, rows without a verdict) by P(COVID-19) descending, then confident calls of another
 * class likewise, then films the chest gate turned away (not scored), then errors.
 * 'ascending' reverses only the scored rows.
 */
export type SortOrder = 'triage' | 'ascending';

/**
 * 'all', 'errors', 'rejected' (not a frontal chest X-ray), 'verdict:<kind>' (call / uncertain /
 * unfamiliar), or a class label (rows predicted as it).
 */
export type RowFilter = string;

const VERDICT_FILTER_PREFIX = 'verdict:';

export function verdictFilter(kind: VerdictKind): RowFilter {
  return `${VERDICT_FILTER_PREFIX}${kind}`;
}

export function covidProbability(row: ResultRow, labels: string[]): number | null {
  const index = covidIndex(labels);
  if (index < 0 || !row.probabilities) return null;
  return row.probabilities[index] ?? null;
}

export function sortRows(rows: ResultRow[], labels: string[], order: SortOrder): ResultRow[] {
  return rows
    .map((row, position) => ({ row, position, key: triageKey(row, labels) }))
    .sort(
      // Ties (and rows without a probability) keep their original order within their group.
      (a, b) => compareTriageKeys(a.key, b.key, order) || a.position - b.position,
    )
    .map((entry) => entry.row);
}

export function filterRows(rows: ResultRow[], filter: RowFilter): ResultRow[] {
  if (filter === 'all') return rows;
  // Skipped files (not images) are listed with the errors: both are files without a result.
  if (filter === 'errors')
    return rows.filter((row) => row.status === 'error' || row.status === 'skipped');
  if (filter === 'rejected') return rows.filter((row) => row.status === 'rejected');
  if (filter.startsWith(VERDICT_FILTER_PREFIX)) {
    const kind = filter.slice(VERDICT_FILTER_PREFIX.length);
    return rows.filter((row) => row.status === 'ok' && row.verdict?.kind === kind);
  }
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

/** The row's result statement (src/shared/result-statement.ts); null for errors and rows stored before verdicts. */
export function rowStatement(row: ResultRow, labels: readonly string[]): ResultStatement | null {
  const verdict = row.status === 'ok' ? (row.verdict ?? null) : null;
  if (verdict === null || !row.probabilities || row.probabilities.length !== labels.length)
    return null;
  return resultStatement({ labels, probabilities: row.probabilities, verdict });
}

/** The Result cell, verdict first ("Call: COVID-19", "Uncertain: normal or pneumonia", "Unfamiliar film"); '' if none. */
export function verdictCell(row: ResultRow, labels: readonly string[]): string {
  return rowStatement(row, labels)?.headline ?? '';
}

/** Options of the verdict filter, in the order the select lists them. */
export const VERDICT_FILTER_OPTIONS: { value: RowFilter; text: string }[] = (
  ['call', 'uncertain', 'unfamiliar'] as const
).map((kind) => ({ value: verdictFilter(kind), text: `Verdict: ${VERDICT_WORDS[kind]}` }));

/** One cell for lists without a Verdict column (the Inbox): the statement's headline and secondary figure. */
export function resultWords(row: ResultRow, labels: readonly string[]): string {
  if (row.status === 'rejected') return 'Not scored';
  if (row.status !== 'ok') return row.errorCode ?? '';
  const statement = rowStatement(row, labels);
  if (!statement) return row.prediction ? `${LEADING_NAME}: ${row.prediction}` : '';
  return statement.kind === 'call' && statement.statedClass === statement.leading?.label
    ? statement.headline
    : `${statement.headline} (${statement.leading?.text ?? ''})`;
}
