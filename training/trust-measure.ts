/**
 * The measurements the trust fitting and the flag comparison need, made by the app's own pipeline
 * (decode -> chest gate -> segmenter -> lung crop -> classifier): each film's logits, pooled
 * features and segmenter confidence, cached per model graph so reruns are quick.
 * Used by training/fit_trust.ts and training/compare_trust.ts.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { parse } from 'csv-parse/sync';
import { decodeForModel } from '../src/main/decode-pool';
import type { InferenceEngine } from '../src/main/inference';
import type { Segmentation } from '../src/main/inference/lungs/segmenter';
import type { ModelTensor } from '../src/main/inference/preprocess';
import { chestHeaderOf } from '../src/main/inference/lungs/gate';
import { pooledFeatures } from '../src/main/inference/trust';
import { toErrorInfo } from '../src/shared/errors';

export interface Film {
  path: string;
  truth: number | null;
  /** The CSV's `source` column ('unknown' when it has none). */
  source: string;
  role: 'calibration' | 'features';
}

export interface Measured {
  logits: number[];
  pooled: Float64Array;
  segmenterConfidence: number | null;
}

/** A measurement, or why there is none: a gate rejection's reason, or "error: ..." for a failure. */
export type Measurement = Measured | string;

/** Rows with columns file,label[,source]; paths relative to the CSV. Unlabelled rows are skipped for calibration. */
export function readFilms(csvPath: string, labels: string[], role: Film['role']): { films: Film[]; skipped: number } {
  const base = dirname(resolve(csvPath));
  const rows = parse(readFileSync(csvPath, 'utf8'), { columns: true, skip_empty_lines: true }) as Record<string, string>[];
  const films: Film[] = [];
  let skipped = 0;
  for (const row of rows) {
    const truth = labels.indexOf(row.label);
    if (!row.file || (role === 'calibration' && truth < 0)) {
      skipped++;
      continue;
    }
    films.push({ path: resolve(base, row.file), truth: truth >= 0 ? truth : null, source: row.source || 'unknown', role });
  }
  return { films, skipped };
}

/** The app's pipeline up to the crop, then one raw run for logits and features (K channels). */
async function measure(engine: InferenceEngine, path: string, K: number): Promise<Measurement> {
  const { manifest } = engine;
  const logitsName = manifest.outputs.logits;
  const featuresName = manifest.outputs.features;
  if (!logitsName || !featuresName) throw new Error('the model needs logits and features outputs');
  const image = await decodeForModel(path);
  const gray = { data: image.gray, width: image.width, height: image.height };
  // The one analysis (src/main/inference/pipeline.ts); its model input is seen through `inspect`.
  let stages: { tensor: ModelTensor; segmentation: Segmentation | null } | null = null;
  const analysis = await engine.analyse(
    { gray, header: chestHeaderOf(image) },
    { heatmaps: false, inspect: (seen) => (stages = seen) },
  );
  if (analysis.status === 'rejected') return analysis.gate.reason ?? 'rejected by the chest gate';
  const seen = stages as { tensor: ModelTensor; segmentation: Segmentation | null } | null;
  if (!seen) throw new Error('the pipeline scored the film without showing its model input');
  const { outputs } = await engine.runBatch(seen.tensor.data, seen.tensor.dims, [logitsName, featuresName]);
  return {
    logits: Array.from(outputs[logitsName].subarray(0, manifest.labels.length)),
    pooled: pooledFeatures(outputs[featuresName], K),
    segmenterConfidence: seen.segmentation?.mask.meanProbability ?? null,
  };
}

interface StoredCache {
  sha256: string;
  films: Record<string, { logits: number[]; pooled: number[]; segmenterConfidence: number | null } | string>;
}

/**
 * Measures `paths` (in order), reusing and extending the cache at `cachePath` when given (the
 * cache is kept only for the same model graph, and never forgets what other runs measured).
 */
export async function measureFilms(engine: InferenceEngine, paths: string[], cachePath: string | null): Promise<Measurement[]> {
  const K = await graphFeatureChannels(engine);
  const cache = new Map<string, Measurement>();
  if (cachePath && existsSync(cachePath)) {
    const stored = JSON.parse(readFileSync(cachePath, 'utf8')) as StoredCache;
    if (stored.sha256 === engine.manifest.sha256) {
      for (const [path, m] of Object.entries(stored.films)) {
        cache.set(path, typeof m === 'string' ? m : { ...m, pooled: Float64Array.from(m.pooled) });
      }
    }
  }
  const measured: (Measurement | null)[] = paths.map((path) => cache.get(path) ?? null);
  let next = 0;
  let done = 0;
  const started = performance.now();
  const worker = async (): Promise<void> => {
    for (let i = next++; i < paths.length; i = next++) {
      if (measured[i] !== null) continue;
      try {
        measured[i] = await measure(engine, paths[i], K);
      } catch (error) {
        measured[i] = `error: ${toErrorInfo(error).message}`;
      }
      done++;
      if (done % 100 === 0) {
        const rate = done / ((performance.now() - started) / 1000);
        process.stderr.write(`${done} films measured (${rate.toFixed(1)}/s)\n`);
      }
    }
  };
  // A few films in flight, so decoding and pre-processing overlap the model runs (as screening).
  await Promise.all(Array.from({ length: engine.workers + 2 }, worker));
  const result = measured.map((m) => m ?? 'error: not measured');
  if (cachePath && done > 0) {
    const films: StoredCache['films'] = {};
    for (const [path, m] of cache) films[path] = typeof m === 'string' ? m : { ...m, pooled: Array.from(m.pooled) };
    paths.forEach((path, i) => {
      const m = result[i];
      films[path] = typeof m === 'string' ? m : { ...m, pooled: Array.from(m.pooled) };
    });
    writeFileSync(cachePath, JSON.stringify({ sha256: engine.manifest.sha256, films } satisfies StoredCache));
  }
  return result;
}

/** K of the graph's features output: [N, K, h, w] from the graph's reported shape or a run. */
async function graphFeatureChannels(engine: InferenceEngine): Promise<number> {
  const { input, outputs } = engine.manifest;
  if (!outputs.features) throw new Error('the model has no features output');
  const size = input.channels * input.height * input.width;
  const dims =
    input.layout === 'NCHW' ? [2, input.channels, input.height, input.width] : [2, input.height, input.width, input.channels];
  // A batch of two blank images: the output length is 2*K*h*w and the CAM (if any) gives h*w.
  const fetches = engine.manifest.heatmap ? [outputs.features, engine.manifest.heatmap.output] : [outputs.features];
  const run = await engine.runBatch(new Float32Array(size * 2), dims, fetches);
  const features = run.outputs[outputs.features].length / 2;
  if (engine.manifest.heatmap) {
    const plane = run.outputs[engine.manifest.heatmap.output].length / 2 / engine.manifest.labels.length;
    return features / plane;
  }
  throw new Error('cannot tell the feature channels without a CAM output; add featureStatistics.dimension by hand');
}
