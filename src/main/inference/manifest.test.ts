import { describe, expect, it } from 'vitest';
import { CodedError } from '../../shared/errors';
import type { ModelManifest } from '../../shared/model-manifest';
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
