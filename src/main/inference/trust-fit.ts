/**
 * Fitting what trust.ts applies, from films the model has logits and pooled features for
 * (training/fit_trust.ts runs the app's own pipeline to get them): a temperature by minimum
 * negative log-likelihood, PCA-Mahalanobis feature statistics, and the verdict margin.
 * Pure numerics, float64; no I/O.
 */
import type { ModelFeatureStatistics } from '../../shared/model-manifest';
import { decideVerdict, type FamiliarityMeasure } from '../../shared/verdict';
import { featureDistance, softmax } from './trust';

/**
 * Mean negative log-likelihood of the true classes under softmax(logits / T); with `weights`, the
 * weighted mean (e.g. 1/n of the film's source, so every source counts alike).
 */
export function meanNll(
  logits: number[][],
  truth: number[],
  temperature: number,
  weights?: readonly number[],
): number {
  let sum = 0;
  let total = 0;
  logits.forEach((row, i) => {
    const p = softmax(row, temperature)[truth[i]];
    const w = weights ? weights[i] : 1;
    sum -= w * Math.log(Math.max(p, 1e-300));
    total += w;
  });
  return sum / total;
}

/**
 * Weights that give every source the same total weight (each film 1/n of its source); sources with
 * fewer than `minFilms` films are pooled into one group first, so two films cannot weigh as much as
 * a whole hospital.
 */
export function equalSourceWeights(sources: readonly string[], minFilms = 10): number[] {
  const counts = new Map<string, number>();
  for (const s of sources) counts.set(s, (counts.get(s) ?? 0) + 1);
  const group = (s: string): string => ((counts.get(s) ?? 0) >= minFilms ? s : '(small sources)');
  const groups = new Map<string, number>();
  for (const s of sources) groups.set(group(s), (groups.get(group(s)) ?? 0) + 1);
  return sources.map((s) => 1 / (groups.get(group(s)) ?? 1));
}

/**
 * Temperature minimising the NLL: golden-section search on log T over [1/20, 20] (the NLL is
 * unimodal in T for fixed logits), to 1e-6 in log T.
 */
export function fitTemperature(
  logits: number[][],
  truth: number[],
  weights?: readonly number[],
): { temperature: number; nllBefore: number; nllAfter: number } {
  if (logits.length === 0) throw new Error('no films to fit a temperature on');
  const f = (logT: number): number => meanNll(logits, truth, Math.exp(logT), weights);
  const ratio = (Math.sqrt(5) - 1) / 2;
  let a = Math.log(1 / 20);
  let b = Math.log(20);
  let c = b - ratio * (b - a);
  let d = a + ratio * (b - a);
  let fc = f(c);
  let fd = f(d);
  while (b - a > 1e-6) {
    if (fc < fd) {
      b = d;
      d = c;
      fd = fc;
      c = b - ratio * (b - a);
      fc = f(c);
    } else {
      a = c;
      c = d;
      fc = fd;
      d = a + ratio * (b - a);
      fd = f(d);
    }
  }
  const temperature = Math.exp((a + b) / 2);
  return { temperature, nllBefore: f(0), nllAfter: meanNll(logits, truth, temperature, weights) };
}

/** Eigen-decomposition of a small symmetric matrix by cyclic Jacobi rotations (descending). */
export function symmetricEigen(matrix: number[][]): { values: number[]; vectors: number[][] } {
  const n = matrix.length;
  const a = matrix.map((row) => [...row]);
  const v: number[][] = Array.from({ length: n }, (_, i) =>
    Array.from({ length: n }, (_, j) => (i === j ? 1 : 0)),
  );
  for (let sweep = 0; sweep < 100; sweep++) {
    let off = 0;
    for (let p = 0; p < n; p++) for (let q = p + 1; q < n; q++) off += a[p][q] * a[p][q];
    if (off < 1e-22) break;
    for (let p = 0; p < n; p++) {
      for (let q = p + 1; q < n; q++) {
        if (Math.abs(a[p][q]) < 1e-300) continue;
        const theta = (a[q][q] - a[p][p]) / (2 * a[p][q]);
        const t = Math.sign(theta || 1) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
        const cos = 1 / Math.sqrt(t * t + 1);
        const sin = t * cos;
        for (let k = 0; k < n; k++) {
          const akp = a[k][p];
          const akq = a[k][q];
          a[k][p] = cos * akp - sin * akq;
          a[k][q] = sin * akp + cos * akq;
        }
        for (let k = 0; k < n; k++) {
          const apk = a[p][k];
          const aqk = a[q][k];
          a[p][k] = cos * apk - sin * aqk;
          a[q][k] = sin * apk + cos * aqk;
        }
        for (let k = 0; k < n; k++) {
          const vkp = v[k][p];
          const vkq = v[k][q];
          v[k][p] = cos * vkp - sin * vkq;
          v[k][q] = sin * vkp + cos * vkq;
        }
      }
    }
  }
  const order = Array.from({ length: n }, (_, i) => i).sort((i, j) => a[j][j] - a[i][i]);
  return {
    values: order.map((i) => a[i][i]),
    vectors: order.map((i) => v.map((row) => row[i])),
  };
}

/** Orthonormalises the columns of `q` (K x k, column-major as k arrays of K) in place. */
function orthonormalise(columns: Float64Array[]): void {
  for (let i = 0; i < columns.length; i++) {
    for (let j = 0; j < i; j++) {
      let dot = 0;
      for (let d = 0; d < columns[i].length; d++) dot += columns[i][d] * columns[j][d];
      for (let d = 0; d < columns[i].length; d++) columns[i][d] -= dot * columns[j][d];
    }
    let norm = 0;
    for (const x of columns[i]) norm += x * x;
    norm = Math.sqrt(norm) || 1;
    for (let d = 0; d < columns[i].length; d++) columns[i][d] /= norm;
  }
}

/** Quantile by linear interpolation between order statistics (numpy's default). */
export function quantile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return NaN;
  const position = q * (sorted.length - 1);
  const low = Math.floor(position);
  const high = Math.min(sorted.length - 1, low + 1);
  return sorted[low] + (sorted[high] - sorted[low]) * (position - low);
}

export const DISTANCE_QUANTILES = [0.5, 0.9, 0.95, 0.99, 0.995];

/**
 * PCA-Mahalanobis statistics of pooled features (ModelFeatureStatistics): the top `k` principal
 * axes of the covariance by subspace iteration (then Rayleigh-Ritz), the mean residual variance
 * outside them, the films' own distance quantiles, and `unfamiliarAbove` at `unfamiliarQuantile`.
 */
export function fitFeatureStatistics(
  pooled: ArrayLike<number>[],
  options: { components: number; unfamiliarQuantile: number; fittedOn: string; seed?: number },
): ModelFeatureStatistics {
  const n = pooled.length;
  const K = pooled[0]?.length ?? 0;
  if (n < 2 || K === 0) throw new Error('need at least two films with features');
  const k = Math.min(options.components, K, n - 1);
  const mean = new Float64Array(K);
  for (const x of pooled) for (let j = 0; j < K; j++) mean[j] += x[j] / n;
  const centred = pooled.map((x) => Float64Array.from({ length: K }, (_, j) => x[j] - mean[j]));
  // Covariance (K x K, divided by n - 1).
  const cov = Array.from({ length: K }, () => new Float64Array(K));
  for (const x of centred) {
    for (let i = 0; i < K; i++) {
      const xi = x[i];
      if (xi === 0) continue;
      const row = cov[i];
      for (let j = i; j < K; j++) row[j] += xi * x[j];
    }
  }
  let trace = 0;
  for (let i = 0; i < K; i++) {
    for (let j = i; j < K; j++) {
      cov[i][j] /= n - 1;
      cov[j][i] = cov[i][j];
    }
    trace += cov[i][i];
  }
  // Subspace iteration from a seeded pseudo-random start (deterministic output).
  let state = options.seed ?? 20261203;
  const random = (): number => {
    state = (state * 1664525 + 1013904223) >>> 0;
    return state / 2 ** 32 - 0.5;
  };
  let columns: Float64Array[] = Array.from({ length: k }, () =>
    Float64Array.from({ length: K }, random),
  );
  orthonormalise(columns);
  const multiply = (q: Float64Array[]): Float64Array[] =>
    q.map((col) => {
      const out = new Float64Array(K);
      for (let i = 0; i < K; i++) {
        let s = 0;
        const row = cov[i];
        for (let j = 0; j < K; j++) s += row[j] * col[j];
        out[i] = s;
      }
      return out;
    });
  for (let iteration = 0; iteration < 60; iteration++) {
    columns = multiply(columns);
    orthonormalise(columns);
  }
  // Rayleigh-Ritz: eigenvectors of Q' C Q rotate Q onto the principal axes.
  const cq = multiply(columns);
  const small = columns.map((qi) =>
    cq.map((cqj) => {
      let s = 0;
      for (let d = 0; d < K; d++) s += qi[d] * cqj[d];
      return s;
    }),
  );
  const { values, vectors } = symmetricEigen(small);
  const components = vectors.map((w) => {
    const axis = new Float64Array(K);
    w.forEach((weight, i) => {
      for (let d = 0; d < K; d++) axis[d] += weight * columns[i][d];
    });
    return axis;
  });
  const variances = values.map((value) => Math.max(value, 1e-12));
  const explained = variances.reduce((a, b) => a + b, 0);
  const residualVariance = Math.max((trace - explained) / Math.max(1, K - k), 1e-12);
  const round = (x: number): number => Number(x.toPrecision(7));
  const stats: ModelFeatureStatistics = {
    method: 'pca-mahalanobis',
    pooledFrom: 'features-global-average',
    dimension: K,
    mean: Array.from(mean, round),
    components: components.map((axis) => Array.from(axis, round)),
    variances: variances.map(round),
    residualVariance: round(residualVariance),
    distanceQuantiles: [],
    unfamiliarAbove: 0,
    fitted_on: options.fittedOn,
  };
  const distances = pooled.map((x) => featureDistance(x, stats)).sort((a, b) => a - b);
  stats.distanceQuantiles = DISTANCE_QUANTILES.map((q) => ({
    q,
    distance: round(quantile(distances, q)),
  }));
  stats.unfamiliarAbove = round(quantile(distances, options.unfamiliarQuantile));
  return stats;
}

/** Call accuracy and call share of a margin on labelled, calibrated films. */
export function marginFigures(
  films: { probabilities: number[]; truth: number }[],
  labels: string[],
  thresholds: Record<string, number>,
  margin: number,
): { calls: number; correctCalls: number; n: number } {
  const familiar: FamiliarityMeasure = {
    distance: null,
    limit: null,
    segmenterConfidence: null,
    minSegmenterConfidence: null,
  };
  let calls = 0;
  let correctCalls = 0;
  for (const film of films) {
    const verdict = decideVerdict({
      labels,
      probabilities: film.probabilities,
      thresholds,
      margin,
      familiarity: familiar,
    });
    if (verdict.kind !== 'call') continue;
    calls++;
    if (verdict.label === labels[film.truth]) correctCalls++;
  }
  return { calls, correctCalls, n: films.length };
}

/**
 * The verdict margin: the smallest margin (0.00 .. 0.90, step 0.01) at which the `call` results on
 * these films reach `targetAccuracy`; when none does, the margin with the best call accuracy among
 * those that still call at least `minCallShare` of the films.
 */
export function chooseMargin(
  films: { probabilities: number[]; truth: number }[],
  labels: string[],
  thresholds: Record<string, number>,
  targetAccuracy: number,
  minCallShare = 0.2,
): { margin: number; calls: number; correctCalls: number; n: number; reachedTarget: boolean } {
  const grid = Array.from({ length: 91 }, (_, i) => i / 100);
  const figures = grid.map((margin) => ({
    margin,
    ...marginFigures(films, labels, thresholds, margin),
  }));
  const reached = figures.find((f) => f.calls > 0 && f.correctCalls / f.calls >= targetAccuracy);
  if (reached) return { ...reached, reachedTarget: true };
  const candidates = figures.filter((f) => f.calls >= minCallShare * f.n && f.calls > 0);
  const pool = candidates.length > 0 ? candidates : figures.filter((f) => f.calls > 0);
  // No film reaches a threshold at any margin: the margin cannot matter; keep the smallest.
  if (pool.length === 0) return { ...figures[0], reachedTarget: false };
  const best = pool.reduce((a, b) => (b.correctCalls / b.calls > a.correctCalls / a.calls ? b : a));
  return { ...best, reachedTarget: false };
}
