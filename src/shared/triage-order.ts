/**
 * The one triage order of screening results, used by the screening table and by the CSV/JSON
 * exports. Groups, in this order:
 *   0. scored films that need a reader's look: a confident COVID-19 call, an `uncertain` or an
 *      `unfamiliar` film, or a row stored without a verdict;
 *   1. scored films the model confidently calls another class (e.g. a confident normal);
 *   2. films the chest gate turned away (not scored);
 *   3. errors (and anything else without a score).
 * Within groups 0 and 1: P(COVID-19) descending. So an `uncertain` film with a high P(COVID-19)
 * always comes before a confident normal, whatever the normal's P(COVID-19).
 */
import type { ScreeningRow } from './screening';

export const COVID_LABEL = 'COVID-19';

/** Index of the COVID-19 class ('COVID-19', else the first label naming covid; -1 if none). */
export function covidIndex(labels: string[]): number {
  const exact = labels.indexOf(COVID_LABEL);
  if (exact >= 0) return exact;
  return labels.findIndex((label) => /covid/i.test(label));
}

export type TriageGroup = 0 | 1 | 2 | 3;

export interface TriageKey {
  group: TriageGroup;
  /** P(COVID-19) for scored rows of a model with that class; null otherwise. */
  covidProbability: number | null;
}

export function triageKey(
  row: Pick<ScreeningRow, 'status' | 'probabilities' | 'verdict'>,
  labels: string[],
): TriageKey {
  const index = covidIndex(labels);
  const p = index >= 0 && row.probabilities ? (row.probabilities[index] ?? null) : null;
  if (row.status === 'ok' && p !== null) {
    const verdict = row.verdict ?? null;
    const confidentOther =
      verdict !== null && verdict.kind === 'call' && verdict.label !== labels[index];
    return { group: confidentOther ? 1 : 0, covidProbability: p };
  }
  return { group: row.status === 'rejected' ? 2 : 3, covidProbability: null };
}

/**
 * Compares two keys in triage order (negative: `a` first). 'ascending' is the exact reverse over
 * the scored groups (least urgent first); rejected rows and errors stay last. Ties return 0 so each
 * caller keeps its own tie-break (path, or the order the rows arrived in).
 */
export function compareTriageKeys(
  a: TriageKey,
  b: TriageKey,
  order: 'triage' | 'ascending' = 'triage',
): number {
  const scoredA = a.group <= 1;
  const scoredB = b.group <= 1;
  if (!scoredA || !scoredB) return a.group - b.group;
  const sign = order === 'triage' ? 1 : -1;
  if (a.group !== b.group) return sign * (a.group - b.group);
  return sign * ((b.covidProbability ?? 0) - (a.covidProbability ?? 0));
}
