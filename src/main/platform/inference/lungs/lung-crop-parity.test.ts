/**
 * The `lung-box-square` crop against its Python reference (training/lung_crop.py, used in
 * training): same gray pixels and the same mask (the app's segmenter mask, written as a PNG) give
 * the same tensor. Tolerance as for the plain crop: max abs diff <= 1e-4 in normalised units.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LungBoxSquareCrop, ModelInputSpec } from '../../../../shared/model-manifest';
import { openImage, toModelGray } from '../../imaging';
import { createLungSegmenter } from '../engine';
import { encodeGrayPng } from '../heatmap-image';
import { CXR_IMAGES, DICOM_DIR, PYTHON, REPO_ROOT, SEGMENTER_DIR } from '../testing/test-support';
import { preprocessLungCrop } from './lung-crop';
import type { LungMask } from './postprocess';

const run = promisify(execFile);
const SOURCES = [
  join(CXR_IMAGES, 'cohen-16745_4_1_png.jpg'),
  join(
    CXR_IMAGES,
    'actualmed-CR_1_2_840_113564_1722810170_20200320072856343530_1003000225002_png.jpg',
  ),
  join(CXR_IMAGES, 'nih-nofinding_00001280_004_png.jpg'),
  join(DICOM_DIR, 'wg04_rg1_chest_cr_mono1_15bit_rle.dcm'),
  // Lung-masked by a third party (black outside its mask): what `darkOutside` is for.
  join(
    CXR_IMAGES,
    '../../cxr-extra/images/rsna-lungmasked-000db696-cf54-4385-b10b-6b16fbb3f985.jpg',
  ),
];
/** The crop rule of the bundled v2 classifier, and a variant without the outside fill and margin. */
const LUNG_SPEC: ModelInputSpec = {
  name: 'image',
  layout: 'NCHW',
  height: 192,
  width: 192,
  channels: 1,
  crop: { kind: 'lung-box-square', margin: 0.06, fill: 127.5, outsideLungs: { dilation: 8 } },
  resize: 'area',
  normalization: { scale: 1 / 255, mean: [0.5], std: [0.25] },
};
const VARIANTS: [string, ModelInputSpec][] = [
  ['v2 rule', LUNG_SPEC],
  [
    'no fill, bilinear, wide margin',
    {
      ...LUNG_SPEC,
      resize: 'bilinear',
      crop: { kind: 'lung-box-square', margin: 0.3, fill: 0, outsideLungs: null },
    },
  ],
  [
    'v3 rule: dark pixels filled, lungs standardised',
    {
      ...LUNG_SPEC,
      crop: {
        ...(LUNG_SPEC.crop as LungBoxSquareCrop),
        darkOutside: { below: 10, dilation: 2 },
        standardize: { mean: 127.5, std: 48 },
      },
    },
  ],
];

let scratch: string;
const films: {
  png: string;
  maskPng: string;
  gray: { data: Float32Array; width: number; height: number };
  mask: LungMask;
}[] = [];

beforeAll(async () => {
  scratch = await mkdtemp(join(tmpdir(), 'covidnet-lungcrop-'));
  const { segmenter, dispose } = await createLungSegmenter({ modelDir: SEGMENTER_DIR });
  try {
    for (const source of SOURCES) {
      const image = await openImage(source);
      const frame = await image.decodeFrame(0);
      const quantised = Uint8Array.from(toModelGray(frame, image.metadata), (v) =>
        Math.min(255, Math.max(0, Math.round(v))),
      );
      const gray = { data: Float32Array.from(quantised), width: frame.columns, height: frame.rows };
      const { mask } = await segmenter.segment(gray);
      const png = join(scratch, `${basename(source)}.png`);
      const maskPng = join(scratch, `${basename(source)}.mask.png`);
      await writeFile(png, encodeGrayPng(quantised, gray.width, gray.height));
      await writeFile(
        maskPng,
        encodeGrayPng(
          mask.data.map((v) => v * 255),
          mask.width,
          mask.height,
        ),
      );
      films.push({ png, maskPng, gray, mask });
    }
  } finally {
    await dispose();
  }
}, 180_000);
afterAll(async () => rm(scratch, { recursive: true, force: true }));

describe('lung-crop parity with training/lung_crop.py', () => {
  it.each(VARIANTS)(
    '%s: same pixels and mask give the same tensor',
    async (name, spec) => {
      const manifestJson = join(scratch, `${name.replace(/\W+/g, '-')}.json`);
      await writeFile(manifestJson, JSON.stringify({ input: spec }));
      const out = join(scratch, `py-${name.replace(/\W+/g, '-')}`);
      await run(
        PYTHON,
        [
          join(REPO_ROOT, 'training/lung_crop.py'),
          '--manifest-json',
          manifestJson,
          '--out',
          out,
          ...films.flatMap((f) => ['--mask', f.maskPng]),
          ...films.map((f) => f.png),
        ],
        { env: { ...process.env, OMP_NUM_THREADS: '1' } },
      );
      if (spec.crop.kind !== 'lung-box-square') throw new Error('lung crop expected');
      for (const film of films) {
        const bytes = await readFile(join(out, `${basename(film.png)}.f32`));
        const reference = new Float32Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 4);
        const ours = preprocessLungCrop(film.gray, film.mask, spec.crop, spec);
        expect(ours, basename(film.png)).not.toBeNull();
        expect(ours!.data.length).toBe(reference.length);
        let max = 0;
        let filled = 0;
        for (let i = 0; i < reference.length; i++) {
          max = Math.max(max, Math.abs(ours!.data[i] - reference[i]));
          if (ours!.data[i] === 0) filled++;
        }
        console.info(
          `lung-crop parity ${name} ${basename(film.png)}: max abs diff ${max.toExponential(2)}`,
        );
        expect(max, basename(film.png)).toBeLessThanOrEqual(1e-4);
        // The fill (gray 127.5 = 0 after normalisation) covers what lies outside the dilated lungs.
        if (spec.crop.outsideLungs) expect(filled).toBeGreaterThan(0.1 * reference.length);
      }
    },
    180_000,
  );
});
