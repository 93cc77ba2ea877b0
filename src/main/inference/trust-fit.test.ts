import { describe, expect, it } from 'vitest';
import { featureDistance, softmax } from './trust';
import {
  chooseMargin,
  fitFeatureStatistics,
  equalSourceWeights,
  fitTemperature,
  meanNll,
  quantile,
  symmetricEigen,
} from './trust-fit';

/** Deterministic pseudo-random numbers (LCG) and Box-Muller normals. */
function generator(seed: number): { uniform: () => number; normal: () => number } {
  let state = seed >>> 0;
  const uniform = (): number => {
    state = (state * 1664525 + 1013904223) >>> 0;
    return (state + 0.5) / 2 ** 32;
  };
  return {
    uniform,
    normal: () => Math.sqrt(-2 * Math.log(uniform())) * Math.cos(2 * Math.PI * uniform()),
  };
}

describe('temperature fit', () => {
  it('recovers the temperature that generated the labels', () => {
    // Labels drawn from softmax(z / 2.5): the NLL-optimal temperature for logits z is near 2.5.
    const rng = generator(7);
    const logits: number[][] = [];
    const truth: number[] = [];
    for (let i = 0; i < 4000; i++) {
      const z = [rng.normal() * 4, rng.normal() * 4, rng.normal() * 4];
      const p = softmax(z, 2.5);
      const u = rng.uniform();
      truth.push(u < p[0] ? 0 : u < p[0] + p[1] ? 1 : 2);
      logits.push(z);
    }
    const fit = fitTemperature(logits, truth);
    expect(fit.temperature).toBeGreaterThan(2.2);
    expect(fit.temperature).toBeLessThan(2.8);
    expect(fit.nllAfter).toBeLessThan(fit.nllBefore);
    // It is the minimum: a step either side is worse.
    expect(meanNll(logits, truth, fit.temperature * 1.05)).toBeGreaterThan(fit.nllAfter);
    expect(meanNll(logits, truth, fit.temperature / 1.05)).toBeGreaterThan(fit.nllAfter);
  });
});

describe('temperature fit with every source weighted alike', () => {
  it('weighs each source (small ones pooled) as one, and equals the fit on a rebalanced set', () => {
    const sources = [
      ...Array<string>(30).fill('big'),
      ...Array<string>(10).fill('small'),
      'a',
      'b',
    ];
    const w = equalSourceWeights(sources);
    expect(w[0]).toBeCloseTo(1 / 30, 12);
    expect(w[30]).toBeCloseTo(1 / 10, 12);
    expect(w[40]).toBeCloseTo(1 / 2, 12); // 'a' and 'b' (one film each) pooled into one group
    const rng = generator(5);
    const logits: number[][] = [];
    const truth: number[] = [];
    const source: string[] = [];
    // 'big': labels drawn at T=1 (900 films); 'small': at T=5 (100 films).
    for (const [name, count, t] of [
      ['big', 900, 1],
      ['small', 100, 5],
    ] as const) {
      for (let i = 0; i < count; i++) {
        const z = [rng.normal() * 4, rng.normal() * 4, rng.normal() * 4];
        const p = softmax(z, t);
        const u = rng.uniform();
        truth.push(u < p[0] ? 0 : u < p[0] + p[1] ? 1 : 2);
        logits.push(z);
        source.push(name);
      }
    }
    const plain = fitTemperature(logits, truth).temperature;
    const weighted = fitTemperature(logits, truth, equalSourceWeights(source)).temperature;
    // The same fit as repeating every 'small' film 9 times (900 vs 900).
    const repeat = (xs: number[][] | number[]) =>
      xs.flatMap((x, i) => Array(source[i] === 'small' ? 9 : 1).fill(x) as unknown[]);
    const rebalanced = fitTemperature(repeat(logits) as number[][], repeat(truth) as number[]);
    expect(weighted).toBeCloseTo(rebalanced.temperature, 4);
    expect(weighted).toBeGreaterThan(plain * 1.2);
  });
});

describe('PCA-Mahalanobis statistics', () => {
  it('finds the eigenpairs of a symmetric matrix', () => {
    const { values, vectors } = symmetricEigen([
      [2, 1],
      [1, 2],
    ]);
    expect(values[0]).toBeCloseTo(3, 10);
    expect(values[1]).toBeCloseTo(1, 10);
    expect(Math.abs(vectors[0][0])).toBeCloseTo(Math.SQRT1_2, 10);
  });

  it('finds the dominant axes and puts typical films near 1, outliers far', () => {
    const rng = generator(11);
    const K = 12;
    // Variance 25 along axis 0, 9 along axis 1, 1 elsewhere.
    const scale = Array.from({ length: K }, (_, j) => (j === 0 ? 5 : j === 1 ? 3 : 1));
    const films = Array.from({ length: 3000 }, () => scale.map((s) => 10 + s * rng.normal()));
    const stats = fitFeatureStatistics(films, {
      components: 2,
      unfamiliarQuantile: 0.995,
      fittedOn: 'synthetic',
    });
    expect(stats.dimension).toBe(K);
    expect(Math.abs(stats.components[0][0])).toBeGreaterThan(0.99);
    expect(Math.abs(stats.components[1][1])).toBeGreaterThan(0.99);
    expect(stats.variances[0]).toBeGreaterThan(22);
    expect(stats.variances[0]).toBeLessThan(28);
    expect(stats.residualVariance).toBeGreaterThan(0.9);
    expect(stats.residualVariance).toBeLessThan(1.1);
    // sqrt(chi2_K / K) has median near 1.
    const median = stats.distanceQuantiles.find((q) => q.q === 0.5)?.distance ?? 0;
    expect(median).toBeGreaterThan(0.9);
    expect(median).toBeLessThan(1.05);
    expect(stats.unfamiliarAbove).toBeGreaterThan(median);
    const outlier = scale.map(() => 10);
    outlier[5] = 10 + 8; // 8 residual standard deviations off in one feature
    expect(featureDistance(outlier, stats)).toBeGreaterThan(stats.unfamiliarAbove);
  });

  it('quantiles interpolate like numpy', () => {
    expect(quantile([1, 2, 3, 4], 0.5)).toBe(2.5);
    expect(quantile([1, 2, 3, 4], 1)).toBe(4);
  });
});

describe('margin choice', () => {
  it('takes the smallest margin whose calls reach the target accuracy', () => {
    const labels = ['a', 'b'];
    const thresholds = { a: 0.5, b: 0.5 };
    // Confident films are right, close ones are coin tosses.
    const films = [
      { probabilities: [0.95, 0.05], truth: 0 },
      { probabilities: [0.9, 0.1], truth: 0 },
      { probabilities: [0.1, 0.9], truth: 1 },
      { probabilities: [0.625, 0.375], truth: 1 },
      { probabilities: [0.55, 0.45], truth: 0 },
      { probabilities: [0.45, 0.55], truth: 0 },
    ];
    const chosen = chooseMargin(films, labels, thresholds, 0.99);
    // 0.625/0.375 (margin exactly 0.25) is a wrong call up to margin 0.25; 0.26 leaves only right ones.
    expect(chosen.margin).toBe(0.26);
    expect(chosen.calls).toBe(3);
    expect(chosen.correctCalls).toBe(3);
    expect(chosen.reachedTarget).toBe(true);
  });
});
