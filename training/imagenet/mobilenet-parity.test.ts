/**
 * The ImageNet start of v3: the MobileNetV2 shipped in nsfwjs@4.3.0 (tfjs layers, fetched from the
 * npm registry at training time) converted to torchvision's layout by mobilenet_v2.py must give
 * the same pooled features as tfjs itself (pure-JS CPU backend) on a real chest film.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import * as tfl from '@tensorflow/tfjs-layers';
import jpeg from 'jpeg-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const repo = resolve(__dirname, '../..');
const modelDir = join(repo, 'training/cache/nsfwjs/package/dist/models/mobilenet_v2');
const film = join(repo, '../shared/data/cxr/images');
const SIZE = 224;

/** Nearest-neighbour 224x224 RGB in [0, 1] of a gray JPEG: both networks get these exact numbers. */
function inputOf(path: string): Float32Array {
  const image = jpeg.decode(readFileSync(path), { useTArray: true });
  const out = new Float32Array(SIZE * SIZE * 3);
  for (let y = 0; y < SIZE; y++) {
    for (let x = 0; x < SIZE; x++) {
      const sx = Math.floor(((x + 0.5) * image.width) / SIZE);
      const sy = Math.floor(((y + 0.5) * image.height) / SIZE);
      const v = image.data[(sy * image.width + sx) * 4] / 255;
      out.set([v, v, v], (y * SIZE + x) * 3);
    }
  }
  return out;
}

async function tfjsPooledFeatures(input: Float32Array): Promise<Float32Array> {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const spec = require(join(modelDir, 'model.min.js')) as {
    modelTopology: object;
    weightsManifest: { weights: tf.io.WeightsManifestEntry[] }[];
  };
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const shard = Buffer.from(require(join(modelDir, 'group1-shard1of1.min.js')) as string, 'base64');
  const model = await tfl.loadLayersModel(
    tf.io.fromMemory({
      modelTopology: spec.modelTopology,
      weightSpecs: spec.weightsManifest.flatMap((group) => group.weights),
      weightData: shard.buffer.slice(shard.byteOffset, shard.byteOffset + shard.length),
    }),
  );
  const backbone = tfl.model({ inputs: model.inputs, outputs: model.getLayer('out_relu').output });
  const features = backbone.predict(tf.tensor4d(input, [1, SIZE, SIZE, 3])) as tf.Tensor4D;
  return (await tf.mean(features, [1, 2]).data()) as Float32Array;
}

describe('ImageNet MobileNetV2 conversion (nsfwjs tfjs -> torchvision layout)', () => {
  let work: string;
  beforeAll(() => {
    execFileSync('bash', [join(repo, 'training/imagenet/fetch_nsfwjs.sh')], { stdio: 'pipe' });
    work = mkdtempSync(join(tmpdir(), 'mobilenet-parity-'));
  }, 300_000);
  afterAll(() => rmSync(work, { recursive: true, force: true }));

  it('reproduces tfjs pooled features on a real chest film (cosine > 0.9999)', async () => {
    await tf.setBackend('cpu');
    const input = inputOf(join(film, 'nih-nofinding_00001280_004_png.jpg'));
    const expected = await tfjsPooledFeatures(input);
    const inputFile = join(work, 'input.f32');
    const outFile = join(work, 'pooled.f32');
    writeFileSync(inputFile, Buffer.from(input.buffer));
    execFileSync('/usr/bin/python3', [join(repo, 'training/imagenet/mobilenet_v2.py'), '--check', inputFile, '--out', outFile]);
    const got = new Float32Array(new Uint8Array(readFileSync(outFile)).buffer);
    expect(got.length).toBe(1280);
    let dot = 0;
    let a2 = 0;
    let b2 = 0;
    let maxDiff = 0;
    for (let i = 0; i < got.length; i++) {
      dot += got[i] * expected[i];
      a2 += got[i] ** 2;
      b2 += expected[i] ** 2;
      maxDiff = Math.max(maxDiff, Math.abs(got[i] - expected[i]));
    }
    const cosine = dot / Math.sqrt(a2 * b2);
    expect(cosine).toBeGreaterThan(0.9999);
    expect(maxDiff).toBeLessThan(1e-3 * Math.max(...expected.map(Math.abs)));
  }, 300_000);
});
