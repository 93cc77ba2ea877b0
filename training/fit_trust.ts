/**
 * Fits what the app needs to say how sure a model is, and writes it INTO the model's model.json:
 *   calibration        temperature minimising the NLL of the logits (golden section on log T)
 *   verdictRule        when a result is a `call` (src/shared/model-manifest.ts ModelVerdictRule):
 *                      by default the calibrated top probability must reach `minProbability`,
 *                      the lowest limit at which calls, with equal weight per source (the CSV's
 *                      `source` column), remove --target-error-reduction of the errors while at
 *                      least --min-coverage of films are called (src/main/inference/
 *                      failure-detection.ts fitCallLimit); `--signal margin` fits `margin` instead.
 *                      training/compare_trust.ts shows why the max-probability is the default.
 *   featureStatistics  PCA-Mahalanobis statistics of the pooled features, unfamiliarAbove at the
 *                      0.995 quantile, minSegmenterConfidence at the 0.005 quantile
 * It runs the app's own pipeline (decode -> chest gate -> segmenter -> lung crop -> classifier;
 * training/trust-measure.ts), so the logits and features are exactly what the app computes.
 * Never point it at the split whose figures are reported (training/splits/val_v3.csv).
 *
 *   npx tsx training/fit_trust.ts --model resources/models/covidnet-cxr-lungs-v3 \
 *       --manifest training/splits/calib.csv [--manifest CSV2] [--features-manifest CSV3] \
 *       [--components 32] [--signal max-probability] [--target-error-reduction 0.6] \
 *       [--min-coverage 0.35] [--min-source-films 20] [--cache FILE] [--note "words for fitted_on"]
 *
 * --equal-source-weight: the temperature's NLL weighs every source alike (column `source`; each
 * film 1/n of its source, sources under 10 films pooled), so one big easy source cannot set it.
 *
 * --manifest films (columns file,label[,source]; paths relative to the CSV) fit the temperature,
 * the call limit and the feature statistics; --features-manifest films only add to the feature
 * statistics (e.g. the training films themselves, which describe what "familiar" means but would
 * make the temperature too confident).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { createInferenceEngine } from '../src/main/inference';
import { fitCallLimit, ruleSignalValue } from '../src/main/inference/failure-detection';
import { softmax } from '../src/main/inference/trust';
import {
  equalSourceWeights,
  fitFeatureStatistics,
  fitTemperature,
  quantile,
} from '../src/main/inference/trust-fit';
import type { VerdictSignal } from '../src/shared/model-manifest';
import { measureFilms, readFilms, type Film } from './trust-measure';

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      model: { type: 'string' },
      manifest: { type: 'string', multiple: true },
      'features-manifest': { type: 'string', multiple: true },
      components: { type: 'string', default: '32' },
      'unfamiliar-quantile': { type: 'string', default: '0.995' },
      'equal-source-weight': { type: 'boolean', default: false },
      signal: { type: 'string', default: 'max-probability' },
      'target-error-reduction': { type: 'string', default: '0.6' },
      'min-coverage': { type: 'string', default: '0.35' },
      'min-source-films': { type: 'string', default: '20' },
      note: { type: 'string', default: '' },
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
  const started = performance.now();
  // Measurements are cached per model graph and film, so a rerun (other options) is quick.
  const measured = await measureFilms(
    engine,
    unique.map((film) => film.path),
    values.cache ? resolve(values.cache) : null,
  );

  const calibration: { logits: number[]; truth: number; source: string }[] = [];
  const pooled: Float64Array[] = [];
  const confidences: number[] = [];
  let rejected = 0;
  let failed = 0;
  unique.forEach((film, i) => {
    const m = measured[i];
    if (typeof m === 'string') {
      if (m.startsWith('error:')) failed++;
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
  const accuracyAll = calibrated.filter((c) => c.probabilities.indexOf(Math.max(...c.probabilities)) === c.truth).length / calibrated.length;
  const signal = values.signal as VerdictSignal;
  if (signal !== 'max-probability' && signal !== 'margin') throw new Error('--signal is max-probability or margin');
  // The call limit, with equal weight per source (the CSV's `source` column), so that it holds on
  // hard sources too, not only on the easy mix (src/main/inference/failure-detection.ts).
  const limit = fitCallLimit(
    calibrated.map((c, i) => ({
      value: ruleSignalValue(signal, c.probabilities),
      right: c.probabilities.indexOf(Math.max(...c.probabilities)) === c.truth,
      source: calibration[i].source,
    })),
    {
      targetErrorReduction: Number(values['target-error-reduction']),
      minCoverage: Number(values['min-coverage']),
      minSourceFilms: Number(values['min-source-films']),
    },
  );
  const allFilms = Object.values(limit.perSource).reduce(
    (sum, s) => ({ n: sum.n + s.n, calls: sum.calls + s.calls, right: sum.right + (s.callAccuracy ?? 0) * s.calls }),
    { n: 0, calls: 0, right: 0 },
  );
  const limitValue = Number(limit.limit.toPrecision(3));

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
    margin: signal === 'margin' ? limitValue : 0,
    ...(signal === 'max-probability' ? { minProbability: limitValue } : {}),
    chosenOn:
      `${calibrationCsvs}, after the temperature: call when the ${signal} is at least ${limitValue}, the lowest limit at which calls, ` +
      `with equal weight per source (sources of >= ${values['min-source-films']} films), remove ` +
      `${limit.errorReduction.toFixed(2)} of the errors (target ${values['target-error-reduction']}${limit.reachedTarget ? '' : ', not reached'}) ` +
      `with ${limit.coverage.toFixed(2)} of films called (at least ${values['min-coverage']}); all films: ${allFilms.calls}/${allFilms.n} called, ` +
      `${(allFilms.right / Math.max(1, allFilms.calls)).toFixed(3)} of calls right vs ${accuracyAll.toFixed(3)} overall. ` +
      `Never chosen on the validation split.${note}`,
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
        verdictRule: json.verdictRule,
        callLimit: limit,
        unfamiliarAbove: featureStatistics.unfamiliarAbove,
        minSegmenterConfidence: featureStatistics.minSegmenterConfidence,
        seconds: (performance.now() - started) / 1000,
      },
      null,
      2,
    ),
  );
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
