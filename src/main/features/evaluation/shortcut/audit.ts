/**
 * Shortcut audit for `evaluate`: the no-anatomy baseline's figures on the same images as the
 * model, and the framing probe (how much P(COVID-19) moves under framing changes that carry no
 * anatomy, on images whose truth is not COVID-19).
 */
import type { GrayImage, InferenceEngine } from '../../../platform/inference';
import { argmax, computeMetrics, rocAuc } from '../../../base/metrics';
import { type ShortcutBaseline, predictShortcut } from './baseline';
import { FRAMING_TRANSFORMS, type FramingTransform, applyFramingTransform } from './framing';

export const COVID_LABEL = 'COVID-19';

export interface ShortcutBaselineFigures {
  n: number;
  accuracy: number | null;
  /** Accuracy at naming the image's source (sources it never saw count as wrong). */
  source_accuracy: number | null;
  per_class: Record<string, { sensitivity: number | null; ppv: number | null }>;
  covid_auc: number | null;
  trained_on: string;
  command: string;
}

export interface ShortcutSample {
  truth: string;
  source: string;
  features: number[];
}

export function shortcutBaselineFigures(
  baseline: ShortcutBaseline,
  samples: readonly ShortcutSample[],
): ShortcutBaselineFigures {
  const predictions = samples.map((s) => predictShortcut(baseline, s.features));
  const metrics = computeMetrics(
    samples.map((s, i) => ({
      truth: s.truth,
      source: s.source,
      probabilities: predictions[i].labelProbabilities,
    })),
    baseline.labels,
  );
  const covidIndex = baseline.labels.indexOf(COVID_LABEL);
  const perClass: ShortcutBaselineFigures['per_class'] = {};
  for (const label of baseline.labels) {
    perClass[label] = {
      sensitivity: metrics.per_class[label].sensitivity,
      ppv: metrics.per_class[label].ppv,
    };
  }
  const sourceHits = predictions.filter((p, i) => p.predictedSource === samples[i].source).length;
  return {
    n: samples.length,
    accuracy: metrics.accuracy,
    source_accuracy: samples.length > 0 ? sourceHits / samples.length : null,
    per_class: perClass,
    covid_auc:
      covidIndex < 0
        ? null
        : rocAuc(
            predictions.map((p) => p.labelProbabilities[covidIndex]),
            samples.map((s) => s.truth === COVID_LABEL),
          ),
    trained_on: baseline.trained_on,
    command: baseline.command,
  };
}

export interface ProbeFigures {
  n: number;
  /** Mean of P(COVID-19 | transformed) - P(COVID-19 | original). */
  mean_delta_p_covid: number | null;
  /** Images whose predicted label changed. */
  label_changes: number;
  /** Transformed films the chest gate turned away (not in n). */
  rejected: number;
}

/** Accumulates the framing probe over the images it is given. */
export class FramingProbe {
  private readonly sums = new Map<
    FramingTransform,
    { n: number; delta: number; changes: number; rejected: number }
  >();
  private readonly covidIndex: number;

  constructor(private readonly engine: InferenceEngine) {
    this.covidIndex = engine.manifest.labels.indexOf(COVID_LABEL);
    for (const t of FRAMING_TRANSFORMS)
      this.sums.set(t, { n: 0, delta: 0, changes: 0, rejected: 0 });
  }

  /** Probes one image, given the model's probabilities on the untouched image. */
  async add(gray: GrayImage, original: number[]): Promise<void> {
    const originalLabel = argmax(original);
    for (const transform of FRAMING_TRANSFORMS) {
      const framed = applyFramingTransform(gray, transform);
      // The whole pipeline again: a lung-crop model re-segments the reframed film.
      const outcome = await this.engine.analyse({ gray: framed }, { heatmaps: false });
      const sum = this.sums.get(transform) as {
        n: number;
        delta: number;
        changes: number;
        rejected: number;
      };
      if (outcome.status === 'rejected') {
        sum.rejected += 1;
        continue;
      }
      const { probabilities } = outcome;
      sum.n += 1;
      if (this.covidIndex >= 0)
        sum.delta += probabilities[this.covidIndex] - original[this.covidIndex];
      if (argmax(probabilities) !== originalLabel) sum.changes += 1;
    }
  }

  figures(): Record<FramingTransform, ProbeFigures> {
    const out = {} as Record<FramingTransform, ProbeFigures>;
    for (const [transform, sum] of this.sums) {
      out[transform] = {
        n: sum.n,
        mean_delta_p_covid: sum.n > 0 && this.covidIndex >= 0 ? sum.delta / sum.n : null,
        label_changes: sum.changes,
        rejected: sum.rejected,
      };
    }
    return out;
  }
}
