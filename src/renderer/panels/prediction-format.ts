/** Wording for the prediction panel (DOM-free). */
import type { ModelCalibration } from '../../shared/model-manifest';
import type { RejectedFilm, ScoredFilm } from '../../shared/analysis';
import { VERDICT_WORDS, type OperatingPoint, type Verdict } from '../../shared/verdict';

export function formatPercent(probability: number): string {
  const percent = probability * 100;
  return `${percent < 10 ? percent.toFixed(1) : Math.round(percent)}%`;
}

/** One decimal always: the triage table must show small differences between rows. */
export function formatPercentFine(probability: number): string {
  return `${(probability * 100).toFixed(1)}%`;
}

export function thresholdSentence(result: ScoredFilm): string {
  const threshold = formatPercent(result.threshold);
  return result.thresholdStatus === 'above-threshold'
    ? `Above the model's decision threshold (${threshold}).`
    : `Below the model's decision threshold (${threshold}): no confident finding.`;
}

export function timingSentence(result: ScoredFilm): string {
  const t = result.timing;
  const parts = [
    `decode ${Math.round(t.decodeMs)}`,
    // Only models with a segmenter spend time on the lungs.
    t.segmentMs > 0 ? `lungs ${Math.round(t.segmentMs)}` : '',
    `prepare ${Math.round(t.preprocessMs)}`,
    `model ${Math.round(t.inferenceMs)}`,
    `heatmap ${Math.round(t.heatmapMs)}`,
  ];
  return `${Math.round(t.totalMs)} ms (${parts.filter(Boolean).join(', ')})`;
}

/** Plain words for a film the chest gate turned away (no score was made). */
export function rejectionSentences(film: RejectedFilm): { headline: string; reason: string } {
  const by =
    film.gate.decidedBy === 'header'
      ? 'from the DICOM header'
      : film.gate.decidedBy === 'segmenter'
        ? 'from the lung fields the segmenter found'
        : '';
  return {
    headline:
      'Not scored: this image is not a frontal chest X-ray, so the AI model was not applied. You can still view it.',
    reason: `Reason${by ? ` (${by})` : ''}: ${(film.gate.reason ?? 'the chest check turned it away').replace(/\.$/, '')}.`,
  };
}

const PROVIDER_NAMES: Record<string, string> = {
  cpu: 'CPU',
  cuda: 'NVIDIA CUDA',
  dml: 'DirectML',
  coreml: 'Core ML',
  webgpu: 'WebGPU',
};

export function providerName(provider: string): string {
  return PROVIDER_NAMES[provider] ?? provider;
}

const RADIOGRAPH_MODALITIES = new Set(['CR', 'DX', 'DR', 'RG']);

/** A caution when the image is plainly not a radiograph (the model was made for chest X-rays). */
export function modalityCaution(sourceKind: string, modality: string | undefined): string | null {
  if (sourceKind !== 'dicom' || !modality || RADIOGRAPH_MODALITIES.has(modality)) return null;
  return `Modality ${modality}: not a chest radiograph. The model was made for chest X-rays, so its opinion here means nothing.`;
}

/** What the panel says about the verdict: a headline, the rule's reason, and what to make of it. */
export interface VerdictWording {
  /** "Call: COVID-19", "Uncertain" or "Unfamiliar film". */
  headline: string;
  /** The rule's reason without the repeated kind, e.g. "normal leads by only 0.10 (a call needs 0.20)." */
  reason: string;
  /** How to read it. */
  advice: string;
}

const VERDICT_ADVICE: Record<Verdict['kind'], string> = {
  call: 'The top class is above its threshold and clearly ahead of the others.',
  uncertain: 'No class is clearly ahead: treat the scores as a coin toss, not a finding.',
  unfamiliar:
    'This film is unlike the films the model was trained on: its scores may not apply here.',
};

export function verdictWording(verdict: Verdict): VerdictWording {
  const words = VERDICT_WORDS[verdict.kind];
  const headline = verdict.kind === 'call' && verdict.label ? `${words}: ${verdict.label}` : words;
  // decideVerdict starts uncertain/unfamiliar reasons with the kind; the headline already says it.
  const withoutKind = verdict.reason.startsWith(`${words}: `)
    ? verdict.reason.slice(words.length + 2)
    : verdict.reason;
  const reason = withoutKind.charAt(0).toUpperCase() + withoutKind.slice(1);
  // Under a site profile, its label is called only by the site's threshold (decideVerdict).
  const bySiteThreshold =
    verdict.kind === 'call' && verdict.operatingPoint?.label === verdict.label;
  const advice = bySiteThreshold
    ? 'Called by the site profile’s own threshold, not the model’s: this class need not have the highest probability.'
    : VERDICT_ADVICE[verdict.kind];
  return { headline, reason, advice };
}

/**
 * Whether the probabilities are calibrated. `undefined` (an engine that does not say) reads as
 * uncalibrated: the panel never claims a calibration it cannot name. `detail` stays one line;
 * `fittedOn` is the manifest's whole account (shown on hover).
 */
export function calibrationWording(calibration: ModelCalibration | null | undefined): {
  short: string;
  detail: string;
  fittedOn: string | null;
} {
  if (!calibration) {
    return {
      short: 'uncalibrated',
      detail:
        'Uncalibrated: the model carries no calibration, so 70% does not mean right 7 times in 10.',
      fittedOn: null,
    };
  }
  // The first clause of the account (which films), e.g. "1167 labelled films from train.csv".
  const firstClause = calibration.fitted_on.split(/\s\(|[,;.]\s/)[0].trim();
  const brief = firstClause.length > 90 ? `${firstClause.slice(0, 89)}…` : firstClause;
  return {
    short: `calibrated (temperature ${calibration.temperature.toFixed(2)})`,
    detail: `Temperature scaling, T = ${calibration.temperature.toFixed(2)}, fitted on ${brief}.`,
    fittedOn: calibration.fitted_on,
  };
}

/** The site profile in use, named, with the threshold it sets; null when none is. */
export function siteProfileSentence(point: OperatingPoint | null | undefined): string | null {
  if (!point) return null;
  const threshold =
    point.label !== null && point.threshold !== null
      ? ` ${point.label} is called at or above ${formatPercentFine(point.threshold)} (the site’s own threshold).`
      : '';
  const calibrated = point.calibration ? ` Site-calibrated (profile “${point.profileName}”).` : '';
  const warning = point.smallNWarning ? ` ${point.smallNWarning}` : '';
  return `Site profile “${point.profileName}”:${threshold}${calibrated}${warning}`;
}
