/**
 * Defect classes found by running the reader over public toolkit test corpora, each reproduced
 * here on files this test makes (the project's writer, then DCMTK transcoders) and checked sample
 * for sample against DCMTK's decode or the uncompressed sibling.
 */
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openImage } from '../imaging/index';
import { hasTool, withTempDir } from './test-support';
import { buildDicom, imagePixelElements, type TestElement } from './test-dicom-writer';

const HAS_DCMTK = hasTool('dcmcjpeg');
if (!HAS_DCMTK) console.warn('dcmtk not installed: DCMTK-made fixtures are skipped');

const EXPLICIT_LE = '1.2.840.10008.1.2.1';
const SOP: TestElement[] = [
  { tag: [0x0008, 0x0016], vr: 'UI', value: '1.2.840.10008.5.1.4.1.1.7' },
  { tag: [0x0008, 0x0018], vr: 'UI', value: '1.2.826.0.1.3680043.10.1.1' },
];

function seeded(seed: number): () => number {
  let state = seed >>> 0;
  return () => (state = (Math.imul(state, 1103515245) + 12345) >>> 0) / 2 ** 32;
}

async function modalityValues(path: string): Promise<number[]> {
  const frame = await (await openImage(path)).decodeFrame(0);
  return Array.from(frame.modalityPixels ?? []);
}

function dcmtk(tool: string, args: string[]): void {
  execFileSync(tool, args, { stdio: 'pipe' });
}

/** 16-bit signed gray file; the last sample differs from its predictor by 32768 (category 16). */
function signed16(rows: number, columns: number, seed: number): Uint8Array {
  const random = seeded(seed);
  const pixels = new Int16Array(rows * columns);
  for (let i = 0; i < pixels.length; i++) pixels[i] = Math.floor(random() * 65536) - 32768;
  pixels[pixels.length - 1] = pixels[pixels.length - 2] ^ 0x8000;
  const elements = imagePixelElements({
    rows,
    columns,
    bitsAllocated: 16,
    pixelRepresentation: 1,
    extra: SOP,
  });
  return buildDicom({
    transferSyntaxUid: EXPLICIT_LE,
    elements,
    pixels: new Uint8Array(pixels.buffer),
  });
}

describe('JPEG lossless (process 14)', () => {
  it.skipIf(!HAS_DCMTK)(
    'SV1, 16-bit signed: the last sample (difference category 16) equals the uncompressed sibling',
    () =>
      withTempDir(async (dir) => {
        const source = join(dir, 'signed.dcm');
        writeFileSync(source, signed16(8, 8, 6));
        dcmtk('dcmcjpeg', ['+e1', source, join(dir, 'sv1.dcm')]);
        const expected = await modalityValues(source);
        expect(expected.at(-1)).not.toBe(0);
        expect(await modalityValues(join(dir, 'sv1.dcm'))).toEqual(expected);
      }),
  );

  it.skipIf(!HAS_DCMTK)('every selection value 1-7 and a point transform', () =>
    withTempDir(async (dir) => {
      const source = join(dir, 'signed.dcm');
      writeFileSync(source, signed16(23, 19, 9));
      const expected = await modalityValues(source);
      for (let sv = 1; sv <= 7; sv++) {
        const out = join(dir, `sv${sv}.dcm`);
        dcmtk('dcmcjpeg', ['+el', '+sv', String(sv), source, out]);
        expect(await modalityValues(out), `selection value ${sv}`).toEqual(expected);
      }
      // Point transform is lossy: compare with DCMTK's own decode.
      const pt = join(dir, 'pt.dcm');
      dcmtk('dcmcjpeg', ['+el', '+sv', '7', '+pt', '3', source, pt]);
      dcmtk('dcmdjpeg', [pt, join(dir, 'pt-dcmtk.dcm')]);
      expect(await modalityValues(pt)).toEqual(await modalityValues(join(dir, 'pt-dcmtk.dcm')));
    }),
  );
});
