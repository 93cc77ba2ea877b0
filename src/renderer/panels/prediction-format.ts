/** Wording for the prediction panel (DOM-free). */
import type { PredictionResult } from '../../shared/prediction';

export function formatPercent(probability: number): string {
  const percent = probability * 100;
  return `${percent < 10 ? percent.toFixed(1) : Math.round(percent)}%`;
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
