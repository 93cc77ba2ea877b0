/**
 * The honest verdict beside the probabilities: is this a confident call, a coin toss, or a film
 * unlike the training films? One rule, used by the engine for every caller (predict, screen,
 * evaluate, UI, receiver, reports) and by site validation when it replays a site profile.
 */

export type VerdictKind = 'call' | 'uncertain' | 'unfamiliar';

/** How far the film's pooled features lie from the training films (model.json featureStatistics). */
export interface FamiliarityMeasure {
  /** Scaled PCA-Mahalanobis distance (a typical training film is near 1); null when the model has no statistics. */
  distance: number | null;
  /** The manifest's `unfamiliarAbove`; null when the model has no statistics. */
  limit: number | null;
  /** Mean P(lung) inside the segmenter's mask; null without a segmenter. */
  segmenterConfidence: number | null;
  /** Below this the film is unfamiliar; null when the model sets none. */
  minSegmenterConfidence: number | null;
}

/** A site's own operating point (src/shared/site-profile.ts): replaces one label's threshold. */
export interface OperatingPoint {
  /** Name of the site profile this comes from, shown wherever it is in use. */
  profileName: string;
  label: string;
  threshold: number;
}

export interface Verdict {
  kind: VerdictKind;
  /** The label called (`call` only). */
  label: string | null;
  /** Top probability minus the second one. */
  margin: number;
  /** Plain words, e.g. "COVID-19 at 0.91, 0.64 ahead of the next class". */
  reason: string;
  familiarity: FamiliarityMeasure;
  /** Set when a site profile's operating point was applied. */
  operatingPoint: OperatingPoint | null;
}

export interface VerdictRuleInput {
  labels: string[];
  /** Calibrated probabilities in label order. */
  probabilities: number[];
  /** Manifest thresholds per label. */
  thresholds: Record<string, number>;
  /** Minimum top-minus-second margin for a `call`. */
  margin: number;
  familiarity: FamiliarityMeasure;
  operatingPoint?: OperatingPoint | null;
}

/** Used when the manifest has no `verdictRule`. */
export const DEFAULT_VERDICT_MARGIN = 0.2;

const fixed = (value: number): string => value.toFixed(2);

export function isUnfamiliar(measure: FamiliarityMeasure): string | null {
  if (measure.distance !== null && measure.limit !== null && measure.distance > measure.limit) {
    return `unlike the training films (feature distance ${fixed(measure.distance)} > ${fixed(measure.limit)})`;
  }
  if (
    measure.segmenterConfidence !== null &&
    measure.minSegmenterConfidence !== null &&
    measure.segmenterConfidence < measure.minSegmenterConfidence
  ) {
    return `the lung fields were found with low confidence (${fixed(measure.segmenterConfidence)} < ${fixed(measure.minSegmenterConfidence)})`;
  }
  return null;
}

/**
 * 1. `unfamiliar` when the film is unlike the training films (features or segmenter confidence);
 * 2. with an operating point: P(label) >= its threshold -> `call` of that label; otherwise that
 *    label cannot be called and the rule goes on over the others;
 * 3. `call` when the top label reaches its threshold and leads the second by `margin`;
 * 4. otherwise `uncertain`.
 */
export function decideVerdict(input: VerdictRuleInput): Verdict {
  const { labels, probabilities, thresholds, familiarity } = input;
  const operatingPoint = input.operatingPoint ?? null;
  const order = probabilities
    .map((_, index) => index)
    .sort((a, b) => probabilities[b] - probabilities[a]);
  const top = order[0];
  const margin = probabilities[top] - (order.length > 1 ? probabilities[order[1]] : 0);
  const base = { margin, familiarity, operatingPoint };

  const unfamiliar = isUnfamiliar(familiarity);
  if (unfamiliar !== null) {
    return {
      ...base,
      kind: 'unfamiliar',
      label: null,
      reason: `Unfamiliar film: ${unfamiliar}; the scores may not apply.`,
    };
  }

  if (operatingPoint) {
    const index = labels.indexOf(operatingPoint.label);
    if (index >= 0 && probabilities[index] >= operatingPoint.threshold) {
      return {
        ...base,
        kind: 'call',
        label: operatingPoint.label,
        reason: `${operatingPoint.label} at ${fixed(probabilities[index])}, at or above the site threshold ${fixed(operatingPoint.threshold)} (profile "${operatingPoint.profileName}").`,
      };
    }
  }

  const label = labels[top];
  const skipsOperatingLabel = operatingPoint !== null && label === operatingPoint.label;
  const threshold = thresholds[label] ?? 0.5;
  if (!skipsOperatingLabel && probabilities[top] >= threshold && margin >= input.margin) {
    return {
      ...base,
      kind: 'call',
      label,
      reason: `${label} at ${fixed(probabilities[top])}, ${fixed(margin)} ahead of the next class.`,
    };
  }
  const why = skipsOperatingLabel
    ? `${label} leads at ${fixed(probabilities[top])} but is below the site threshold ${fixed(operatingPoint.threshold)}`
    : probabilities[top] < threshold
      ? `no class reaches its threshold (top: ${label} at ${fixed(probabilities[top])} < ${fixed(threshold)})`
      : `${label} leads by only ${fixed(margin)} (a call needs ${fixed(input.margin)})`;
  return { ...base, kind: 'uncertain', label: null, reason: `Uncertain: ${why}.` };
}

/** Plain words for tables, PDF and SR. */
export const VERDICT_WORDS: Record<VerdictKind, string> = {
  call: 'Call',
  uncertain: 'Uncertain',
  unfamiliar: 'Unfamiliar film',
};
