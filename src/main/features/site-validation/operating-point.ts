/**
 * Choosing a site operating point: the threshold of one label that reaches a target sensitivity
 * on the site's own scored films, with the threshold's bootstrap interval and the sensitivity,
 * specificity and PPV there (each with its n and a small-n warning). Pure; no I/O.
 */
import type { SiteOperatingPointChoice } from '../../../shared/site-profile';
import { bootstrapInterval } from '../evaluation';
import { smallNWarning, thresholdForSensitivity, wilsonEstimate } from './statistics';

/** One scored film as the choice needs it. */
export interface ScoredFilm {
  truth: string;
  /** Calibrated probabilities in label order. */
  probabilities: number[];
  /** The engine's verdict kind, when it gave one. */
  verdict: 'call' | 'uncertain' | 'unfamiliar' | null;
}

export function chooseOperatingPoint(
  films: readonly ScoredFilm[],
  labels: readonly string[],
  label: string,
  targetSensitivity: number,
  defaultThreshold: number,
): SiteOperatingPointChoice | null {
  const index = labels.indexOf(label);
  if (index < 0) return null;
  const scores = films.map((f) => f.probabilities[index]);
  const positive = films.map((f) => f.truth === label);
  const threshold = thresholdForSensitivity(scores, positive, targetSensitivity);
  if (threshold === null) return null;

  const at = (t: number) => {
    let tp = 0;
    let fn = 0;
    let fp = 0;
    let tn = 0;
    scores.forEach((s, i) => {
      if (positive[i]) {
        if (s >= t) tp++;
        else fn++;
      } else if (s >= t) fp++;
      else tn++;
    });
    return {
      sensitivity: wilsonEstimate(tp, tp + fn, `${label} sensitivity`),
      specificity: wilsonEstimate(tn, tn + fp, `${label} specificity`),
      ppv: wilsonEstimate(tp, tp + fp, `${label} PPV`),
    };
  };
  const chosen = at(threshold);
  const pairs = scores.map((score, i) => ({ score, positive: positive[i] }));
  const interval = bootstrapInterval(pairs, (sample) =>
    thresholdForSensitivity(
      sample.map((f) => f.score),
      sample.map((f) => f.positive),
      targetSensitivity,
    ),
  );
  const thresholdInterval =
    interval.low !== null && interval.high !== null
      ? { low: interval.low, high: interval.high }
      : null;
  const positives = positive.filter(Boolean).length;
  const negatives = films.length - positives;
  const warnings: string[] = [];
  const thresholdWarning = smallNWarning(
    positives,
    thresholdInterval?.low ?? null,
    thresholdInterval?.high ?? null,
    `the ${label} threshold (positives)`,
  );
  if (thresholdWarning) warnings.push(thresholdWarning);
  for (const estimate of [chosen.sensitivity, chosen.specificity, chosen.ppv]) {
    if (estimate.warning) warnings.push(estimate.warning);
  }
  const unfamiliar = films.filter((f) => f.verdict === 'unfamiliar').length;
  if (unfamiliar > 0) {
    warnings.push(
      `${unfamiliar} of these films are unfamiliar to the model; an unfamiliar film is never called, whatever the threshold.`,
    );
  }
  const atDefault = at(defaultThreshold);
  return {
    label,
    targetSensitivity,
    threshold,
    thresholdInterval,
    ...chosen,
    defaultThreshold,
    atDefault: { sensitivity: atDefault.sensitivity, specificity: atDefault.specificity },
    positives,
    negatives,
    warnings,
  };
}
