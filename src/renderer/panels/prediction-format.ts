/** Wording for the prediction panel (DOM-free). */
import type { ModelCalibration } from '../../shared/model-manifest';
import type { RejectedFilm, ScoredFilm } from '../../shared/analysis';
import type { OperatingPoint } from '../../shared/verdict';

export function formatPercent(probability: number): string {
  const percent = probability * 100;
  return `${percent < 10 ? percent.toFixed(1) : Math.round(percent)}%`;
}

/** One decimal always: the triage table must show small differences between rows. */
export function formatPercentFine(probability: number): string {
  return `${(probability * 100).toFixed(1)}%`;
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

/**
 * Whether the probabilities are calibrated, and by whom. `undefined` (an engine that does not
 * say) reads as uncalibrated: the panel never claims a calibration it cannot name. No training
 * file names or fitting figures here: the model card has them.
 */
export function calibrationWording(
  calibration: ModelCalibration | null | undefined,
  point?: OperatingPoint | null,
): { short: string; detail: string } {
  const site = point?.calibration
    ? ` Then site-calibrated on the clinic’s own films (profile “${point.profileName}”).`
    : '';
  if (!calibration) {
    return {
      short: point?.calibration
        ? `site-calibrated (profile “${point.profileName}”)`
        : 'uncalibrated',
      detail: `Uncalibrated by the model: 70% does not mean right 7 times in 10.${site}`,
    };
  }
  return {
    short: point?.calibration
      ? `site-calibrated (profile “${point.profileName}”)`
      : `calibrated (temperature ${calibration.temperature.toFixed(2)})`,
    detail: `Temperature scaling, T = ${calibration.temperature.toFixed(2)} (see the model card).${site}`,
  };
}
