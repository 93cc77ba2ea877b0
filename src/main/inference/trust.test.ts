import { describe, expect, it } from 'vitest';
import type { ModelFeatureStatistics, ModelManifest } from '../../shared/model-manifest';
import { decideVerdict, type FamiliarityMeasure } from '../../shared/verdict';
import {
  applySiteCalibration,
  calibratedProbabilities,
  featureDistance,
  pooledFeatures,
  softmax,
  trustedScores,
} from './trust';

const LABELS = ['normal', 'pneumonia', 'COVID-19'];
const FAMILIAR: FamiliarityMeasure = {
  distance: 0.9,
  limit: 2,
  segmenterConfidence: 0.9,
  minSegmenterConfidence: 0.5,
};

/** The fields of a manifest the trust computations read. */
function manifestWith(extra: Partial<ModelManifest>): ModelManifest {
  return {
    labels: LABELS,
    thresholds: { normal: 0.5, pneumonia: 0.5, 'COVID-19': 0.5 },
    outputs: { probabilities: 'probabilities', logits: 'logits', features: 'features' },
    ...extra,
  } as ModelManifest;
}

describe('temperature scaling', () => {
  it('is softmax(logits / T), worked by hand', () => {
    // logits (2, 0, 0), T = 2: exp(1) / (exp(1) + 2) = 2.71828 / 4.71828 = 0.576117
    const p = softmax([2, 0, 0], 2);
    expect(p[0]).toBeCloseTo(0.576117, 6);
    expect(p[1]).toBeCloseTo(0.211942, 6);
    expect(p[0] + p[1] + p[2]).toBeCloseTo(1, 12);
    // T = 1 is the plain softmax, and large logits do not overflow.
    expect(softmax([1000, 0])[0]).toBeCloseTo(1, 12);
  });

  it('uses the logits when calibrated, the graph probabilities when not', () => {
    const outputs = { probabilities: [0.1, 0.2, 0.7, 0.3, 0.3, 0.4], logits: [0, 1, 3, 3, 0, 0] };
    const calibration = { method: 'temperature' as const, temperature: 1.5, fitted_on: 'test' };
    expect(calibratedProbabilities(undefined, outputs, 3, 1)).toEqual([0.3, 0.3, 0.4]);
    expect(calibratedProbabilities(calibration, outputs, 3, 1)).toEqual(softmax([3, 0, 0], 1.5));
    expect(() => calibratedProbabilities(calibration, { probabilities: [1] }, 3)).toThrow(/logits/);
  });
});

describe('feature familiarity', () => {
  it('pools [N, K, h, w] by channel and image', () => {
    // 2 images, K = 2, 2x1 maps.
    const features = [1, 3, 10, 20, 5, 7, -1, 1];
    expect(Array.from(pooledFeatures(features, 2, 0, 2))).toEqual([2, 15]);
    expect(Array.from(pooledFeatures(features, 2, 1, 2))).toEqual([6, 0]);
  });

  it('is the PCA-Mahalanobis distance of the manifest formula, worked by hand', () => {
    const stats: ModelFeatureStatistics = {
      method: 'pca-mahalanobis',
      pooledFrom: 'features-global-average',
      dimension: 2,
      mean: [1, 1],
      components: [[1, 0]],
      variances: [4],
      residualVariance: 0.25,
      distanceQuantiles: [],
      unfamiliarAbove: 3,
      fitted_on: 'hand',
    };
    // x - m = (2, 1): p = 2 -> 4/4 = 1; residual (0, 1) -> 1/0.25 = 4; sqrt(5)/sqrt(2)
    expect(featureDistance([3, 2], stats)).toBeCloseTo(Math.sqrt(5 / 2), 12);
    expect(featureDistance([1, 1], stats)).toBe(0);
  });
});

describe('the verdict on hand-made logits', () => {
  const calibrated = manifestWith({
    calibration: { method: 'temperature', temperature: 2, fitted_on: 'hand' },
    verdictRule: { margin: 0.2, chosenOn: 'hand' },
  });

  it('calls a clear leader, after the temperature', () => {
    // softmax((4, 0, 0) / 2) = (0.7870, 0.1065, 0.1065): 0.68 ahead -> call
    const scores = trustedScores(
      calibrated,
      { logits: [4, 0, 0], probabilities: [0, 0, 0] },
      0.9,
      null,
    );
    expect(scores.probabilities[0]).toBeCloseTo(0.78699, 4);
    expect(scores.verdict.kind).toBe('call');
    expect(scores.verdict.label).toBe('normal');
    expect(scores.calibration?.temperature).toBe(2);
  });

  it('is uncertain when the temperature brings the leader within the margin', () => {
    // Raw softmax of (1, 0.2, -2) leads by 0.37; at T = 2 the margin is 0.17 < 0.2.
    const raw = softmax([1, 0.2, -2]);
    expect(raw[0] - raw[1]).toBeGreaterThan(0.2);
    const scores = trustedScores(
      calibrated,
      { logits: [1, 0.2, -2], probabilities: raw },
      0.9,
      null,
    );
    expect(scores.verdict.kind).toBe('uncertain');
    expect(scores.verdict.margin).toBeLessThan(0.2);
    expect(scores.verdict.reason).toMatch(/leads by only/);
    // The same logits on an uncalibrated model (graph probabilities) are a call.
    const uncalibrated = trustedScores(manifestWith({}), { probabilities: raw }, 0.9, null);
    expect(uncalibrated.verdict.kind).toBe('call');
    expect(uncalibrated.calibration).toBeNull();
  });

  it('is uncertain when no class reaches its threshold', () => {
    const verdict = decideVerdict({
      labels: LABELS,
      probabilities: softmax([0.4, 0.2, 0]),
      thresholds: { normal: 0.5, pneumonia: 0.5, 'COVID-19': 0.5 },
      margin: 0,
      familiarity: FAMILIAR,
    });
    expect(verdict.kind).toBe('uncertain');
    expect(verdict.reason).toBe('normal leads at 0.40, below the 0.500 a call needs.');
  });

  it("calls only when the top probability reaches the rule's minimum, named with 3 digits", () => {
    const rule = {
      labels: LABELS,
      thresholds: { normal: 0.5, pneumonia: 0.5, 'COVID-19': 0.5 },
      margin: 0,
      minProbability: 0.785,
      familiarity: FAMILIAR,
    };
    const called = decideVerdict({ ...rule, probabilities: [0.8, 0.15, 0.05] });
    expect(called).toMatchObject({ kind: 'call', label: 'normal' });
    expect(called.reason).toBe('normal at 0.80; a call needs 0.785.');
    const below = decideVerdict({ ...rule, probabilities: [0.78, 0.17, 0.05] });
    expect(below.kind).toBe('uncertain');
    expect(below.reason).toBe('normal leads at 0.78, below the 0.785 a call needs.');
  });

  it('is unfamiliar far from the training features or with a low segmenter confidence, unless confidently called', () => {
    const stats: ModelFeatureStatistics = {
      method: 'pca-mahalanobis',
      pooledFrom: 'features-global-average',
      dimension: 1,
      mean: [0],
      components: [[1]],
      variances: [1],
      residualVariance: 1,
      distanceQuantiles: [],
      unfamiliarAbove: 3,
      minSegmenterConfidence: 0.6,
      fitted_on: 'hand',
    };
    const model = manifestWith({ featureStatistics: stats });
    const confident = { probabilities: [0.98, 0.01, 0.01] };
    // features: [N=1, K=1, 1, 1]
    const near = trustedScores(model, { ...confident, features: [2] }, 0.9, null);
    expect(near.verdict.kind).toBe('call');
    expect(near.verdict.familiarity.distance).toBe(2);
    // A confident call stays a call on an unusual film: the familiarity travels with it.
    const farButSure = trustedScores(model, { ...confident, features: [5] }, 0.9, null);
    expect(farButSure.verdict.kind).toBe('call');
    expect(farButSure.verdict.familiarity.distance).toBe(5);
    const unsure = { probabilities: [0.55, 0.4, 0.05] };
    const far = trustedScores(model, { ...unsure, features: [5] }, 0.9, null);
    expect(far.verdict.kind).toBe('unfamiliar');
    expect(far.verdict.reason).toBe(
      'it looks unlike the films the model was trained on (feature distance 5.00, limit 3.00).',
    );
    const faint = trustedScores(model, { ...unsure, features: [0] }, 0.4, null);
    expect(faint.verdict.kind).toBe('unfamiliar');
    expect(faint.verdict.reason).toMatch(/low confidence/);
  });

  it('applies a site operating point and names it', () => {
    const point = { profileName: 'Clinic A', label: 'COVID-19', threshold: 0.3 };
    const scores = trustedScores(
      manifestWith({}),
      { probabilities: [0.5, 0.15, 0.35] },
      0.9,
      point,
    );
    expect(scores.verdict.kind).toBe('call');
    expect(scores.verdict.label).toBe('COVID-19');
    expect(scores.verdict.operatingPoint).toEqual(point);
    expect(scores.verdict.reason).toMatch(/Clinic A/);
  });

  it('applies a site recalibration once, after the model, and decides the verdict on it', () => {
    // A calibration-only profile: T = 2 and a shift towards pneumonia; no threshold of its own.
    const calibration = {
      method: 'temperature-and-prior-shift' as const,
      temperature: 2,
      biases: [0, Math.log(2), 0],
    };
    const point = { profileName: 'Site B', label: null, threshold: null, calibration };
    const model = manifestWith({});
    const outputs = { probabilities: [0.81, 0.09, 0.1] };
    const plain = trustedScores(model, outputs, 0.9, null);
    const site = trustedScores(model, outputs, 0.9, point);
    // q ~ p^(1/2) * exp(b): (0.9, 0.3 * 2, 0.316) normalised.
    const raw = [0.9, 0.3 * 2, Math.sqrt(0.1)];
    const sum = raw.reduce((a, b) => a + b, 0);
    site.probabilities.forEach((q, c) => expect(q).toBeCloseTo(raw[c] / sum, 10));
    expect(applySiteCalibration(plain.probabilities, calibration)).toEqual(site.probabilities);
    // The model alone calls normal; recalibrated, the margin is too small: uncertain.
    expect(plain.verdict.kind).toBe('call');
    expect(site.verdict.kind).toBe('uncertain');
    expect(site.verdict.operatingPoint?.calibration).toEqual(calibration);
  });
});
