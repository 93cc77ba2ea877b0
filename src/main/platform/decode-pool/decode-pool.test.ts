import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { DICOM_DIR } from '../inference/testing/test-support';
import { createDecodePool, defaultDecodePoolSize } from './pool';
import { decodeForModel, renderThumbnail } from './tasks';

const pool = createDecodePool({ size: 2 });
afterAll(() => pool.dispose());

describe('decode pool (worker threads)', () => {
  it('sizes itself from the core count', () => {
    expect(defaultDecodePoolSize(1)).toBe(1);
    expect(defaultDecodePoolSize(2)).toBe(2);
    expect(defaultDecodePoolSize(64)).toBe(8);
  });

  it('returns the same gray image and gate metadata as decoding on this thread', async () => {
    const files = [
      'wg04_rg1_chest_cr_mono1_15bit_rle.dcm',
      'nih_cxr_dx_mono2_8bit_jpeg_lossless_sv1.dcm',
      'us_palette_color_rle.dcm',
    ];
    const fromPool = await Promise.all(files.map((f) => pool.decodeForModel(join(DICOM_DIR, f))));
    for (const [i, file] of files.entries()) {
      const here = await decodeForModel(join(DICOM_DIR, file));
      const got = fromPool[i];
      expect([got.width, got.height, got.modality, got.viewPosition], file).toEqual([
        here.width,
        here.height,
        here.modality,
        here.viewPosition,
      ]);
      expect(got.gray).toBeInstanceOf(Float32Array);
      expect(got.gray.length).toBe(here.width * here.height);
      expect(Buffer.from(got.gray.buffer).equals(Buffer.from(here.gray.buffer)), file).toBe(true);
    }
    expect(fromPool[0].modality).toBe('CR');
  });

  it('renders thumbnails like this thread does', async () => {
    const path = join(DICOM_DIR, 'nih_cxr_dx_mono2_8bit_rle.dcm');
    const [got, here] = await Promise.all([pool.thumbnail(path, 64), renderThumbnail(path, 64)]);
    expect([got.width, got.height]).toEqual([64, 64]);
    expect(Buffer.from(got.gray).equals(Buffer.from(here.gray))).toBe(true);
  });

  it('rejects with the imaging error codes, and keeps working after', async () => {
    await expect(
      pool.decodeForModel(join(DICOM_DIR, 'odd_mr_truncated.dcm')),
    ).rejects.toMatchObject({ code: 'TRUNCATED' });
    await expect(pool.decodeForModel(join(DICOM_DIR, 'nopixels_sr.dcm'))).rejects.toMatchObject({
      code: 'NO_PIXEL_DATA',
    });
    await expect(pool.decodeForModel(join(DICOM_DIR, 'no-such-file.dcm'))).rejects.toMatchObject({
      code: 'FILE_NOT_FOUND',
    });
    const ok = await pool.decodeForModel(join(DICOM_DIR, 'ct_small_explicit_le.dcm'));
    expect(ok.modality).toBe('CT');
  });

  it('refuses work once disposed', async () => {
    const other = createDecodePool({ size: 1 });
    await other.dispose();
    await expect(
      other.decodeForModel(join(DICOM_DIR, 'ct_small_explicit_le.dcm')),
    ).rejects.toMatchObject({ code: 'INTERNAL_ERROR' });
  });
});
