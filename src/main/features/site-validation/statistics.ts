/**
 * Intervals and small-n warnings for site validation (pure; no I/O). Proportions get a Wilson
 * score interval (sensible at small n and near 0 or 1); AUCs and thresholds evaluate's seeded
 * percentile bootstrap over films (`bootstrapInterval`), so the same films give the same figures.
 */
import type { Estimate } from '../../../shared/site-profile';
import { bootstrapInterval, rocAuc } from '../evaluation';

/** Below this many films a figure is never called conclusive. */
export const MIN_N_TO_CONCLUDE = 10;
/** A 95% interval wider than this is too wide to conclude from. */
export const MAX_CONCLUSIVE_WIDTH = 0.2;
const Z95 = 1.959964;

const fixed = (value: number): string => value.toFixed(2);

/** The small-n warning for a figure, in plain words (null when it is conclusive). */
export function smallNWarning(
  n: number,
  low: number | null,
  high: number | null,
  what: string,
): string | null {
  if (n === 0) return `No films for ${what}: nothing to conclude.`;
  if (n < MIN_N_TO_CONCLUDE) return `Only ${n} films for ${what}: too few to conclude.`;
  if (low !== null && high !== null && high - low > MAX_CONCLUSIVE_WIDTH) {
    return `n=${n} is too few to conclude ${what}: the 95% interval spans ${fixed(low)}-${fixed(high)}.`;
  }
  return null;
}

export function wilsonEstimate(successes: number, n: number, what: string): Estimate {
  if (n === 0) {
    return {
      value: null,
      low: null,
      high: null,
      n,
      interval: 'wilson',
      warning: smallNWarning(0, null, null, what),
    };
  }
  const p = successes / n;
  const z2 = Z95 * Z95;
  const centre = (p + z2 / (2 * n)) / (1 + z2 / n);
  const half = (Z95 / (1 + z2 / n)) * Math.sqrt((p * (1 - p)) / n + z2 / (4 * n * n));
  const low = Math.max(0, centre - half);
  const high = Math.min(1, centre + half);
  return { value: p, low, high, n, interval: 'wilson', warning: smallNWarning(n, low, high, what) };
}

/** One-vs-rest AUC with a 95% percentile-bootstrap interval (resamples lacking a class are skipped). */
export function aucEstimate(
  scores: readonly number[],
  positive: readonly boolean[],
  what: string,
): Estimate {
  const value = rocAuc(scores, positive);
  const positives = positive.filter(Boolean).length;
  const n = Math.min(positives, positive.length - positives);
  if (value === null) {
    return {
      value: null,
      low: null,
      high: null,
      n,
      interval: 'bootstrap',
      warning: `${what}: needs films with and without the class.`,
    };
  }
  const films = scores.map((score, i) => ({ score, positive: positive[i] }));
  const { low, high } = bootstrapInterval(films, (sample) =>
    rocAuc(
      sample.map((f) => f.score),
      sample.map((f) => f.positive),
    ),
  );
  // For an AUC the smaller of positives and negatives limits what can be concluded.
  return {
    value,
    low,
    high,
    n,
    interval: 'bootstrap',
    warning: smallNWarning(n, low, high, `${what} (the smaller of positives and negatives)`),
  };
}

/**
 * The highest threshold at which at least `target` of the positives score at or above it:
 * the k-th highest positive score, k = ceil(target * positives). Null without positives.
 */
export function thresholdForSensitivity(
  scores: readonly number[],
  positive: readonly boolean[],
  target: number,
): number | null {
  const positiveScores = scores.filter((_, i) => positive[i]).sort((a, b) => b - a);
  if (positiveScores.length === 0) return null;
  const k = Math.min(
    positiveScores.length,
    Math.max(1, Math.ceil(target * positiveScores.length - 1e-9)),
  );
  return positiveScores[k - 1];
}
