import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openImage, openImageBuffer } from '../imaging';
import { describeDicomImage } from './metadata';
import { parseDicomBytes } from './parse';
import { expandSegmentedLut } from './segmented-lut';
import { buildDicom, imagePixelElements } from './test-dicom-writer';
import { hasTool, withTempDir } from './testing/test-support';

const HAS_GDCM = hasTool('gdcmconv');
if (!HAS_GDCM)
  console.warn('gdcmconv (Debian libgdcm-tools) not installed: GDCM comparisons are skipped');

describe('expandSegmentedLut (PS3.3 C.7.9.2)', () => {
  it('discrete, linear (ends on y1, previous entry not repeated) and indirect segments', () => {
    const words = [0, 2, 10, 20, 1, 4, 60, 2, 1, 0, 0, 0, 1, 7];
    // discrete 10,20; linear 20->60 in 4: 30,40,50,60; indirect copies segment 0: 10,20; discrete 7
    expect(expandSegmentedLut(words, 9, 2)).toEqual([10, 20, 30, 40, 50, 60, 10, 20, 7]);
  });

  it('an indirect offset counts bytes: 8-bit entries use a 4-byte offset', () => {
    const bytes = [0, 1, 5, 0, 1, 9, 2, 1, 3, 0, 0, 0];
    // segment 1 (the second discrete) starts at byte 3
    expect(expandSegmentedLut(bytes, 3, 1)).toEqual([5, 9, 9]);
  });

  it('refuses a linear first segment, an unknown opcode, a short table and endless indirection', () => {
    expect(() => expandSegmentedLut([1, 2, 5], 2, 2)).toThrow(/first segment is linear/);
    expect(() => expandSegmentedLut([0, 1, 5, 3, 1, 1], 2, 2)).toThrow(/opcode 3/);
    expect(() => expandSegmentedLut([0, 2, 5, 6], 3, 2)).toThrow(/2 entries/);
    expect(() => expandSegmentedLut([0, 1, 5, 2, 1, 6, 0], 99, 2)).toThrow(/nest too deep/);
  });
});

const words = (values: number[]): Uint8Array => {
  const bytes = Buffer.alloc(values.length * 2);
  values.forEach((v, i) => bytes.writeUInt16LE(v, 2 * i));
  return new Uint8Array(bytes);
};

/**
 * A 16x16 PALETTE COLOR image, 16-bit indices 0..255, with 65536-entry 16-bit segmented LUTs
 * (the only kind GDCM 3.0 expands): discrete 4, linear 32764, indirect copy of both.
 */
function segmentedPaletteFile(): Uint8Array {
  const channel = (base: number, y1: number): number[] => [
    0,
    4,
    base,
    base + 1000,
    base + 2000,
    base + 3000,
    1,
    32764,
    y1,
    2,
    2,
    0,
    0,
  ];
  const pixels = new Uint16Array(256).map((_, i) => i);
  const descriptor = [0, 0, 16];
  return buildDicom({
    transferSyntaxUid: '1.2.840.10008.1.2.1',
    elements: imagePixelElements({
      rows: 16,
      columns: 16,
      bitsAllocated: 16,
      photometric: 'PALETTE COLOR',
      extra: [
        { tag: [0x0028, 0x1101], vr: 'US', value: descriptor },
        { tag: [0x0028, 0x1102], vr: 'US', value: descriptor },
        { tag: [0x0028, 0x1103], vr: 'US', value: descriptor },
        { tag: [0x0028, 0x1221], vr: 'OW', value: words(channel(100, 60000)) },
        { tag: [0x0028, 0x1222], vr: 'OW', value: words(channel(30000, 10000)) },
        { tag: [0x0028, 0x1223], vr: 'OW', value: words(channel(5, 33333)) },
      ],
    }),
    pixels: new Uint8Array(pixels.buffer),
  });
}

describe('segmented palette colour LUTs decode', () => {
  it('the image maps through the expanded tables', async () => {
    const image = await openImageBuffer(segmentedPaletteFile(), 'segmented.dcm');
    const frame = await image.decodeFrame(0);
    expect(frame.kind).toBe('rgb');
    // index 0..3: discrete entries (16-bit, shown as their high byte)
    expect(Array.from(frame.rgb?.subarray(0, 12) ?? [])).toEqual([
      100 >> 8,
      30000 >> 8,
      5 >> 8,
      1100 >> 8,
      31000 >> 8,
      1005 >> 8,
      2100 >> 8,
      32000 >> 8,
      2005 >> 8,
      3100 >> 8,
      33000 >> 8,
      3005 >> 8,
    ]);
  });

  it.skipIf(!HAS_GDCM)(
    'tables equal GDCM expansion (gdcmconv --decompress-lut) except linear ramps, which GDCM starts one entry late',
    () =>
      withTempDir((dir) => {
        const source = join(dir, 'segmented.dcm');
        const linear = join(dir, 'linear.dcm');
        writeFileSync(source, segmentedPaletteFile());
        execFileSync('gdcmconv', ['--decompress-lut', source, linear], { stdio: 'pipe' });
        const ours = describeDicomImage(parseDicomBytes(readFileSync(source), source), source).pixel
          .palette;
        const gdcm = describeDicomImage(parseDicomBytes(readFileSync(linear), linear), linear).pixel
          .palette;
        for (const name of ['red', 'green', 'blue'] as const) {
          const a = ours?.[name].data ?? [];
          const b = gdcm?.[name].data ?? [];
          expect(a.length).toBe(65536);
          expect(b.length).toBe(65536);
          let exactOutsideRamps = true;
          let worstRampDifference = 0;
          for (let i = 0; i < a.length; i++) {
            const inRamp = (i >= 4 && i < 32768) || i >= 32772;
            if (!inRamp) exactOutsideRamps &&= a[i] === b[i];
            // GDCM: y0 + (y1 - y0) * k / n for k = 0..n-1; the standard: k = 1..n (ends on y1).
            else worstRampDifference = Math.max(worstRampDifference, Math.abs(a[i] - b[i]));
          }
          expect(exactOutsideRamps).toBe(true);
          expect(worstRampDifference).toBeLessThanOrEqual(2);
        }
      }),
  );

  it.skipIf(!HAS_GDCM)('RGB equals GDCM (gdcmconv --apply-lut) to within one 8-bit level', () =>
    withTempDir(async (dir) => {
      const source = join(dir, 'segmented.dcm');
      const rgb = join(dir, 'rgb.dcm');
      writeFileSync(source, segmentedPaletteFile());
      execFileSync('gdcmconv', ['--apply-lut', source, rgb], { stdio: 'pipe' });
      const ours = await (await openImage(source)).decodeFrame(0);
      const theirs = await (await openImage(rgb)).decodeFrame(0);
      expect(theirs.kind).toBe('rgb');
      const a = ours.rgb ?? new Uint8Array(0);
      const b = theirs.rgb ?? new Uint8Array(0);
      expect(a.length).toBe(16 * 16 * 3);
      let worst = 0;
      for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i] - b[i]));
      expect(worst).toBeLessThanOrEqual(1);
    }),
  );
});
