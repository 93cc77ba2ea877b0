import { copyFileSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { dicomPath, pilGray, sharedDataDir, withTempDir } from '../dicom/testing/test-support';
import { openImage, openImageBuffer, sniffSourceKind, toModelGray } from './index';

const HAS_PIL = spawnSync('/usr/bin/python3', ['-c', 'import PIL']).status === 0;
if (!HAS_PIL) console.warn('python3-pil not installed: PIL reference comparisons are skipped');

function nihJpegs(count: number): string[] {
  const manifest = readFileSync(sharedDataDir('cxr', 'manifest.csv'), 'utf8').split('\n');
  return manifest
    .filter((line) => line.includes(',nih-chestxray14,'))
    .slice(0, count)
    .map((line) => sharedDataDir('cxr', line.split(',')[0]));
}

describe('JPEG and PNG inputs decode exactly as PIL does', () => {
  const jpegs = [
    ...nihJpegs(2),
    sharedDataDir('cxr', 'images', readdirSync(sharedDataDir('cxr', 'images'))[0]),
  ];
  it.skipIf(!HAS_PIL).each(jpegs)('%s', async (path) => {
    const image = await openImage(path);
    const ours = toModelGray(await image.decodeFrame(0), image.metadata);
    const pil = pilGray(path);
    expect(pil).toBeDefined();
    expect([image.metadata.columns, image.metadata.rows]).toEqual([pil?.width, pil?.height]);
    expect(Buffer.compare(Buffer.from(Uint8Array.from(ours)), Buffer.from(pil?.data ?? []))).toBe(
      0,
    );
  });

  it.skipIf(!HAS_PIL)('PNG gray 8/16-bit, RGB, RGBA, palette, gray+alpha, and colour JPEG', () =>
    withTempDir(async (dir) => {
      const script = `
import sys, numpy as np
from PIL import Image
d = sys.argv[1]
rng = np.random.default_rng(7)
g8 = rng.integers(0, 256, (37, 53), dtype=np.uint8)
rgb = rng.integers(0, 256, (37, 53, 3), dtype=np.uint8)
Image.fromarray(g8).save(d + '/g8.png')
Image.fromarray((g8.astype(np.uint16) * 257 + 3)).save(d + '/g16.png')
Image.fromarray(rgb).save(d + '/rgb.png')
Image.fromarray(np.dstack([rgb, g8])).save(d + '/rgba.png')
Image.fromarray(rgb).convert('P', palette=Image.ADAPTIVE, colors=16).save(d + '/pal.png')
Image.fromarray(g8).convert('LA').save(d + '/la.png')
Image.fromarray(rgb).save(d + '/rgb.jpg', quality=90)
`;
      expect(spawnSync('/usr/bin/python3', ['-c', script, dir]).status).toBe(0);
      for (const name of ['g8.png', 'rgb.png', 'rgba.png', 'pal.png', 'la.png', 'rgb.jpg']) {
        const path = join(dir, name);
        const image = await openImage(path);
        const ours = Uint8Array.from(toModelGray(await image.decodeFrame(0), image.metadata));
        expect([
          name,
          Buffer.compare(Buffer.from(ours), Buffer.from(pilGray(path)?.data ?? [])),
        ]).toEqual([name, 0]);
      }
      const g16 = await openImage(join(dir, 'g16.png'));
      const frame = await g16.decodeFrame(0);
      const g8 = pilGray(join(dir, 'g8.png'))?.data ?? new Uint8Array(0);
      expect(g16.metadata.bitsStored).toBe(16);
      expect(frame.modalityPixels?.[0]).toBe(g8[0] * 257 + 3);
      // 16-bit PNG goes to the model scaled to 0..255 (v * 255 / 65535, rounded).
      expect(toModelGray(frame, g16.metadata)[5]).toBe(
        Math.round(((g8[5] * 257 + 3) * 255) / 65535),
      );
    }),
  );
});

describe('content sniffing, not extensions', () => {
  it('JPEG named .dcm, DICOM named .png, DICOMDIR, text', () =>
    withTempDir(async (dir) => {
      const jpeg = join(dir, 'image.dcm');
      copyFileSync(nihJpegs(1)[0], jpeg);
      const dicom = join(dir, 'scan.png');
      copyFileSync(dicomPath('mr_small_rle.dcm'), dicom);
      const raw = join(dir, 'raw');
      copyFileSync(dicomPath('barre_cr_mono1_10bit_chest_nometa_implicitvr.dcm'), raw);
      const text = join(dir, 'notes.dcm');
      writeFileSync(text, 'just some notes\n');
      expect(await sniffSourceKind(jpeg)).toBe('jpeg');
      expect(await sniffSourceKind(dicom)).toBe('dicom');
      expect(await sniffSourceKind(raw)).toBe('dicom');
      expect(await sniffSourceKind(sharedDataDir('dicom', 'dicomdir_set', 'DICOMDIR'))).toBe(
        'dicomdir',
      );
      expect(await sniffSourceKind(text)).toBeNull();
      expect((await openImage(jpeg)).metadata.sourceKind).toBe('jpeg');
      expect((await openImage(dicom)).metadata.sourceKind).toBe('dicom');
      await expect(openImage(text)).rejects.toMatchObject({ code: 'NOT_DICOM' });
    }));

  it('a corrupt PNG or JPEG is an IMAGE_DECODE_ERROR', async () => {
    const png = new Uint8Array([
      0x89,
      0x50,
      0x4e,
      0x47,
      0x0d,
      0x0a,
      0x1a,
      0x0a,
      ...new Array(40).fill(7),
    ]);
    await expect(openImageBuffer(png, 'bad.png')).rejects.toMatchObject({
      code: 'IMAGE_DECODE_ERROR',
    });
    const jpeg = readFileSync(nihJpegs(1)[0]).subarray(0, 600);
    await expect(openImageBuffer(new Uint8Array(jpeg), 'bad.jpg')).rejects.toMatchObject({
      code: 'IMAGE_DECODE_ERROR',
    });
  });
});
