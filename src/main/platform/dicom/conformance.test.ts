/**
 * Defect classes found by running the reader over public toolkit test corpora, each reproduced
 * here on files this test makes (the project's writer, then DCMTK transcoders) and checked sample
 * for sample against DCMTK's decode or the uncompressed sibling.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openImage, openImageBuffer } from '../imaging/index';
import { dicomPath, hasTool, readPnm, withTempDir } from './testing/test-support';
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

/** Packs samples LSB first into little-endian 16-bit words (PS3.5 D.1), padded to a word. */
function packSamples(values: number[], bits: number): Uint8Array {
  const out = new Uint8Array(Math.ceil((values.length * bits) / 16) * 2);
  values.forEach((value, i) => {
    for (let b = 0; b < bits; b++) {
      if ((value >> b) & 1) {
        const bit = i * bits + b;
        out[bit >> 3] |= 1 << (bit & 7);
      }
    }
  });
  return out;
}

/**
 * dcm2pnm --no-windowing writes monochrome stored values shifted up to the output depth
 * (value << (8 or 16 - Bits Stored)); undo that to compare sample for sample.
 */
async function expectEqualsDcm2pnm(path: string, frame: number, dir: string): Promise<void> {
  const out = join(dir, `frame${frame}.pnm`);
  dcmtk('dcm2pnm', ['--no-windowing', '+opw', '+F', String(frame + 1), path, out]);
  const reference = readPnm(out);
  const image = await openImage(path);
  const decoded = await image.decodeFrame(frame);
  const outBits = reference.maxval > 255 ? 16 : 8;
  const scale = 2 ** (outBits - image.metadata.bitsStored);
  expect(Array.from(decoded.modalityPixels ?? []).map((v) => v * scale)).toEqual(reference.data);
}

describe('native pixel data', () => {
  it.skipIf(!HAS_DCMTK)(
    'Explicit VR Big Endian, 8-bit PALETTE COLOR in OW: bytes swapped within words as DCMTK does',
    () =>
      withTempDir(async (dir) => {
        const rows = 6;
        const columns = 7;
        const indexes = new Uint8Array(rows * columns).map((_, i) => (i * 37) & 255);
        const lut = (k: number): Uint8Array =>
          new Uint8Array(
            new Uint16Array(Array.from({ length: 256 }, (_, i) => ((i * k) & 255) * 257)).buffer,
          );
        const palette: TestElement[] = [
          ...SOP,
          { tag: [0x0028, 0x1101], vr: 'US', value: [256, 0, 16] },
          { tag: [0x0028, 0x1102], vr: 'US', value: [256, 0, 16] },
          { tag: [0x0028, 0x1103], vr: 'US', value: [256, 0, 16] },
          { tag: [0x0028, 0x1201], vr: 'OW', value: lut(1) },
          { tag: [0x0028, 0x1202], vr: 'OW', value: lut(3) },
          { tag: [0x0028, 0x1203], vr: 'OW', value: lut(5) },
        ];
        const elements = imagePixelElements({
          rows,
          columns,
          bitsAllocated: 8,
          photometric: 'PALETTE COLOR',
          extra: palette,
        });
        const little = join(dir, 'palette-le.dcm');
        const big = join(dir, 'palette-be.dcm');
        writeFileSync(
          little,
          buildDicom({ transferSyntaxUid: EXPLICIT_LE, elements, pixels: indexes }),
        );
        dcmtk('dcmconv', ['+tb', little, big]);
        dcmtk('dcm2pnm', [big, join(dir, 'be.ppm')]);
        const reference = readPnm(join(dir, 'be.ppm')).data;
        const rgb = async (path: string): Promise<number[]> =>
          Array.from((await (await openImage(path)).decodeFrame(0)).rgb ?? []);
        expect(await rgb(big)).toEqual(reference);
        expect(await rgb(little)).toEqual(reference);
      }),
  );

  it.skipIf(!HAS_DCMTK)('Bits Allocated 12 (packed), little and big endian, equal DCMTK', () =>
    withTempDir(async (dir) => {
      const rows = 5;
      const columns = 7;
      const values = Array.from({ length: rows * columns }, (_, i) => (i * 997) % 4096);
      const elements = imagePixelElements({ rows, columns, bitsAllocated: 12, extra: SOP });
      const little = join(dir, 'ba12.dcm');
      writeFileSync(
        little,
        buildDicom({ transferSyntaxUid: EXPLICIT_LE, elements, pixels: packSamples(values, 12) }),
      );
      expect(await modalityValues(little)).toEqual(values);
      await expectEqualsDcm2pnm(little, 0, dir);
      const big = join(dir, 'ba12-be.dcm');
      dcmtk('dcmconv', ['+tb', little, big]);
      await expectEqualsDcm2pnm(big, 0, dir);
    }),
  );

  it.skipIf(!HAS_DCMTK)(
    '1-bit multi-frame whose frames start inside a byte, little and big endian, equal DCMTK',
    () =>
      withTempDir(async (dir) => {
        const rows = 5;
        const columns = 7;
        const frames = 3;
        const random = seeded(11);
        const bits = Array.from({ length: rows * columns * frames }, () =>
          random() < 0.4 ? 1 : 0,
        );
        const elements = imagePixelElements({
          rows,
          columns,
          bitsAllocated: 1,
          frames,
          extra: SOP,
        });
        const little = join(dir, 'ba1.dcm');
        writeFileSync(
          little,
          buildDicom({ transferSyntaxUid: EXPLICIT_LE, elements, pixels: packSamples(bits, 1) }),
        );
        const big = join(dir, 'ba1-be.dcm');
        dcmtk('dcmconv', ['+tb', little, big]);
        for (let frame = 0; frame < frames; frame++) {
          await expectEqualsDcm2pnm(little, frame, dir);
          await expectEqualsDcm2pnm(big, frame, dir);
        }
      }),
  );
});

/**
 * Rewrites a Part 10 file's File Meta: `transferSyntaxUid` replaces (0002,0010) without touching
 * the data set; `groupLength: false` drops (0002,0000); `preamble: false` drops preamble and DICM.
 */
function rewriteFileMeta(
  file: Uint8Array,
  change: { transferSyntaxUid?: string; groupLength?: boolean; preamble?: boolean },
): Uint8Array {
  const bytes = Buffer.from(file);
  const elements: Buffer[] = [];
  let pos = 132;
  while (bytes.readUInt16LE(pos) === 0x0002) {
    const element = bytes.readUInt16LE(pos + 2);
    const vr = bytes.toString('latin1', pos + 4, pos + 6);
    const long = ['OB', 'OW', 'UN', 'UT', 'SQ'].includes(vr);
    const length = long ? bytes.readUInt32LE(pos + 8) : bytes.readUInt16LE(pos + 6);
    const end = pos + (long ? 12 : 8) + length;
    if (element === 0x0010 && change.transferSyntaxUid) {
      const uid = Buffer.from(change.transferSyntaxUid, 'latin1');
      const value = uid.length % 2 ? Buffer.concat([uid, Buffer.from([0])]) : uid;
      const header = Buffer.from([0x02, 0x00, 0x10, 0x00, 0x55, 0x49, value.length, 0]);
      elements.push(Buffer.concat([header, value]));
    } else if (element !== 0x0000) {
      elements.push(bytes.subarray(pos, end));
    }
    pos = end;
  }
  const body = Buffer.concat(elements);
  const groupLength = Buffer.from([0x02, 0, 0, 0, 0x55, 0x4c, 4, 0, 0, 0, 0, 0]);
  groupLength.writeUInt32LE(body.length, 8);
  return new Uint8Array(
    Buffer.concat([
      ...(change.preamble === false ? [] : [bytes.subarray(0, 132)]),
      ...(change.groupLength === false ? [] : [groupLength]),
      body,
      bytes.subarray(pos),
    ]),
  );
}

describe('File Meta and data set encoding', () => {
  it.skipIf(!HAS_DCMTK)(
    'File Meta without (0002,0000): the transfer syntax still comes from (0002,0010), with or without preamble',
    () =>
      withTempDir(async (dir) => {
        const source = join(dir, 'source.dcm');
        writeFileSync(source, signed16(9, 11, 3));
        const jpegLs = join(dir, 'jpegls.dcm');
        dcmtk('dcmcjpls', [source, jpegLs]);
        const expected = await modalityValues(source);
        for (const preamble of [true, false]) {
          const bytes = rewriteFileMeta(readFileSync(jpegLs), { groupLength: false, preamble });
          const image = await openImageBuffer(bytes, `no group length, preamble ${preamble}`);
          expect(image.metadata.transferSyntaxUid).toBe('1.2.840.10008.1.2.4.80');
          expect(Array.from((await image.decodeFrame(0)).modalityPixels ?? [])).toEqual(expected);
        }
      }),
  );

  it.skipIf(!HAS_DCMTK)(
    'implicit VR data set under an explicit VR syntax (and the reverse) is detected and read',
    () =>
      withTempDir(async (dir) => {
        const source = join(dir, 'source.dcm');
        writeFileSync(source, signed16(9, 11, 4));
        const implicit = join(dir, 'implicit.dcm');
        dcmtk('dcmconv', ['+ti', source, implicit]);
        const expected = await modalityValues(source);
        const cases: [string, string][] = [
          [implicit, EXPLICIT_LE],
          [source, '1.2.840.10008.1.2'],
        ];
        for (const [path, declared] of cases) {
          const bytes = rewriteFileMeta(readFileSync(path), { transferSyntaxUid: declared });
          const image = await openImageBuffer(bytes, `declared ${declared}`);
          expect(image.metadata.transferSyntaxUid).toBe(declared);
          expect(image.metadata.rows).toBe(9);
          expect(Array.from((await image.decodeFrame(0)).modalityPixels ?? [])).toEqual(expected);
        }
      }),
  );
});

describe('reduced-resolution decode (DecodeOptions.minDimension)', () => {
  it('JPEG 2000 decodes at the coarsest level still >= minDimension; it is the low-pass image', async () => {
    const path = dicomPath('nih_cxr_dx_mono2_8bit_j2k_lossless.dcm');
    const image = await openImage(path);
    const full = await image.decodeFrame(0);
    const reduced = await image.decodeFrame(0, { minDimension: 256 });
    expect([reduced.rows, reduced.columns, reduced.resolutionLevel]).toEqual([256, 256, 2]);
    expect(full.resolutionLevel).toBeUndefined();
    const a = full.modalityPixels ?? new Float32Array(0);
    const b = reduced.modalityPixels ?? new Float32Array(0);
    let total = 0;
    for (let y = 0; y < 255; y++) {
      for (let x = 0; x < 255; x++) {
        let sum = 0;
        for (let dy = 0; dy < 4; dy++)
          for (let dx = 0; dx < 4; dx++) sum += a[(4 * y + dy) * 1024 + 4 * x + dx];
        total += Math.abs(sum / 16 - b[y * 256 + x]);
      }
    }
    // The wavelet LL band is a smoothed 4x4 average: within a few gray levels of the box mean.
    expect(total / (255 * 255)).toBeLessThan(4);
    const tooBig = await image.decodeFrame(0, { minDimension: 1000 });
    expect([tooBig.rows, tooBig.resolutionLevel]).toEqual([1024, undefined]);
  });

  it('other syntaxes ignore the option and decode at full resolution', async () => {
    const frame = await (
      await openImage(dicomPath('nih_cxr_dx_mono2_8bit_rle.dcm'))
    ).decodeFrame(0, { minDimension: 256 });
    expect([frame.rows, frame.columns, frame.resolutionLevel]).toEqual([1024, 1024, undefined]);
  });
});

/** The first fragment of a single-frame encapsulated file (DCMTK writes one per frame). */
function firstFragment(file: Uint8Array): Uint8Array {
  const bytes = Buffer.from(file);
  const pixelData = bytes.lastIndexOf(Buffer.from([0xe0, 0x7f, 0x10, 0x00]));
  let pos = pixelData + 12;
  pos += 8 + bytes.readUInt32LE(pos + 4); // offset table item
  return new Uint8Array(bytes.subarray(pos + 8, pos + 8 + bytes.readUInt32LE(pos + 4)));
}

/** Turns JFIF/Adobe segments into comments and renumbers the components (SOF and SOS). */
function withoutColourMarkers(stream: Uint8Array, ids: [number, number, number]): Uint8Array {
  const out = stream.slice();
  const renumber = new Map<number, number>();
  let pos = 2;
  while (out[pos] === 0xff) {
    const marker = out[pos + 1];
    if (marker === 0xe0 || marker === 0xee) out[pos + 1] = 0xfe;
    if (marker === 0xc0) {
      ids.forEach((id, c) => {
        renumber.set(out[pos + 10 + 3 * c], id);
        out[pos + 10 + 3 * c] = id;
      });
    }
    if (marker === 0xda) {
      for (let c = 0; c < out[pos + 4]; c++) {
        const at = pos + 5 + 2 * c;
        out[at] = renumber.get(out[at]) ?? out[at];
      }
      break;
    }
    pos += 2 + ((out[pos + 2] << 8) | out[pos + 3]);
  }
  return out;
}

describe('JPEG baseline colour transform', () => {
  it.skipIf(!HAS_DCMTK)(
    'streams with and without JFIF/Adobe markers: decoded as DCMTK decodes them (Photometric Interpretation wins)',
    () =>
      withTempDir(async (dir) => {
        const rows = 24;
        const columns = 32;
        const rgb = new Uint8Array(rows * columns * 3).map((_, i) =>
          i % 3 === 0 ? (i >> 2) & 255 : i % 3 === 1 ? (i * 7) & 255 : 255 - ((i >> 3) & 255),
        );
        const colour = (photometric: string): TestElement[] =>
          imagePixelElements({
            rows,
            columns,
            bitsAllocated: 8,
            samplesPerPixel: 3,
            photometric,
            extra: [...SOP, { tag: [0x0028, 0x0006], vr: 'US', value: [0] }],
          });
        const source = join(dir, 'rgb.dcm');
        writeFileSync(
          source,
          buildDicom({ transferSyntaxUid: EXPLICIT_LE, elements: colour('RGB'), pixels: rgb }),
        );
        const asRgb = join(dir, 'jpeg-rgb.dcm'); // Adobe transform 0, ids 'R','G','B'
        const asYbr = join(dir, 'jpeg-ybr.dcm'); // JFIF, ids 1,2,3, YBR_FULL_422
        dcmtk('dcmcjpeg', ['+eb', '+cr', source, asRgb]);
        dcmtk('dcmcjpeg', ['+eb', source, asYbr]);
        const stripped = (
          path: string,
          ids: [number, number, number],
          photometric: string,
        ): string => {
          const out = path.replace('.dcm', '-nomarkers.dcm');
          const stream = withoutColourMarkers(firstFragment(readFileSync(path)), ids);
          writeFileSync(
            out,
            buildDicom({
              transferSyntaxUid: '1.2.840.10008.1.2.4.50',
              elements: colour(photometric),
              fragments: [stream],
            }),
          );
          return out;
        };
        const cases: [string, boolean][] = [
          [asRgb, false],
          [asYbr, false],
          // libjpeg alone would convert this (ids 1,2,3, no markers); the file says RGB.
          [stripped(asRgb, [1, 2, 3], 'RGB'), true],
          // libjpeg alone would not convert this (ids 'R','G','B'); the file says YBR_FULL_422.
          [stripped(asYbr, [0x52, 0x47, 0x42], 'YBR_FULL_422'), true],
        ];
        for (const [path, disagrees] of cases) {
          const out = join(dir, 'out.ppm');
          dcmtk('dcmj2pnm', [path, out]);
          const frame = await (await openImage(path)).decodeFrame(0);
          expect(Array.from(frame.rgb ?? []), path).toEqual(readPnm(out).data);
          expect(frame.decodeNotes !== undefined, path).toBe(disagrees);
        }
      }),
  );
});

describe('progressive and spectral-selection JPEG', () => {
  it.skipIf(!HAS_DCMTK)('8 and 12-bit progressive and spectral selection equal DCMTK', () =>
    withTempDir(async (dir) => {
      const rows = 20;
      const columns = 30;
      const random = seeded(21);
      const gray = (bits: number): string => {
        const path = join(dir, `gray${bits}.dcm`);
        const values = Array.from({ length: rows * columns }, (_, i) =>
          Math.floor(((i % columns) / columns) * 2 ** bits * 0.8 + random() * 2 ** (bits - 4)),
        );
        const pixels =
          bits === 8 ? Uint8Array.from(values) : new Uint8Array(Uint16Array.from(values).buffer);
        const elements = imagePixelElements({
          rows,
          columns,
          bitsAllocated: bits === 8 ? 8 : 16,
          bitsStored: bits,
          extra: SOP,
        });
        writeFileSync(path, buildDicom({ transferSyntaxUid: EXPLICIT_LE, elements, pixels }));
        return path;
      };
      for (const process of ['+ep', '+es']) {
        const eight = join(dir, `p8${process}.dcm`);
        dcmtk('dcmcjpeg', [process, gray(8), eight]);
        const out = join(dir, 'out.pgm');
        dcmtk('dcmj2pnm', ['--no-windowing', eight, out]);
        expect(await modalityValues(eight)).toEqual(readPnm(out).data);
        const twelve = join(dir, `p12${process}.dcm`);
        dcmtk('dcmcjpeg', [process, gray(12), twelve]);
        const twelveByDcmtk = join(dir, `p12${process}-dcmdjpeg.dcm`);
        dcmtk('dcmdjpeg', [twelve, twelveByDcmtk]);
        expect(await modalityValues(twelve)).toEqual(await modalityValues(twelveByDcmtk));
      }
    }),
  );
});
