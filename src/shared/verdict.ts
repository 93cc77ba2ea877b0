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

/**
 * A site recalibration (src/main/site-validation/recalibration.ts): on the model's own (calibrated)
 * probabilities p, q_c = softmax_c(log p_c / temperature + biases[c]) -- a temperature and a
 * class-prior shift fitted on the clinic's labelled films; biases[0] is fixed at 0.
 */
export interface SiteCalibration {
  method: 'temperature-and-prior-shift' | 'temperature';
  temperature: number;
  /** In label order; all 0 for method 'temperature'. */
  biases: number[];
}

/**
 * A site profile in use (src/shared/site-profile.ts): it may replace one label's threshold, and/or
 * recalibrate the probabilities. Every output that carries a verdict carries this, so it can say
 * which profile shaped the result.
 */
export interface OperatingPoint {
  /** Name of the site profile this comes from, shown wherever it is in use. */
  profileName: string;
  /** The label whose threshold the profile sets; null for a calibration-only profile. */
  label: string | null;
  threshold: number | null;
  /** Applied by the engine after the model's own calibration; outputs then say "site-calibrated (profile ...)". */
  calibration?: SiteCalibration | null;
  /** Set when the profile was saved from too few films (--accept-small-n); shown wherever it is named. */
  smallNWarning?: string | null;
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
  /** Minimum (calibrated) top probability for a `call`; null or absent = only the threshold. */
  minProbability?: number | null;
  familiarity: FamiliarityMeasure;
  operatingPoint?: OperatingPoint | null;
}

/** Used when the manifest has no `verdictRule`. */
export const DEFAULT_VERDICT_MARGIN = 0.2;

const fixed = (value: number): string => value.toFixed(2);

/** A threshold as printed wherever it decides: 3 significant digits (0.0126, 0.500, 0.912). */
export function significant(value: number): string {
  return Number.isFinite(value) ? value.toPrecision(3) : String(value);
}

export function isUnfamiliar(measure: FamiliarityMeasure): string | null {
  if (measure.distance !== null && measure.limit !== null && measure.distance > measure.limit) {
    return `it looks unlike the films the model was trained on (feature distance ${fixed(measure.distance)}, limit ${significant(measure.limit)})`;
  }
  if (
    measure.segmenterConfidence !== null &&
    measure.minSegmenterConfidence !== null &&
    measure.segmenterConfidence < measure.minSegmenterConfidence
  ) {
    return `its lung fields were found with low confidence (${fixed(measure.segmenterConfidence)}, limit ${significant(measure.minSegmenterConfidence)})`;
  }
  return null;
}

/**
 * 1. with an operating point: P(label) >= its threshold -> `call` of that label; otherwise that
 *    label cannot be called and the rule goes on over the others;
 * 2. `call` when the top label reaches its threshold and `minProbability` (when set) and leads the
 *    second by `margin`;
 * 3. `unfamiliar` when the film is unlike the training films (features or segmenter confidence);
 * 4. otherwise `uncertain`.
 * A confident call comes before the familiarity check: on validation, films flagged unlike the
 * training films were right as often as the others (training/compare_trust.ts), so the check is
 * what it measures -- an unusual-looking film -- and a call on such a film carries it as a
 * notice (src/shared/result-statement.ts) instead of being withheld.
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

  const siteThreshold =
    operatingPoint && operatingPoint.label !== null && operatingPoint.threshold !== null
      ? { label: operatingPoint.label, threshold: operatingPoint.threshold }
      : null;
  if (siteThreshold && operatingPoint) {
    const index = labels.indexOf(siteThreshold.label);
    if (index >= 0 && probabilities[index] >= siteThreshold.threshold) {
      return {
        ...base,
        kind: 'call',
        label: siteThreshold.label,
        reason: `${siteThreshold.label} at ${fixed(probabilities[index])}, at or above the site threshold ${significant(siteThreshold.threshold)} (profile "${operatingPoint.profileName}").`,
      };
    }
  }

  const label = labels[top];
  const skipsOperatingLabel = siteThreshold !== null && label === siteThreshold.label;
  const threshold = thresholds[label] ?? 0.5;
  const minProbability = input.minProbability ?? null;
  // The limit on the top probability that decides: the larger of the class threshold and the rule's.
  const needed = Math.max(threshold, minProbability ?? 0);
  if (!skipsOperatingLabel && probabilities[top] >= needed && margin >= input.margin) {
    return {
      ...base,
      kind: 'call',
      label,
      reason:
        minProbability !== null && input.margin === 0
          ? `${label} at ${fixed(probabilities[top])}; a call needs ${significant(needed)}.`
          : `${label} at ${fixed(probabilities[top])}, ${fixed(margin)} ahead of the next class.`,
    };
  }
  const unfamiliar = isUnfamiliar(familiarity);
  if (unfamiliar !== null) {
    return {
      ...base,
      kind: 'unfamiliar',
      label: null,
      // What it measures, not a claim that the scores are wrong (issue 21: such films were as
      // often right as the others).
      reason: `${unfamiliar}.`,
    };
  }

  const why = skipsOperatingLabel
    ? `${label} leads at ${fixed(probabilities[top])} but is below the site threshold ${significant(siteThreshold.threshold)}`
    : probabilities[top] < needed
      ? `${label} leads at ${fixed(probabilities[top])}, below the ${significant(needed)} a call needs`
      : `${label} leads by only ${fixed(margin)} (a call needs ${fixed(input.margin)})`;
  return { ...base, kind: 'uncertain', label: null, reason: `${why}.` };
}

/** Plain words for tables, PDF and SR. */
export const VERDICT_WORDS: Record<VerdictKind, string> = {
  call: 'Call',
  uncertain: 'Uncertain',
  unfamiliar: 'Unfamiliar film',
};
