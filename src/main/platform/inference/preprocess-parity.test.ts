/**
 * Parity with the reference preprocessing (training/preprocess.py, PyTorch). Both sides get the
 * same gray pixels: the TypeScript imaging module decodes each file (JPEG, and a DICOM the Python
 * side cannot read) and writes its model gray image as an 8-bit PNG; Python preprocesses the PNG,
 * TypeScript the same 8-bit values. Tolerance: max abs diff <= 1e-4 in normalised units (about
 * 0.006 gray levels), for both `area` and `bilinear`; float64 sums here vs float32 in torch.
 * A second check runs Python on the original JPEGs (PIL's decoder vs ours), same bound.
 * Measured: area 4.8e-7, bilinear <= 3.7e-5, JPEG end to end 4.8e-7.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ModelInputSpec } from '../../../shared/model-manifest';
import { openImage, toModelGray } from '../imaging';
import { encodeGrayPng } from './heatmap-image';
import { loadModelManifest } from './manifest';
import { preprocessGray, type GrayImage } from './preprocess';
import { CXR_IMAGES, DICOM_DIR, PYTHON, REPO_ROOT, V1_MODEL_DIR } from './testing/test-support';

const run = promisify(execFile);

const SOURCES = [
  join(CXR_IMAGES, 'cohen-16745_4_1_png.jpg'), // portrait
  join(
    CXR_IMAGES,
    'actualmed-CR_1_2_840_113564_1722810170_20200320072856343530_1003000225002_png.jpg',
  ), // landscape
  join(CXR_IMAGES, 'nih-nofinding_00001280_004_png.jpg'),
  join(DICOM_DIR, 'wg04_rg1_chest_cr_mono1_15bit_rle.dcm'), // 15-bit MONOCHROME1 CR, 1841x1955
];

let scratch: string;
let spec: ModelInputSpec;
const grays = new Map<string, GrayImage>();

async function decodeGray8(path: string): Promise<GrayImage> {
  const image = await openImage(path);
  const frame = await image.decodeFrame(0);
  const gray = toModelGray(frame, image.metadata);
  return { data: gray, width: frame.columns, height: frame.rows };
}

function quantise(gray: GrayImage): Uint8Array {
  return Uint8Array.from(gray.data, (v) => Math.min(255, Math.max(0, Math.round(v))));
}

async function pythonTensors(
  manifestJson: string,
  files: string[],
  out: string,
): Promise<Map<string, Float32Array>> {
  await run(
    PYTHON,
    [
      join(REPO_ROOT, 'training/preprocess.py'),
      '--manifest-json',
      manifestJson,
      '--out',
      out,
      ...files,
    ],
    {
      env: { ...process.env, OMP_NUM_THREADS: '1' },
    },
  );
  const tensors = new Map<string, Float32Array>();
  for (const file of files) {
    const bytes = await readFile(join(out, `${basename(file)}.f32`));
    tensors.set(file, new Float32Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 4));
  }
  return tensors;
}

function maxAbsDiff(a: Float32Array, b: Float32Array): number {
  expect(a.length).toBe(b.length);
  let max = 0;
  for (let i = 0; i < a.length; i++) max = Math.max(max, Math.abs(a[i] - b[i]));
  return max;
}

beforeAll(async () => {
  scratch = await mkdtemp(join(tmpdir(), 'covidnet-parity-'));
  spec = (await loadModelManifest(V1_MODEL_DIR)).manifest.input;
  for (const source of SOURCES) {
    const gray = await decodeGray8(source);
    const png = join(scratch, `${basename(source)}.png`);
    await writeFile(png, encodeGrayPng(quantise(gray), gray.width, gray.height));
    grays.set(png, {
      data: Float32Array.from(quantise(gray)),
      width: gray.width,
      height: gray.height,
    });
  }
}, 120_000);
afterAll(async () => {
  await rm(scratch, { recursive: true, force: true });
});

describe('preprocessing parity with training/preprocess.py', () => {
  it.each(['area', 'bilinear'] as const)(
    '%s: same gray pixels give the same tensor (max abs diff <= 1e-4)',
    async (resize) => {
      const manifestJson = join(scratch, `model-${resize}.json`);
      const manifest = JSON.parse(await readFile(join(V1_MODEL_DIR, 'model.json'), 'utf8')) as {
        input: ModelInputSpec;
      };
      manifest.input.resize = resize;
      await writeFile(manifestJson, JSON.stringify(manifest));
      const out = join(scratch, `py-${resize}`);
      const pngs = [...grays.keys()];
      const reference = await pythonTensors(manifestJson, pngs, out);
      for (const png of pngs) {
        const ours = preprocessGray(grays.get(png) as GrayImage, { ...spec, resize });
        const diff = maxAbsDiff(ours.data, reference.get(png) as Float32Array);
        console.info(`parity ${resize} ${basename(png)}: max abs diff ${diff.toExponential(2)}`);
        expect(diff, `${basename(png)} (${resize})`).toBeLessThanOrEqual(1e-4);
      }
    },
    120_000,
  );

  it('whole pipeline from the JPEG files agrees with PIL decoding (max abs diff <= 1e-4)', async () => {
    const jpegs = SOURCES.filter((s) => s.endsWith('.jpg'));
    const reference = await pythonTensors(
      join(V1_MODEL_DIR, 'model.json'),
      jpegs,
      join(scratch, 'py-jpeg'),
    );
    for (const jpeg of jpegs) {
      const ours = preprocessGray(await decodeGray8(jpeg), spec);
      // The imaging module's JPEG decode is pixel-identical to PIL's (its own tests), so the same bound holds.
      const diff = maxAbsDiff(ours.data, reference.get(jpeg) as Float32Array);
      console.info(
        `parity decode+preprocess ${basename(jpeg)}: max abs diff ${diff.toExponential(2)}`,
      );
      expect(diff, basename(jpeg)).toBeLessThanOrEqual(1e-4);
    }
  }, 120_000);
});
