import { execFileSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { DecodedFrame } from '../../../shared/imaging';
import {
  dcmtkDecompressed,
  dcmtkToPnm,
  dicomPath,
  hasTool,
  sharedDataDir,
  withTempDir,
} from '../dicom/testing/test-support';
import { samplesDir } from '../../base/resources';
import { openImage, readDicomdir, renderDisplay8, toModelGray } from './index';

const HAS_DCMTK = hasTool('dcmdump');
if (!HAS_DCMTK) console.warn('dcmtk not installed: DCMTK reference comparisons are skipped');

async function decode(name: string, frame = 0): Promise<DecodedFrame> {
  return (await openImage(dicomPath(name))).decodeFrame(frame);
}

async function codeOf(path: string): Promise<string> {
  try {
    const image = await openImage(path);
    await image.decodeFrame(0);
    return 'decoded';
  } catch (error) {
    return (error as { code: string }).code;
  }
}

function expectSamePixels(a: DecodedFrame, b: DecodedFrame): void {
  expect([a.rows, a.columns, a.kind]).toEqual([b.rows, b.columns, b.kind]);
  if (a.kind === 'rgb') {
    expect(Buffer.compare(Buffer.from(a.rgb ?? []), Buffer.from(b.rgb ?? []))).toBe(0);
    return;
  }
  const x = a.modalityPixels ?? new Float32Array(0);
  const y = b.modalityPixels ?? new Float32Array(0);
  expect(x.length).toBe(y.length);
  let differing = 0;
  for (let i = 0; i < x.length; i++) if (x[i] !== y[i]) differing++;
  expect(differing).toBe(0);
  expect([a.minValue, a.maxValue]).toEqual([b.minValue, b.maxValue]);
}

const EXPECTED_FAILURES: Record<string, string> = {
  'nopixels_rtplan.dcm': 'NO_PIXEL_DATA',
  'nopixels_sr.dcm': 'NO_PIXEL_DATA',
  'odd_meta_missing_transfer_syntax.dcm': 'MISSING_TRANSFER_SYNTAX',
  'odd_mr_truncated.dcm': 'TRUNCATED',
};

describe('every shared DICOM file', () => {
  const files = readdirSync(sharedDataDir('dicom')).filter((f) => f.endsWith('.dcm'));
  it.each(files)('%s decodes every frame or fails with its code', async (name) => {
    const expected = EXPECTED_FAILURES[name];
    if (expected) {
      expect(await codeOf(dicomPath(name))).toBe(expected);
      return;
    }
    const image = await openImage(dicomPath(name));
    for (let f = 0; f < image.metadata.numberOfFrames; f++) {
      const frame = await image.decodeFrame(f);
      expect(frame.rows).toBe(image.metadata.rows);
      if (frame.kind === 'grayscale') {
        expect(Number.isFinite(frame.minValue) && frame.maxValue >= frame.minValue).toBe(true);
        expect(frame.maxValue).toBeGreaterThan(frame.minValue);
      } else {
        expect(frame.rgb?.length).toBe(frame.rows * frame.columns * 3);
      }
    }
  });
});

describe('lossless re-encodings decode to the pixels of their uncompressed sibling', () => {
  const families: [string, string[]][] = [
    [
      'barre_cr_mono1_10bit_chest_explicit_le.dcm',
      [
        'barre_cr_mono1_10bit_chest_nometa_implicitvr.dcm',
        'barre_cr_mono1_10bit_chest_j2k_lossless.dcm',
        'barre_cr_mono1_10bit_chest_jpegls_lossless.dcm',
        'barre_cr_mono1_10bit_chest_rle.dcm',
      ],
    ],
    [
      'nih_cxr_dx_mono2_8bit_implicitvr.dcm',
      [
        'nih_cxr_dx_mono2_8bit_explicit_le.dcm',
        'nih_cxr_dx_mono2_8bit_j2k_lossless.dcm',
        'nih_cxr_dx_mono2_8bit_jpeg_lossless_sv1.dcm',
        'nih_cxr_dx_mono2_8bit_jpegls_lossless.dcm',
        'nih_cxr_dx_mono2_8bit_rle.dcm',
      ],
    ],
    [
      'wg04_rg1_chest_cr_mono1_15bit_explicit_le.dcm',
      [
        'wg04_rg1_chest_cr_mono1_15bit_j2k_lossy.dcm',
        'wg04_rg1_chest_cr_mono1_15bit_jpeg_lossless_sv1.dcm',
        'wg04_rg1_chest_cr_mono1_15bit_rle.dcm',
      ],
    ],
    ['siim_cxr_cr_mono2_8bit_explicit_le.dcm', ['siim_cxr_cr_mono2_8bit_jpegbaseline.dcm']],
    ['mr_small_explicit_big_endian.dcm', ['mr_small_jpegls_lossless.dcm', 'mr_small_rle.dcm']],
    ['ct_small_explicit_le.dcm', ['odd_ct_no_file_meta.dcm']],
  ];
  for (const [reference, siblings] of families) {
    it.each(siblings)(`%s == ${reference}`, async (sibling) => {
      expectSamePixels(await decode(sibling), await decode(reference));
    });
  }
});

describe('pixel values against DCMTK', () => {
  it.skipIf(!HAS_DCMTK).each([
    ['dcmdjpeg', 'nm_jpeg_extended_12bit.dcm'],
    ['dcmdjpeg', 'siim_cxr_cr_mono2_8bit_jpegbaseline.dcm'],
    ['dcmdjpeg', 'us_jpeg_lossless_sv1_8bit.dcm'],
    ['dcmdjpeg', 'odd_ct_jpeg_lossless_bad_sequence.dcm'],
    ['dcmdjpls', 'barre_cr_mono1_10bit_chest_jpegls_lossless.dcm'],
    ['dcmdrle', 'us_palette_color_rle.dcm'],
    ['dcmdrle', 'sc_rgb_rle.dcm'],
    ['dcmdrle', 'wg04_rg1_chest_cr_mono1_15bit_rle.dcm'],
  ])('%s %s: same pixels as DCMTK decompression', async (tool, name) => {
    const ours = await decode(name);
    const theirs = await dcmtkDecompressed(tool, dicomPath(name), async (path) =>
      (await openImage(path)).decodeFrame(0),
    );
    expectSamePixels(ours, theirs);
  });

  it.skipIf(!HAS_DCMTK)(
    'first values and min/max of the 15-bit film match dcm2pnm 16-bit output',
    async () => {
      // Without windowing DCMTK maps the value range linearly to 0..65535 and inverts MONOCHROME1:
      // its output must be a decreasing affine function of our modality values.
      const name = 'wg04_rg1_chest_cr_mono1_15bit_rle.dcm';
      const frame = await decode(name);
      const pnm = dcmtkToPnm('dcm2pnm', ['--no-windowing', '+opw'], dicomPath(name));
      const values = frame.modalityPixels ?? new Float32Array(0);
      expect(pnm.width * pnm.height).toBe(values.length);
      const iMin = values.indexOf(frame.minValue);
      const iMax = values.indexOf(frame.maxValue);
      const slope = (pnm.data[iMax] - pnm.data[iMin]) / (frame.maxValue - frame.minValue);
      expect(slope).toBeLessThan(0);
      let worst = 0;
      for (let i = 0; i < values.length; i += 7) {
        worst = Math.max(
          worst,
          Math.abs(pnm.data[iMin] + slope * (values[i] - frame.minValue) - pnm.data[i]),
        );
      }
      expect(worst).toBeLessThanOrEqual(1);
      expect(Array.from(values.subarray(0, 3))).toEqual([18876, 18518, 18810]);
      expect([frame.minValue, frame.maxValue]).toEqual([803, 26512]);
      expect(pnm.data.reduce((a, b) => Math.max(a, b))).toBe(pnm.data[iMin]);
      expect(pnm.data.reduce((a, b) => Math.min(a, b))).toBe(pnm.data[iMax]);
    },
  );

  it
    .skipIf(!HAS_DCMTK)
    .each([
      'wg04_rg1_chest_cr_mono1_15bit_explicit_le.dcm',
      'ct_small_explicit_le.dcm',
      'odd_siim_cxr_fake_monochrome1_jpegbaseline.dcm',
    ])('%s: display with the first window equals dcm2pnm +Wi 1 (within 1)', async (name) => {
    const image = await openImage(dicomPath(name));
    const frame = await image.decodeFrame(0);
    const hasWindow = image.metadata.windows.length > 0;
    const ours = renderDisplay8(frame, image.metadata, hasWindow ? 'default' : 'full-range');
    const pnm = dcmtkToPnm(
      'dcmj2pnm',
      [hasWindow ? '+Wi' : '+Wm', ...(hasWindow ? ['1'] : []), '+op'],
      dicomPath(name),
    );
    let worst = 0;
    for (let i = 0; i < ours.length; i++) worst = Math.max(worst, Math.abs(ours[i] - pnm.data[i]));
    expect(worst).toBeLessThanOrEqual(1);
  });
});

describe('encodings made by DCMTK in the test decode like DCMTK decodes them', () => {
  const cases: [string, string[], string, string][] = [
    [
      'JPEG extended 12-bit (chest CR)',
      ['dcmcjpeg', '+ee'],
      'dcmdjpeg',
      'barre_cr_mono1_10bit_chest_explicit_le.dcm',
    ],
    [
      'JPEG lossless, predictor 6 (non-SV1)',
      ['dcmcjpeg', '+el', '+sv', '6'],
      'dcmdjpeg',
      'nih_cxr_dx_mono2_8bit_explicit_le.dcm',
    ],
    [
      'JPEG lossless, predictor 7, 16-bit',
      ['dcmcjpeg', '+el', '+sv', '7'],
      'dcmdjpeg',
      'mr_small_explicit_big_endian.dcm',
    ],
    [
      'JPEG-LS near-lossless',
      ['dcmcjpls', '+en', '+md', '3'],
      'dcmdjpls',
      'barre_cr_mono1_10bit_chest_explicit_le.dcm',
    ],
    [
      'JPEG progressive (retired 1.2.840.10008.1.2.4.55)',
      ['dcmcjpeg', '+ep'],
      'dcmdjpeg',
      'nih_cxr_dx_mono2_8bit_explicit_le.dcm',
    ],
  ];
  it.skipIf(!HAS_DCMTK).each(cases)('%s', (_label, encoder, decoder, source) =>
    withTempDir(async (dir) => {
      const encoded = join(dir, 'encoded.dcm');
      execFileSync(encoder[0], [...encoder.slice(1), dicomPath(source), encoded], {
        stdio: 'pipe',
      });
      const ours = await (await openImage(encoded)).decodeFrame(0);
      const theirs = await dcmtkDecompressed(decoder, encoded, async (path) =>
        (await openImage(path)).decodeFrame(0),
      );
      expectSamePixels(ours, theirs);
    }),
  );
});

describe('pixel pipeline', () => {
  it('MONOCHROME1 film shows bone bright: spine column brighter than the lung fields', async () => {
    const image = await openImage(dicomPath('wg04_rg1_chest_cr_mono1_15bit_j2k_lossy.dcm'));
    const frame = await image.decodeFrame(0);
    for (const display of [
      renderDisplay8(frame, image.metadata),
      Uint8Array.from(toModelGray(frame, image.metadata)),
    ]) {
      const mean = (x0: number, x1: number): number => {
        let sum = 0;
        let count = 0;
        for (let y = Math.floor(frame.rows * 0.3); y < frame.rows * 0.6; y++) {
          for (let x = Math.floor(frame.columns * x0); x < frame.columns * x1; x++) {
            sum += display[y * frame.columns + x];
            count++;
          }
        }
        return sum / count;
      };
      const spine = mean(0.47, 0.53);
      const lungs = (mean(0.2, 0.3) + mean(0.7, 0.8)) / 2;
      expect(spine).toBeGreaterThan(lungs + 20);
    }
  });

  it('fake MONOCHROME1 is the inverse of its MONOCHROME2 original', async () => {
    const mono2 = await openImage(dicomPath('siim_cxr_cr_mono2_8bit_jpegbaseline.dcm'));
    const mono1 = await openImage(dicomPath('odd_siim_cxr_fake_monochrome1_jpegbaseline.dcm'));
    const a = toModelGray(await mono2.decodeFrame(0), mono2.metadata);
    const b = toModelGray(await mono1.decodeFrame(0), mono1.metadata);
    for (let i = 0; i < a.length; i += 997) expect(b[i]).toBe(255 - a[i]);
  });

  it('8-bit MONOCHROME2 without a window goes to the model as stored', async () => {
    const image = await openImage(dicomPath('nih_cxr_dx_mono2_8bit_rle.dcm'));
    const frame = await image.decodeFrame(0);
    expect(Array.from(toModelGray(frame, image.metadata).subarray(0, 3))).toEqual([199, 175, 152]);
  });

  it('Modality LUT Sequence replaces rescale', async () => {
    const image = await openImage(dicomPath('ot_modality_lut_sequence.dcm'));
    expect(image.metadata.hasModalityLutSequence).toBe(true);
    const frame = await image.decodeFrame(0);
    // Stored 0x0fff (signed 12-bit: -1) maps through the LUT (first mapped -2048) to entry 2047,
    // which dcmdump +L shows as 32759.
    expect(frame.modalityPixels?.[0]).toBe(32759);
  });

  it('signed JPEG 2000 data whose codestream says unsigned decodes as pydicom does', async () => {
    const frame = await decode('odd_ct_j2k_pixelrep_mismatch.dcm');
    expect(frame.modalityPixels?.[0]).toBe(-2000);
    expect(frame.minValue).toBe(-2000);
  });

  it('pixel padding is masked and excluded from min/max', async () => {
    const image = await openImage(dicomPath('ct_16bit_j2k_lossless.dcm'));
    const frame = await image.decodeFrame(0);
    expect(image.metadata.pixelPaddingValue).toBeDefined();
    expect(frame.paddingMask?.[0]).toBe(1);
    expect(frame.modalityPixels?.[0]).toBeLessThan(frame.minValue);
  });

  it('float pixel data, multiple frames, palette and YBR colour decode', async () => {
    const float = await openImage(dicomPath('pm_float32.dcm'));
    expect(float.metadata.floatPixelData).toBe(true);
    expect((await float.decodeFrame(0)).modalityPixels?.[0]).toBeCloseTo(0.920127809, 6);
    const us = await openImage(dicomPath('us_multiframe_ybr_jpeg_baseline.dcm'));
    expect(us.metadata.numberOfFrames).toBe(30);
    const last = await us.decodeFrame(29);
    expect(last.kind).toBe('rgb');
    await expect(us.decodeFrame(30)).rejects.toMatchObject({ code: 'FRAME_OUT_OF_RANGE' });
  });

  it('metadata: patient, study, view, spacing, windows with explanations, character set', async () => {
    const { metadata } = await openImage(
      dicomPath('wg04_rg1_chest_cr_mono1_15bit_explicit_le.dcm'),
    );
    expect(metadata).toMatchObject({
      sourceKind: 'dicom',
      modality: 'CR',
      rows: 1955,
      columns: 1841,
      bitsStored: 15,
      photometricInterpretation: 'MONOCHROME1',
      windows: [{ center: 15000, width: 30000 }],
    });
    const ct = (await openImage(dicomPath('odd_ct_j2k_pixelrep_mismatch.dcm'))).metadata;
    expect(ct.windows.map((w) => [w.center, w.width])).toEqual([
      [40, 100],
      [40, 100],
      [40, 200],
    ]);
    expect(ct.pixelSpacing).toEqual([0.431, 0.431]);
    const nih = (await openImage(dicomPath('nih_cxr_dx_mono2_8bit_explicit_le.dcm'))).metadata;
    expect(nih.patientId).toBe('Covid0000');
  });
});

describe('resources/samples', () => {
  const dir = samplesDir();
  it.each(readdirSync(dir).filter((f) => !f.endsWith('.md')))(
    '%s opens and decodes',
    async (name) => {
      expect(await codeOf(join(dir, name))).toBe('decoded');
    },
  );
});

describe('DICOMDIR', () => {
  const dir = sharedDataDir('dicom', 'dicomdir_set');
  it.each(['DICOMDIR', 'DICOMDIR-bigEnd', 'DICOMDIR-implicit', 'DICOMDIR-reordered'])(
    '%s lists the referenced images with their context, and every one decodes',
    async (name) => {
      const entries = await readDicomdir(`${dir}/${name}`);
      const reference = await readDicomdir(`${dir}/DICOMDIR`);
      expect(entries.length).toBe(31);
      expect(entries.map((e) => e.filePath).sort()).toEqual(
        reference.map((e) => e.filePath).sort(),
      );
      expect(entries.every((e) => e.recordType === 'IMAGE')).toBe(true);
      expect(new Set(entries.map((e) => e.patientName))).toEqual(
        new Set(['Doe Archibald', 'Doe Peter']),
      );
      for (const entry of entries) {
        expect(entry.filePath.startsWith(dir)).toBe(true);
        expect(entry.studyInstanceUid).toBeTruthy();
        expect(await codeOf(entry.filePath)).toBe('decoded');
      }
    },
  );

  it('a DICOMDIR whose item lengths overrun the file is refused with DICOMDIR_INVALID', async () => {
    // DICOMDIR-nooffset had elements removed without fixing the enclosing lengths; DCMTK tolerates
    // it, dicom-parser does not.
    await expect(readDicomdir(`${dir}/DICOMDIR-nooffset`)).rejects.toMatchObject({
      code: 'DICOMDIR_INVALID',
    });
  });

  it('empty and patient-less variants', async () => {
    expect(await readDicomdir(`${dir}/DICOMDIR-empty.dcm`)).toEqual([]);
    const nopatient = await readDicomdir(`${dir}/DICOMDIR-nopatient`);
    expect(nopatient.length).toBeGreaterThan(0);
  });
});
