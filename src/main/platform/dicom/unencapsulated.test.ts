import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { DecodedFrame } from '../../../shared/imaging';
import { openImage } from '../imaging';
import { parseDicomBytes } from './parse';
import { buildDicom, imagePixelElements } from './test-dicom-writer';
import { dicomPath, hasTool, withTempDir } from './testing/test-support';

const HAS_GDCM = hasTool('gdcmconv');
const HAS_DCMTK = hasTool('dcmdjpeg');
if (!HAS_GDCM)
  console.warn('gdcmconv (Debian libgdcm-tools) not installed: GDCM comparisons are skipped');

const JPEG_BASELINE = '1.2.840.10008.1.2.4.50';
const SOP = [
  { tag: [0x0008, 0x0016] as [number, number], vr: 'UI', value: '1.2.840.10008.5.1.4.1.1.7' },
  { tag: [0x0008, 0x0018] as [number, number], vr: 'UI', value: '1.2.826.0.1.3680043.2.1143.7' },
];

/** The fragments (offset table excluded) of an encapsulated file, in order. */
function fragmentsOf(path: string): Uint8Array[] {
  const file = parseDicomBytes(readFileSync(path), path);
  const element = file.dataSet.elements.x7fe00010;
  return (element.fragments ?? []).map((f) =>
    file.dataSet.byteArray.slice(f.position, f.position + f.length),
  );
}

function item(data: Uint8Array, element = 0xe000): Buffer {
  const header = Buffer.alloc(8);
  header.writeUInt16LE(0xfffe, 0);
  header.writeUInt16LE(element, 2);
  header.writeUInt32LE(data.length, 4);
  return Buffer.concat([header, data]);
}

const even = (bytes: Uint8Array): Uint8Array =>
  bytes.length % 2 ? new Uint8Array([...bytes, 0]) : bytes;

/** What an encapsulated JPEG Baseline file's pixel data might wrongly hold, with a defined length. */
function variants(source: string, nativePixels: Uint8Array): Record<string, Uint8Array> {
  const fragments = fragmentsOf(source).map(even);
  return {
    'a bare JPEG codestream (frames back to back)': Buffer.concat(fragments),
    'fragment items in a defined-length value': Buffer.concat([
      item(new Uint8Array(0)),
      ...fragments.map((f) => item(f)),
    ]),
    'native pixels': nativePixels,
  };
}

function sameFrame(a: DecodedFrame, b: DecodedFrame): boolean {
  const x = a.kind === 'rgb' ? a.rgb : a.modalityPixels;
  const y = b.kind === 'rgb' ? b.rgb : b.modalityPixels;
  if (!x || !y || x.length !== y.length || a.kind !== b.kind) return false;
  for (let i = 0; i < x.length; i++) if (x[i] !== y[i]) return false;
  return true;
}

describe('JPEG Baseline files whose Pixel Data is not encapsulated decode what the bytes are', () => {
  it('single-frame chest CR: each variant equals the proper encapsulated file, with a decode note', () =>
    withTempDir(async (dir) => {
      const source = dicomPath('siim_cxr_cr_mono2_8bit_jpegbaseline.dcm');
      const reference = await (await openImage(source)).decodeFrame(0);
      const native = Uint8Array.from(reference.modalityPixels ?? []);
      const elements = imagePixelElements({
        rows: 1024,
        columns: 1024,
        bitsAllocated: 8,
        extra: SOP,
      });
      for (const [label, pixels] of Object.entries(variants(source, native))) {
        const path = join(dir, 'variant.dcm');
        writeFileSync(path, buildDicom({ transferSyntaxUid: JPEG_BASELINE, elements, pixels }));
        const frame = await (await openImage(path)).decodeFrame(0);
        expect(sameFrame(frame, reference), label).toBe(true);
        expect(frame.decodeNotes?.[0], label).toMatch(/not encapsulated.*JPEG Baseline/);
        if (HAS_GDCM) {
          // GDCM decodes the same file to the same pixels (DCMTK refuses it).
          const raw = join(dir, 'gdcm-raw.dcm');
          execFileSync('gdcmconv', ['--raw', path, raw], { stdio: 'pipe' });
          const gdcm = await (await openImage(raw)).decodeFrame(0);
          expect(sameFrame(frame, gdcm), `${label} vs GDCM`).toBe(true);
        }
        if (HAS_DCMTK) {
          expect(() =>
            execFileSync('dcmdjpeg', [path, join(dir, 'x.dcm')], { stdio: 'pipe' }),
          ).toThrow();
        }
      }
    }));

  it('30-frame YBR ultrasound: frames 0, 14 and 29 of the codestream and item variants equal the encapsulated file', () =>
    withTempDir(async (dir) => {
      const source = dicomPath('us_multiframe_ybr_jpeg_baseline.dcm');
      const original = await openImage(source);
      const elements = imagePixelElements({
        rows: 240,
        columns: 320,
        bitsAllocated: 8,
        samplesPerPixel: 3,
        photometric: 'YBR_FULL_422',
        frames: 30,
        extra: [...SOP, { tag: [0x0028, 0x0006], vr: 'US', value: [0] }],
      });
      const all = variants(source, new Uint8Array(0));
      for (const label of [
        'a bare JPEG codestream (frames back to back)',
        'fragment items in a defined-length value',
      ]) {
        const path = join(dir, 'variant.dcm');
        writeFileSync(
          path,
          buildDicom({ transferSyntaxUid: JPEG_BASELINE, elements, pixels: all[label] }),
        );
        const image = await openImage(path);
        for (const index of [0, 14, 29]) {
          const frame = await image.decodeFrame(index);
          expect(
            sameFrame(frame, await original.decodeFrame(index)),
            `${label} frame ${index}`,
          ).toBe(true);
        }
      }
    }));

  it('bytes that are none of these are refused as MALFORMED_DICOM', () =>
    withTempDir(async (dir) => {
      const path = join(dir, 'junk.dcm');
      const elements = imagePixelElements({ rows: 8, columns: 8, bitsAllocated: 8, extra: SOP });
      writeFileSync(
        path,
        buildDicom({ transferSyntaxUid: JPEG_BASELINE, elements, pixels: new Uint8Array(10) }),
      );
      await expect((await openImage(path)).decodeFrame(0)).rejects.toMatchObject({
        code: 'MALFORMED_DICOM',
      });
    }));
});
