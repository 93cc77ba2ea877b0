/**
 * Which signal tells a right result from a wrong one (issue 21, item 2): each film's candidate
 * confidence signals (higher = more likely right), their AUROC for right-vs-wrong, the area under
 * the risk-coverage curve (AURC), and the limit on the winning signal at which `call` results are
 * clearly more accurate than all results -- fitted with equal weight per source, so that one
 * large easy source cannot carry the rule. Pure numerics; training/compare_trust.ts and
 * training/fit_trust.ts run the app's pipeline to feed it.
 */
import type { ModelFeatureStatistics, VerdictSignal } from '../../shared/model-manifest';
import { rocAuc } from '../evaluation/metrics';
import { featureDistance, softmax } from './trust';

/** One scored film as the trust fitting sees it. */
export interface MeasuredFilm {
  logits: number[];
  pooled: ArrayLike<number> | null;
  segmenterConfidence: number | null;
  truth: number;
  source: string;
}

/** Signals where higher means "more likely right"; null when the model lacks what it needs. */
export interface FilmSignals {
  maxProbability: number;
  margin: number;
  /** −energy = T·logsumexp(logits/T): higher for films the model is sure of. */
  negativeEnergy: number;
  /** −(feature distance to the training films); null without feature statistics. */
  negativeDistance: number | null;
  /** Mean P(lung) in the segmenter's mask; null without a segmenter. */
  segmenterConfidence: number | null;
}

export const SIGNAL_NAMES = {
  maxProbability: 'calibrated max-probability',
  margin: 'margin (top − second)',
  negativeEnergy: 'energy (−E)',
  negativeDistance: 'feature distance (−d)',
  segmenterConfidence: 'segmenter confidence',
} as const satisfies Record<keyof FilmSignals, string>;

export function signalsOf(
  logits: readonly number[],
  temperature: number,
  stats: ModelFeatureStatistics | null,
  pooled: ArrayLike<number> | null,
  segmenterConfidence: number | null,
): { probabilities: number[]; signals: FilmSignals } {
  const probabilities = softmax(logits, temperature);
  const sorted = [...probabilities].sort((a, b) => b - a);
  const max = Math.max(...logits.map((l) => l / temperature));
  const logSumExp = max + Math.log(logits.reduce((s, l) => s + Math.exp(l / temperature - max), 0));
  return {
    probabilities,
    signals: {
      maxProbability: sorted[0],
      margin: sorted[0] - (sorted[1] ?? 0),
      negativeEnergy: temperature * logSumExp,
      negativeDistance: stats && pooled ? -featureDistance(pooled, stats) : null,
      segmenterConfidence,
    },
  };
}

/**
 * Area under the risk-coverage curve: films taken most-confident first, the error rate among the
 * first k averaged over k = 1..n (lower is better; the error rate itself is the no-signal value,
 * ties are taken as a block so their order cannot flatter the signal).
 */
export function areaUnderRiskCoverage(
  confidence: readonly number[],
  right: readonly boolean[],
): number {
  const n = confidence.length;
  if (n === 0) return Number.NaN;
  const order = confidence.map((_, i) => i).sort((a, b) => confidence[b] - confidence[a]);
  let errors = 0;
  let area = 0;
  for (let i = 0; i < n;) {
    let j = i;
    while (j + 1 < n && confidence[order[j + 1]] === confidence[order[i]]) j++;
    const blockErrors = order.slice(i, j + 1).filter((k) => !right[k]).length;
    // Within a tie block, errors arrive at their mean rate.
    for (let k = i; k <= j; k++) {
      const seen = errors + (blockErrors * (k - i + 1)) / (j - i + 1);
      area += seen / (k + 1);
    }
    errors += blockErrors;
    i = j + 1;
  }
  return area / n;
}

export interface SignalFigures {
  /** Right-vs-wrong AUROC (0.5 = no better than chance); null when all are right or all wrong. */
  auroc: number | null;
  aurc: number;
}

export interface GroupFigures {
  n: number;
  accuracy: number;
  signals: Partial<Record<keyof FilmSignals, SignalFigures>>;
}

/** AUROC and AURC of every available signal on one group of films. */
export function compareSignals(
  films: readonly { signals: FilmSignals; right: boolean }[],
): GroupFigures {
  const right = films.map((f) => f.right);
  const figures: GroupFigures['signals'] = {};
  for (const key of Object.keys(SIGNAL_NAMES) as (keyof FilmSignals)[]) {
    const values = films.map((f) => f.signals[key]);
    if (values.some((v) => v === null)) continue;
    const scores = values as number[];
    figures[key] = { auroc: rocAuc(scores, right), aurc: areaUnderRiskCoverage(scores, right) };
  }
  return {
    n: films.length,
    accuracy: films.length ? right.filter(Boolean).length / films.length : Number.NaN,
    signals: figures,
  };
}

/** Call share and call accuracy at a limit, per source and with equal weight per source. */
export interface LimitFigures {
  limit: number;
  /** Mean over sources of each source's share of films called. */
  coverage: number;
  /** Mean over sources of (call accuracy − accuracy of all films); sources with no call count 0. */
  gain: number;
  /**
   * Mean over sources of the share of errors the limit removes from calls: 1 − call error rate /
   * error rate (0 for a source with no call or no error). A gain of 0.10 at 65% accuracy is 0.29.
   */
  errorReduction: number;
  /** The smallest per-source gain among sources with at least `minSourceFilms` films and a call. */
  worstGain: number;
  perSource: Record<
    string,
    { n: number; calls: number; callAccuracy: number | null; accuracy: number }
  >;
}

export function limitFigures(
  films: readonly { value: number; right: boolean; source: string }[],
  limit: number,
  minSourceFilms: number,
): LimitFigures {
  const bySource = new Map<string, { value: number; right: boolean }[]>();
  for (const film of films) bySource.set(film.source, [...(bySource.get(film.source) ?? []), film]);
  const perSource: LimitFigures['perSource'] = {};
  const counted: { coverage: number; gain: number; errorReduction: number; hasCalls: boolean }[] =
    [];
  for (const [source, group] of [...bySource].sort(([a], [b]) => a.localeCompare(b))) {
    const calls = group.filter((f) => f.value >= limit);
    const accuracy = group.filter((f) => f.right).length / group.length;
    const callAccuracy = calls.length ? calls.filter((f) => f.right).length / calls.length : null;
    perSource[source] = { n: group.length, calls: calls.length, callAccuracy, accuracy };
    if (group.length < minSourceFilms) continue;
    counted.push({
      coverage: calls.length / group.length,
      gain: callAccuracy === null ? 0 : callAccuracy - accuracy,
      errorReduction:
        callAccuracy === null || accuracy === 1 ? 0 : 1 - (1 - callAccuracy) / (1 - accuracy),
      hasCalls: calls.length > 0,
    });
  }
  const mean = (values: number[]): number =>
    values.reduce((s, v) => s + v, 0) / Math.max(1, values.length);
  const withCalls = counted.filter((c) => c.hasCalls);
  return {
    limit,
    coverage: mean(counted.map((c) => c.coverage)),
    gain: mean(counted.map((c) => c.gain)),
    errorReduction: mean(counted.map((c) => c.errorReduction)),
    worstGain: withCalls.length ? Math.min(...withCalls.map((c) => c.gain)) : 0,
    perSource,
  };
}

/**
 * The limit on a signal for `call`: among candidate limits (a grid of 0.005 over the films'
 * range), the lowest one (most calls) at which calls, with equal weight per source, remove at
 * least `targetErrorReduction` of the errors while the equal-weight call share stays at least
 * `minCoverage`; when none does, the limit with the largest error reduction among those meeting
 * the coverage. Error reduction rather than accuracy gain, because a source that is already 95%
 * right cannot gain 0.10 however good the signal. Sources with fewer than `minSourceFilms` films
 * are shown but not weighed.
 */
export function fitCallLimit(
  films: readonly { value: number; right: boolean; source: string }[],
  options: { targetErrorReduction: number; minCoverage: number; minSourceFilms: number },
): LimitFigures & { reachedTarget: boolean } {
  if (films.length === 0) throw new Error('no scored film to fit a call limit on');
  const values = films.map((f) => f.value);
  const low = Math.floor(Math.min(...values) * 200) / 200;
  const high = Math.max(...values);
  const candidates: number[] = [];
  for (let limit = low; limit <= high; limit = Math.round((limit + 0.005) * 1000) / 1000)
    candidates.push(limit);
  const figures = candidates.map((limit) => limitFigures(films, limit, options.minSourceFilms));
  const covering = figures.filter((f) => f.coverage >= options.minCoverage);
  const reached = covering.find((f) => f.errorReduction >= options.targetErrorReduction);
  if (reached) return { ...reached, reachedTarget: true };
  const pool = covering.length > 0 ? covering : figures;
  const best = pool.reduce((a, b) => (b.errorReduction > a.errorReduction ? b : a));
  return { ...best, reachedTarget: false };
}

/** The signal a verdict rule names, from one film's calibrated probabilities. */
export function ruleSignalValue(signal: VerdictSignal, probabilities: readonly number[]): number {
  const sorted = [...probabilities].sort((a, b) => b - a);
  return signal === 'max-probability' ? sorted[0] : sorted[0] - (sorted[1] ?? 0);
}
