/** Wording for the prediction panel (DOM-free). */
import type { PredictionResult } from '../../shared/prediction';

export function formatPercent(probability: number): string {
  const percent = probability * 100;
  return `${percent < 10 ? percent.toFixed(1) : Math.round(percent)}%`;
}

/** One decimal always: the triage table must show small differences between rows. */
export function formatPercentFine(probability: number): string {
  return `${(probability * 100).toFixed(1)}%`;
}

export function thresholdSentence(result: PredictionResult): string {
  const threshold = formatPercent(result.threshold);
  return result.thresholdStatus === 'above-threshold'
    ? `Above the model's decision threshold (${threshold}).`
    : `Below the model's decision threshold (${threshold}): no confident finding.`;
}

export function timingSentence(result: PredictionResult): string {
  const t = result.timing;
  return `${Math.round(t.totalMs)} ms (decode ${Math.round(t.decodeMs)}, prepare ${Math.round(
    t.preprocessMs,
  )}, model ${Math.round(t.inferenceMs)}, heatmap ${Math.round(t.heatmapMs)})`;
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
