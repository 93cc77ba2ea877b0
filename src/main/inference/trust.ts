/**
 * Calibration and the verdict: the one place that turns the classifier's raw outputs into the
 * probabilities every caller sees (temperature applied once) and says whether the film is a
 * confident call, a coin toss, or unlike the training films. Pure functions; no I/O.
 */
import type {
  ModelCalibration,
  ModelFeatureStatistics,
  ModelManifest,
} from '../../shared/model-manifest';
import {
  decideVerdict,
  DEFAULT_VERDICT_MARGIN,
  type FamiliarityMeasure,
  type OperatingPoint,
  type SiteCalibration,
  type Verdict,
} from '../../shared/verdict';

/** softmax(values / temperature) in float64, stable for large logits. */
export function softmax(values: ArrayLike<number>, temperature = 1): number[] {
  let max = -Infinity;
  for (let i = 0; i < values.length; i++) max = Math.max(max, values[i] / temperature);
  const out = new Array<number>(values.length);
  let sum = 0;
  for (let i = 0; i < values.length; i++) {
    out[i] = Math.exp(values[i] / temperature - max);
    sum += out[i];
  }
  for (let i = 0; i < out.length; i++) out[i] /= sum;
  return out;
}

/** Probabilities are floored here before the log (a graph can round a probability to 0). */
const MIN_PROBABILITY = 1e-12;

/**
 * A site profile's recalibration on the model's own (calibrated) probabilities:
 * q_c = softmax_c(log p_c / temperature + biases[c]) (fitted by site-validation/recalibration.ts).
 */
export function applySiteCalibration(
  probabilities: readonly number[],
  calibration: SiteCalibration,
): number[] {
  return softmax(
    probabilities.map(
      (p, c) =>
        Math.log(Math.max(p, MIN_PROBABILITY)) +
        (calibration.biases[c] ?? 0) * calibration.temperature,
    ),
    calibration.temperature,
  );
}

/** The graph outputs the trust computations need for one image. */
export interface ClassifierOutputs {
  /** The graph's `probabilities` output (softmax already applied in-graph). */
  probabilities: ArrayLike<number>;
  /** Raw logits; required when the model is calibrated. */
  logits?: ArrayLike<number>;
}

/**
 * The probabilities every caller gets: softmax(logits / T) when the manifest carries a
 * temperature, else the graph's own probabilities. `classes` values of image `index` in a batch.
 */
export function calibratedProbabilities(
  calibration: ModelCalibration | undefined,
  outputs: ClassifierOutputs,
  classes: number,
  index = 0,
): number[] {
  const start = index * classes;
  if (calibration) {
    if (!outputs.logits) throw new Error('a calibrated model needs its logits output');
    return softmax(
      Array.from({ length: classes }, (_, c) => outputs.logits?.[start + c] ?? 0),
      calibration.temperature,
    );
  }
  return Array.from({ length: classes }, (_, c) => outputs.probabilities[start + c]);
}

/** The graph outputs to fetch so that calibration and familiarity can be computed. */
export function trustFetches(manifest: ModelManifest): string[] {
  const fetches = [manifest.outputs.probabilities];
  if (manifest.calibration && manifest.outputs.logits) fetches.push(manifest.outputs.logits);
  if (manifest.featureStatistics && manifest.outputs.features) {
    fetches.push(manifest.outputs.features);
  }
  return fetches;
}

/** Global average over h, w of a [N, K, h, w] feature map: K values of image `index`. */
export function pooledFeatures(
  features: ArrayLike<number>,
  channels: number,
  index = 0,
  batch = 1,
): Float64Array {
  const plane = features.length / (channels * batch);
  if (!Number.isInteger(plane) || plane < 1) {
    throw new Error(`features of length ${features.length} do not hold ${batch}x${channels} maps`);
  }
  const pooled = new Float64Array(channels);
  const start = index * channels * plane;
  for (let k = 0; k < channels; k++) {
    let sum = 0;
    const offset = start + k * plane;
    for (let p = 0; p < plane; p++) sum += features[offset + p];
    pooled[k] = sum / plane;
  }
  return pooled;
}

/**
 * Scaled PCA-Mahalanobis distance of pooled features to the training films (the formula in
 * ModelFeatureStatistics): sqrt(sum p_i^2/l_i + |r|^2/residualVariance) / sqrt(K).
 */
export function featureDistance(pooled: ArrayLike<number>, stats: ModelFeatureStatistics): number {
  const K = stats.dimension;
  if (pooled.length !== K) {
    throw new Error(`pooled features have ${pooled.length} values, statistics ${K}`);
  }
  const centred = new Float64Array(K);
  let total = 0;
  for (let j = 0; j < K; j++) {
    centred[j] = pooled[j] - stats.mean[j];
    total += centred[j] * centred[j];
  }
  let inSubspace = 0;
  let projectedSquares = 0;
  stats.components.forEach((component, i) => {
    let p = 0;
    for (let j = 0; j < K; j++) p += centred[j] * component[j];
    projectedSquares += p * p;
    inSubspace += (p * p) / stats.variances[i];
  });
  // |r|^2 = |x - m|^2 - sum p_i^2 because the components are orthonormal.
  const residual = Math.max(0, total - projectedSquares);
  return Math.sqrt(inSubspace + residual / stats.residualVariance) / Math.sqrt(K);
}

/** What the verdict needs to know about how familiar the film is. */
export function familiarityOf(
  manifest: ModelManifest,
  pooled: ArrayLike<number> | null,
  segmenterConfidence: number | null,
): FamiliarityMeasure {
  const stats = manifest.featureStatistics;
  return {
    distance: stats && pooled ? featureDistance(pooled, stats) : null,
    limit: stats ? stats.unfamiliarAbove : null,
    segmenterConfidence,
    minSegmenterConfidence: stats?.minSegmenterConfidence ?? null,
  };
}

/** The model's verdict rule applied to calibrated probabilities (src/shared/verdict.ts). */
export function verdictFor(
  manifest: ModelManifest,
  probabilities: number[],
  familiarity: FamiliarityMeasure,
  operatingPoint: OperatingPoint | null = null,
): Verdict {
  return decideVerdict({
    labels: manifest.labels,
    probabilities,
    thresholds: manifest.thresholds,
    margin: manifest.verdictRule?.margin ?? DEFAULT_VERDICT_MARGIN,
    minProbability: manifest.verdictRule?.minProbability ?? null,
    familiarity,
    operatingPoint,
  });
}

/** Everything trust-related for one classifier run: calibrated probabilities and the verdict. */
export interface TrustedScores {
  probabilities: number[];
  verdict: Verdict;
  calibration: ModelCalibration | null;
}

/** From one run's fetched outputs (image `index` of a batch of `batch`) to TrustedScores. */
export function trustedScores(
  manifest: ModelManifest,
  outputs: Record<string, ArrayLike<number>>,
  segmenterConfidence: number | null,
  operatingPoint: OperatingPoint | null,
  index = 0,
  batch = 1,
): TrustedScores {
  const classes = manifest.labels.length;
  const logitsName = manifest.outputs.logits;
  const modelProbabilities = calibratedProbabilities(
    manifest.calibration,
    {
      probabilities: outputs[manifest.outputs.probabilities],
      logits: logitsName ? outputs[logitsName] : undefined,
    },
    classes,
    index,
  );
  const featuresName = manifest.outputs.features;
  const stats = manifest.featureStatistics;
  const pooled =
    stats && featuresName && outputs[featuresName]
      ? pooledFeatures(outputs[featuresName], stats.dimension, index, batch)
      : null;
  const familiarity = familiarityOf(manifest, pooled, segmenterConfidence);
  // A site-calibrated profile is applied here, once, after the model's own temperature.
  const siteCalibration = operatingPoint?.calibration ?? null;
  const probabilities = siteCalibration
    ? applySiteCalibration(modelProbabilities, siteCalibration)
    : modelProbabilities;
  return {
    probabilities,
    verdict: verdictFor(manifest, probabilities, familiarity, operatingPoint),
    calibration: manifest.calibration ?? null,
  };
}
