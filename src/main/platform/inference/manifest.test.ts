import { describe, expect, it } from 'vitest';
import { CodedError } from '../../../shared/errors';
import type { ModelManifest } from '../../../shared/model-manifest';
import { compareGraphWithManifest, parseModelManifest, type GraphSignature } from './manifest';

const manifest: ModelManifest = {
  schema: 'covidnet-workstation/model-manifest@1',
  id: 'm',
  name: 'M',
  version: '1',
  file: 'model.onnx',
  sha256: 'a'.repeat(64),
  input: {
    name: 'image',
    layout: 'NCHW',
    height: 224,
    width: 224,
    channels: 1,
    crop: { kind: 'top-fraction-then-center-square', topFraction: 0.08 },
    resize: 'area',
    normalization: { scale: 1 / 255, mean: [0.5], std: [0.25] },
  },
  outputs: { probabilities: 'probabilities', logits: 'logits' },
  labels: ['normal', 'pneumonia', 'COVID-19'],
  heatmap: { kind: 'class-activation', output: 'cam' },
  thresholds: { 'COVID-19': 0.5 },
  intendedUse: 'research',
  provenance: {
    trainedBy: 't',
    trainingData: 'd',
    trainingDataLicence: 'l',
    command: 'c',
    split: 's',
    seed: 0,
    createdAt: 'now',
  },
};

const graph: GraphSignature = {
  inputs: [{ name: 'image', type: 'float32', shape: ['N', 1, 224, 224] }],
  outputs: [
    { name: 'probabilities', type: 'float32', shape: ['N', 3] },
    { name: 'logits', type: 'float32', shape: ['N', 3] },
    { name: 'cam', type: 'float32', shape: ['N', 3, 7, 7] },
  ],
};

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (error) {
    return error instanceof CodedError ? error.code : 'not coded';
  }
  return undefined;
}

describe('parseModelManifest', () => {
  it('accepts a complete manifest', () => {
    expect(parseModelManifest(JSON.parse(JSON.stringify(manifest))).id).toBe('m');
  });
  it('refuses a malformed one, naming the fields', () => {
    const broken = { ...manifest, input: { ...manifest.input, layout: 'CHW' }, sha256: 'xyz' };
    expect(codeOf(() => parseModelManifest(broken))).toBe('MODEL_MANIFEST_INVALID');
    expect(() => parseModelManifest(broken)).toThrow(/input\.layout.*sha256|sha256.*input\.layout/);
  });
  it('refuses thresholds for unknown labels and a graph file outside the folder', () => {
    expect(() => parseModelManifest({ ...manifest, thresholds: { flu: 0.5 } })).toThrow(
      /thresholds\.flu/,
    );
    expect(() => parseModelManifest({ ...manifest, file: '../x.onnx' })).toThrow(/file/);
  });
});

describe('compareGraphWithManifest', () => {
  it('finds nothing when they agree', () => {
    expect(compareGraphWithManifest(manifest, graph)).toEqual([]);
  });
  it('names a wrong input name, size, label count and a missing output', () => {
    expect(
      compareGraphWithManifest({ ...manifest, input: { ...manifest.input, name: 'x' } }, graph)[0],
    ).toMatch(/input "x" is not in the graph \(graph inputs: image\)/);
    expect(
      compareGraphWithManifest(
        { ...manifest, input: { ...manifest.input, height: 480 } },
        graph,
      )[0],
    ).toMatch(/H=480/);
    const fourLabels = compareGraphWithManifest(
      { ...manifest, labels: [...manifest.labels, 'other'] },
      graph,
    );
    expect(fourLabels.join('\n')).toMatch(
      /probabilities output "probabilities" has 3 classes.*4 labels/,
    );
    expect(fourLabels.join('\n')).toMatch(/heatmap output "cam" has 3 classes/);
    expect(
      compareGraphWithManifest(
        { ...manifest, heatmap: { kind: 'class-activation', output: 'gradcam' } },
        graph,
      )[0],
    ).toMatch(/heatmap output "gradcam" is not in the graph/);
  });
});

describe('calibration, feature statistics and verdict rule', () => {
  const stats = {
    method: 'pca-mahalanobis',
    pooledFrom: 'features-global-average',
    dimension: 4,
    mean: [0, 0, 0, 0],
    components: [[1, 0, 0, 0]],
    variances: [2],
    residualVariance: 1,
    distanceQuantiles: [{ q: 0.5, distance: 1 }],
    unfamiliarAbove: 2.5,
    fitted_on: 'test films',
  };
  const trusted = {
    ...manifest,
    outputs: { probabilities: 'probabilities', logits: 'logits', features: 'features' },
    calibration: { method: 'temperature', temperature: 1.5, fitted_on: 'calibration films' },
    featureStatistics: stats,
    verdictRule: { margin: 0.3, chosenOn: 'calibration films' },
  };
  const message = (json: unknown): string => {
    try {
      parseModelManifest(json);
    } catch (error) {
      return (error as Error).message;
    }
    return '';
  };

  it('accepts them together and keeps every field', () => {
    const parsed = parseModelManifest(JSON.parse(JSON.stringify(trusted)));
    expect(parsed.calibration?.temperature).toBe(1.5);
    expect(parsed.featureStatistics?.components).toEqual([[1, 0, 0, 0]]);
    expect(parsed.verdictRule?.margin).toBe(0.3);
  });

  it('refuses a temperature without logits, a bad temperature and a margin above 1', () => {
    const { logits: _dropped, ...noLogits } = trusted.outputs;
    expect(message({ ...trusted, outputs: noLogits })).toMatch(
      /calibration: temperature scaling needs outputs\.logits/,
    );
    expect(
      message({ ...trusted, calibration: { ...trusted.calibration, temperature: 0 } }),
    ).toMatch(/calibration\.temperature/);
    expect(
      message({ ...trusted, calibration: { ...trusted.calibration, method: 'platt' } }),
    ).toMatch(/calibration\.method/);
    expect(message({ ...trusted, verdictRule: { margin: 1.5, chosenOn: 'x' } })).toMatch(
      /verdictRule\.margin/,
    );
  });

  it('refuses feature statistics whose sizes disagree, or that lack a features output', () => {
    expect(message({ ...trusted, featureStatistics: { ...stats, mean: [0, 0, 0] } })).toMatch(
      /featureStatistics\.mean: has 3 values; dimension is 4/,
    );
    expect(message({ ...trusted, featureStatistics: { ...stats, components: [[1, 0]] } })).toMatch(
      /featureStatistics\.components\.0: has 2 values; dimension is 4/,
    );
    expect(message({ ...trusted, featureStatistics: { ...stats, variances: [2, 1] } })).toMatch(
      /featureStatistics\.variances: has 2 values; one per component \(1\)/,
    );
    expect(message({ ...trusted, featureStatistics: { ...stats, variances: [0] } })).toMatch(
      /featureStatistics\.variances/,
    );
    const { features: _dropped, ...noFeatures } = trusted.outputs;
    expect(message({ ...trusted, outputs: noFeatures })).toMatch(
      /featureStatistics: feature statistics need outputs\.features/,
    );
  });

  it('refuses a graph whose features output has another channel count', () => {
    const parsed = parseModelManifest(JSON.parse(JSON.stringify(trusted)));
    const withFeatures = (channels: number): GraphSignature => ({
      ...graph,
      outputs: [
        ...graph.outputs,
        { name: 'features', type: 'float32', shape: ['N', channels, 7, 7] },
      ],
    });
    expect(compareGraphWithManifest(parsed, withFeatures(4))).toEqual([]);
    expect(compareGraphWithManifest(parsed, withFeatures(512)).join('; ')).toMatch(
      /features output "features" has 512 channels \[N, 512, 7, 7\], but featureStatistics\.dimension is 4/,
    );
  });
});
