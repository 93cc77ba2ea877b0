/** What the UI shows about a loaded model (ModelInfo), built from its manifest. */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { ModelManifest } from '../../shared/model-manifest';
import type { ExecutionProviderReport, ModelInfo } from '../../shared/prediction';
import { DEFAULT_VERDICT_MARGIN } from '../../shared/verdict';
import { readEvaluationSummary } from './evaluation-summary';
import type { LungSegmenter } from './lungs/segmenter';

/** Plain-words lines from the manifest's provenance metrics (numbers only, as fractions or values). */
function summariseMetrics(metrics: Record<string, unknown> | undefined): string[] | undefined {
  if (!metrics) return undefined;
  const lines = Object.entries(metrics)
    .filter((entry): entry is [string, number] => typeof entry[1] === 'number')
    .map(([key, value]) => `${key}: ${Number.isInteger(value) ? value : value.toFixed(3)}`);
  return lines.length > 0 ? lines : undefined;
}

export function modelInfoOf(options: {
  manifest: ModelManifest;
  modelDir: string;
  provider: ExecutionProviderReport;
  heatmapMethod: ModelInfo['heatmapMethod'];
  segmenter: LungSegmenter | null;
}): () => ModelInfo {
  const { manifest, modelDir, provider, heatmapMethod, segmenter } = options;
  const evaluationSummary =
    readEvaluationSummary(modelDir) ?? summariseMetrics(manifest.provenance.metrics);
  const stats = manifest.featureStatistics;
  return () => ({
    id: manifest.id,
    name: manifest.name,
    version: manifest.version,
    labels: [...manifest.labels],
    thresholds: { ...manifest.thresholds },
    inputSize: { width: manifest.input.width, height: manifest.input.height },
    heatmapMethod,
    provider,
    intendedUse: manifest.intendedUse,
    hasModelCard:
      manifest.modelCard !== undefined && existsSync(join(modelDir, manifest.modelCard)),
    evaluationSummary,
    segmenter: segmenter?.info(),
    calibration: manifest.calibration ?? null,
    verdictRule: {
      margin: manifest.verdictRule?.margin ?? DEFAULT_VERDICT_MARGIN,
      minProbability: manifest.verdictRule?.minProbability ?? null,
      chosenOn: manifest.verdictRule?.chosenOn ?? null,
    },
    familiarityCheck: stats
      ? { unfamiliarAbove: stats.unfamiliarAbove, fitted_on: stats.fitted_on }
      : null,
  });
}
