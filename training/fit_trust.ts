/**
 * Fits what the app needs to say how sure a model is, and writes it INTO the model's model.json:
 *   calibration        temperature minimising the NLL of the logits (golden section on log T)
 *   verdictRule        the margin at which `call` results reach a target accuracy
 *   featureStatistics  PCA-Mahalanobis statistics of the pooled features, unfamiliarAbove at the
 *                      0.995 quantile, minSegmenterConfidence at the 0.005 quantile
 * It runs the app's own pipeline (decode -> chest gate -> segmenter -> lung crop -> classifier),
 * so the logits and features are exactly what the app computes. Never point it at the split whose
 * figures are reported (training/splits/val.csv).
 *
 *   npx tsx training/fit_trust.ts --model resources/models/covidnet-cxr-lungs-v2 \
 *       --manifest training/splits/calib.csv [--manifest CSV2] [--features-manifest CSV3] \
 *       [--components 32] [--target-call-accuracy 0.9] [--note "words for fitted_on"]
 *
 * --equal-source-weight: the temperature's NLL weighs every source alike (column `source`; each
 * film 1/n of its source, sources under 10 films pooled), so one big easy source cannot set it.
 *
 * --manifest films (columns file,label; paths relative to the CSV) fit the temperature, the
 * margin and the feature statistics; --features-manifest films only add to the feature statistics
 * (e.g. the training films themselves, which describe what "familiar" means but would make the
 * temperature too confident).
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { parse } from 'csv-parse/sync';
import { decodeForModel } from '../src/main/decode-pool';
import {
  createInferenceEngine,
  type InferenceEngine,
  type ModelTensor,
} from '../src/main/inference';
import { chestHeaderOf } from '../src/main/inference/lungs/gate';
import type { Segmentation } from '../src/main/inference/lungs/segmenter';
import { pooledFeatures, softmax } from '../src/main/inference/trust';
import {
  chooseMargin,
  equalSourceWeights,
  fitFeatureStatistics,
  fitTemperature,
  quantile,
} from '../src/main/inference/trust-fit';
import { toErrorInfo } from '../src/shared/errors';

interface Film {
  path: string;
  truth: number | null;
  source: string;
  role: 'calibration' | 'features';
}

interface Measured {
  logits: number[];
  pooled: Float64Array;
  segmenterConfidence: number | null;
}

function readFilms(csvPath: string, labels: string[], role: Film['role']): { films: Film[]; skipped: number } {
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
    films.push({
      path: resolve(base, row.file),
      truth: truth >= 0 ? truth : null,
      source: row.source || 'unknown',
      role,
    });
  }
  return { films, skipped };
}

/** The app's pipeline up to the crop, then one raw run for logits and features (K channels). */
async function measure(engine: InferenceEngine, path: string, K: number): Promise<Measured | string> {
  const { manifest } = engine;
  const logitsName = manifest.outputs.logits;
  const featuresName = manifest.outputs.features;
  if (!logitsName || !featuresName) throw new Error('the model needs logits and features outputs');
  const image = await decodeForModel(path);
  const gray = { data: image.gray, width: image.width, height: image.height };
  const seen: { tensor: ModelTensor | null; segmentation: Segmentation | null } = {
    tensor: null,
    segmentation: null,
  };
  const outcome = await engine.analyse(
    { gray, header: chestHeaderOf(image) },
    { heatmaps: false, inspect: (stages) => Object.assign(seen, stages) },
  );
  if (outcome.status === 'rejected') return outcome.gate.reason ?? 'rejected by the chest gate';
  const { tensor, segmentation } = seen;
  if (!tensor) throw new Error(`${path}: scored without a model input`);
  const { outputs } = await engine.runBatch(tensor.data, tensor.dims, [
    logitsName,
    featuresName,
  ]);
  return {
    logits: Array.from(outputs[logitsName].subarray(0, manifest.labels.length)),
    pooled: pooledFeatures(outputs[featuresName], K),
    segmenterConfidence: segmentation?.mask.meanProbability ?? null,
  };
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      model: { type: 'string' },
      manifest: { type: 'string', multiple: true },
      'features-manifest': { type: 'string', multiple: true },
      components: { type: 'string', default: '32' },
      'unfamiliar-quantile': { type: 'string', default: '0.995' },
      'target-call-accuracy': { type: 'string', default: '0.9' },
      note: { type: 'string', default: '' },
      'equal-source-weight': { type: 'boolean', default: false },
      cache: { type: 'string' },
    },
  });
  if (!values.model || !values.manifest?.length) {
    throw new Error('usage: --model DIR --manifest CSV [--manifest CSV2] [--features-manifest CSV] [--components 32] [--note words]');
  }
  const modelDir = resolve(values.model);
  const manifestPath = join(modelDir, 'model.json');
  const engine = await createInferenceEngine({ modelDir });
  const { labels } = engine.manifest;
  const K = await graphFeatureChannels(engine);
  const films: Film[] = [];
  let skippedLabels = 0;
  for (const csv of values.manifest) {
    const read = readFilms(csv, labels, 'calibration');
    films.push(...read.films);
    skippedLabels += read.skipped;
  }
  for (const csv of values['features-manifest'] ?? []) films.push(...readFilms(csv, labels, 'features').films);
  // Films listed twice (a --features-manifest that repeats a --manifest) count once, as calibration.
  const seen = new Set<string>();
  const unique = films.filter((film) => (seen.has(film.path) ? false : (seen.add(film.path), true)));

  // Measurements are cached per model graph and film, so a rerun (other options) is quick.
  const cachePath = values.cache ? resolve(values.cache) : null;
  const cache = new Map<string, Measured | string>();
  if (cachePath && existsSync(cachePath)) {
    const stored = JSON.parse(readFileSync(cachePath, 'utf8')) as {
      sha256: string;
      films: Record<string, { logits: number[]; pooled: number[]; segmenterConfidence: number | null } | string>;
    };
    if (stored.sha256 === engine.manifest.sha256) {
      for (const [path, m] of Object.entries(stored.films)) {
        cache.set(path, typeof m === 'string' ? m : { ...m, pooled: Float64Array.from(m.pooled) });
      }
    }
  }
  const measured: (Measured | string | null)[] = unique.map((film) => cache.get(film.path) ?? null);
  let next = 0;
  let done = 0;
  const started = performance.now();
  const worker = async (): Promise<void> => {
    for (let i = next++; i < unique.length; i = next++) {
      if (measured[i] !== null) continue;
      try {
        measured[i] = await measure(engine, unique[i].path, K);
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
  if (cachePath) {
    // Keep what other runs measured with this graph, so the cache grows and never forgets.
    const films: Record<string, unknown> = {};
    for (const [path, m] of cache) {
      films[path] = typeof m === 'string' ? m : { ...m, pooled: Array.from(m.pooled) };
    }
    unique.forEach((film, i) => {
      const m = measured[i];
      if (m !== null) films[film.path] = typeof m === 'string' ? m : { ...m, pooled: Array.from(m.pooled) };
    });
    writeFileSync(cachePath, JSON.stringify({ sha256: engine.manifest.sha256, films }));
  }

  const calibration: { logits: number[]; truth: number; source: string }[] = [];
  const pooled: Float64Array[] = [];
  const confidences: number[] = [];
  let rejected = 0;
  let failed = 0;
  unique.forEach((film, i) => {
    const m = measured[i];
    if (typeof m === 'string' || m === null) {
      if (typeof m === 'string' && m.startsWith('error:')) failed++;
      else rejected++;
      return;
    }
    pooled.push(m.pooled);
    if (m.segmenterConfidence !== null) confidences.push(m.segmenterConfidence);
    if (film.role === 'calibration' && film.truth !== null) calibration.push({ logits: m.logits, truth: film.truth, source: film.source });
  });

  if (calibration.length === 0) throw new Error('no labelled film was scored: nothing to calibrate on');
  const weights = values['equal-source-weight']
    ? equalSourceWeights(calibration.map((c) => c.source))
    : undefined;
  const fit = fitTemperature(
    calibration.map((c) => c.logits),
    calibration.map((c) => c.truth),
    weights,
  );
  const weighting = weights ? ' NLL weighted so every source (under 10 films: pooled) counts alike;' : '';
  const calibrated = calibration.map((c) => ({ probabilities: softmax(c.logits, fit.temperature), truth: c.truth }));
  const targetAccuracy = Number(values['target-call-accuracy']);
  const margin = chooseMargin(calibrated, labels, engine.manifest.thresholds, targetAccuracy);
  const accuracyAll = calibrated.filter((c) => c.probabilities.indexOf(Math.max(...c.probabilities)) === c.truth).length / calibrated.length;

  const where = [...values.manifest, ...(values['features-manifest'] ?? [])]
    .map((csv) => relative(process.cwd(), resolve(csv)))
    .join(' + ');
  const note = values.note ? ` ${values.note}` : '';
  const calibrationCsvs = values.manifest.map((csv) => relative(process.cwd(), resolve(csv))).join(' + ');
  const featureStatistics = fitFeatureStatistics(pooled, {
    components: Number(values.components),
    unfamiliarQuantile: Number(values['unfamiliar-quantile']),
    fittedOn:
      `pooled features of ${pooled.length} films the chest gate accepted from ${where}` +
      ` (${rejected} turned away, ${failed} unreadable), fitted by training/fit_trust.ts;` +
      ` unfamiliarAbove = their ${values['unfamiliar-quantile']} quantile (in-sample).${note}`,
  });
  const sortedConfidence = [...confidences].sort((a, b) => a - b);
  if (sortedConfidence.length > 0) {
    featureStatistics.minSegmenterConfidence = Number(quantile(sortedConfidence, 0.005).toPrecision(4));
  }

  const json = JSON.parse(readFileSync(manifestPath, 'utf8')) as Record<string, unknown>;
  json.calibration = {
    method: 'temperature',
    temperature: Number(fit.temperature.toPrecision(6)),
    fitted_on:
      `${calibration.length} labelled films from ${calibrationCsvs} (${skippedLabels} rows without a model label left out),` +
      `${weighting} NLL ${fit.nllBefore.toFixed(4)} -> ${fit.nllAfter.toFixed(4)}, by training/fit_trust.ts.${note}`,
  };
  json.verdictRule = {
    margin: margin.margin,
    chosenOn:
      `${calibrationCsvs}, after the temperature: the smallest margin at which calls are ` +
      (margin.reachedTarget ? `>= ${targetAccuracy} accurate` : `most accurate (the ${targetAccuracy} target was not reached)`) +
      `: ${margin.calls}/${margin.n} films called, ${(margin.correctCalls / Math.max(1, margin.calls)).toFixed(3)} of calls right` +
      ` (all films: ${accuracyAll.toFixed(3)}). Never chosen on training/splits/val.csv.${note}`,
  };
  json.featureStatistics = featureStatistics;
  writeFileSync(manifestPath, compactJson(json));
  await engine.dispose();
  console.log(
    JSON.stringify(
      {
        model: relative(process.cwd(), modelDir),
        films: unique.length,
        calibrationFilms: calibration.length,
        featureFilms: pooled.length,
        rejected,
        failed,
        temperature: fit.temperature,
        nll: [fit.nllBefore, fit.nllAfter],
        margin,
        unfamiliarAbove: featureStatistics.unfamiliarAbove,
        minSegmenterConfidence: featureStatistics.minSegmenterConfidence,
        seconds: (performance.now() - started) / 1000,
      },
      null,
      2,
    ),
  );
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

/** JSON with two-space indent, but arrays of numbers on one line (the PCA axes are long). */
function compactJson(value: unknown): string {
  const text = JSON.stringify(value, null, 2);
  return `${text.replace(/\[\s*(-?[\d.eE+-]+(?:,\s*-?[\d.eE+-]+)*)\s*\]/g, (_, inner: string) => `[${inner.split(/,\s*/).join(', ')}]`)}\n`;
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
