import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { openImage, openImageBuffer, renderDisplay8 } from '../imaging/index';
import { windowMapper } from '../imaging/voi';
import { readJpegFrameHeader } from './codecs/jpeg-header';
import { decodeRle } from './codecs/rle';
import { dicomPath } from './testing/test-support';
import { buildDicom, imagePixelElements } from './test-dicom-writer';

const requireCodec = createRequire(__filename);

interface HtEncoder {
  getDecodedBuffer(info: object): Uint8Array;
  encode(): void;
  getEncodedBuffer(): Uint8Array;
  setQuality(lossless: boolean, quantizationStep: number): void;
  delete(): void;
}

async function htj2kEncode(
  pixels: Uint8Array,
  width: number,
  height: number,
  bits: number,
  lossless = true,
): Promise<Uint8Array> {
  const factory = requireCodec('@cornerstonejs/codec-openjph/wasmjs') as (
    o: object,
  ) => Promise<Record<string, unknown>>;
  const module = await factory({ print: () => undefined, printErr: () => undefined });
  const Encoder = module.HTJ2KEncoder as new () => HtEncoder;
  const encoder = new Encoder();
  encoder
    .getDecodedBuffer({
      width,
      height,
      bitsPerSample: bits,
      componentCount: 1,
      isSigned: false,
      isUsingColorTransform: false,
    })
    .set(pixels);
  if (!lossless) encoder.setQuality(false, 0.01);
  encoder.encode();
  const out = encoder.getEncodedBuffer().slice();
  encoder.delete();
  return out;
}

async function codeOfBuffer(bytes: Uint8Array): Promise<string> {
  try {
    await (await openImageBuffer(bytes, 'test')).decodeFrame(0);
    return 'decoded';
  } catch (error) {
    return (error as { code: string }).code;
  }
}

async function nativePixels(name: string): Promise<{
  rows: number;
  columns: number;
  bytes: Uint8Array;
  bits: number;
  values: Float32Array;
}> {
  const image = await openImage(dicomPath(name));
  const frame = await image.decodeFrame(0);
  const values = frame.modalityPixels ?? new Float32Array(0);
  const bits = image.metadata.bitsAllocated;
  const bytes =
    bits === 8 ? Uint8Array.from(values) : new Uint8Array(Uint16Array.from(values).buffer);
  return { rows: frame.rows, columns: frame.columns, bytes, bits, values };
}

describe('HTJ2K (openjph)', () => {
  it.each([
    ['1.2.840.10008.1.2.4.201', 'nih_cxr_dx_mono2_8bit_implicitvr.dcm'],
    ['1.2.840.10008.1.2.4.202', 'barre_cr_mono1_10bit_chest_explicit_le.dcm'],
    ['1.2.840.10008.1.2.4.203', 'mr_small_explicit_big_endian.dcm'],
  ])('%s round trip of %s is lossless', async (ts, name) => {
    const src = await nativePixels(name);
    const encoded = await htj2kEncode(src.bytes, src.columns, src.rows, src.bits);
    const file = buildDicom({
      transferSyntaxUid: ts,
      elements: imagePixelElements({
        rows: src.rows,
        columns: src.columns,
        bitsAllocated: src.bits,
      }),
      fragments: [encoded],
    });
    const frame = await (await openImageBuffer(file, 'htj2k')).decodeFrame(0);
    expect(Array.from(frame.modalityPixels ?? [])).toEqual(Array.from(src.values));
  });
});

describe('encapsulated frames', () => {
  it('frames without an offset table, each split over two fragments, are found by their SOI markers', async () => {
    const source = await openImage(dicomPath('siim_cxr_cr_mono2_8bit_jpegbaseline.dcm'));
    const reference = await source.decodeFrame(0);
    const { readFileSync } = await import('node:fs');
    const bytes = new Uint8Array(
      readFileSync(dicomPath('siim_cxr_cr_mono2_8bit_jpegbaseline.dcm')),
    );
    const soi = bytes.findIndex(
      (b, i) => b === 0xff && bytes[i + 1] === 0xd8 && bytes[i + 2] === 0xff,
    );
    const eoi = bytes.lastIndexOf(0xd9);
    const codestream = bytes.slice(soi, eoi + 1);
    const half = Math.floor(codestream.length / 2);
    const parts = [codestream.slice(0, half), codestream.slice(half)];
    const file = buildDicom({
      transferSyntaxUid: '1.2.840.10008.1.2.4.50',
      elements: imagePixelElements({ rows: 1024, columns: 1024, bitsAllocated: 8, frames: 3 }),
      fragments: [...parts, ...parts, ...parts],
    });
    const image = await openImageBuffer(file, 'multi');
    for (const f of [0, 2]) {
      const frame = await image.decodeFrame(f);
      expect(Array.from(frame.modalityPixels?.subarray(0, 4096) ?? [])).toEqual(
        Array.from(reference.modalityPixels?.subarray(0, 4096) ?? []),
      );
    }
    await expect(image.decodeFrame(3)).rejects.toMatchObject({ code: 'FRAME_OUT_OF_RANGE' });
  });
});

describe('RLE', () => {
  it('16-bit: high-byte segment first, PackBits runs and literals', () => {
    const header = new Uint8Array(64);
    const view = new DataView(header.buffer);
    view.setUint32(0, 2, true);
    view.setUint32(4, 64, true);
    view.setUint32(8, 68, true);
    // 4 pixels: high bytes [1,1,1,1] (run), low bytes [2,3,4,5] (literal)
    const frame = new Uint8Array([...header, 0xfd, 1, 0x80, 0, 3, 2, 3, 4, 5]);
    const out = decodeRle(frame, { rows: 2, columns: 2, samplesPerPixel: 1, bitsAllocated: 16 });
    expect(Array.from(new Uint16Array(out.buffer))).toEqual([0x102, 0x103, 0x104, 0x105]);
  });
});

describe('pixel module edge cases (synthetic files)', () => {
  const gray = (
    extra: Parameters<typeof imagePixelElements>[0]['extra'] = [],
    bits = 16,
    stored = 12,
    signed = 0,
  ) =>
    imagePixelElements({
      rows: 2,
      columns: 2,
      bitsAllocated: bits,
      bitsStored: stored,
      pixelRepresentation: signed,
      extra,
    });

  it('signed data is sign-extended from bits stored and rescaled; high bits are masked', async () => {
    const pixels = new Uint8Array(new Uint16Array([0x0fff, 0xf800, 0x07ff, 0x0001]).buffer);
    const elements = gray(
      [
        { tag: [0x0028, 0x1052], vr: 'DS', value: '-10' },
        { tag: [0x0028, 0x1053], vr: 'DS', value: '2' },
      ],
      16,
      12,
      1,
    );
    const file = buildDicom({ transferSyntaxUid: '1.2.840.10008.1.2.1', elements, pixels });
    const frame = await (await openImageBuffer(file, 'signed')).decodeFrame(0);
    // 0x0fff -> -1; 0xf800 masked to 0x800 -> -2048; 0x7ff -> 2047; 1 -> 1; then 2x - 10
    expect(Array.from(frame.modalityPixels ?? [])).toEqual([-12, -4106, 4084, -8]);
  });

  it('pixel padding range is masked and left out of min/max', async () => {
    const pixels = new Uint8Array(new Uint16Array([0, 1, 100, 200]).buffer);
    const elements = gray([
      { tag: [0x0028, 0x0120], vr: 'US', value: [0] },
      { tag: [0x0028, 0x0121], vr: 'US', value: [1] },
    ]);
    const frame = await (
      await openImageBuffer(
        buildDicom({ transferSyntaxUid: '1.2.840.10008.1.2.1', elements, pixels }),
        'pad',
      )
    ).decodeFrame(0);
    expect(Array.from(frame.paddingMask ?? [])).toEqual([1, 1, 0, 0]);
    expect([frame.minValue, frame.maxValue]).toEqual([100, 200]);
  });

  it('VOI LUT Sequence replaces the window; SIGMOID and LINEAR_EXACT follow C.11.2.1', async () => {
    const lutSequence = Buffer.concat([
      Buffer.from([0xfe, 0xff, 0x00, 0xe0, 0x1e, 0, 0, 0]),
      Buffer.from([0x28, 0x00, 0x02, 0x30, 0x55, 0x53, 6, 0, 4, 0, 0, 0, 8, 0]),
      Buffer.from([0x28, 0x00, 0x06, 0x30, 0x55, 0x53, 8, 0, 0, 0, 50, 0, 100, 0, 255, 0]),
    ]);
    const elements = gray([
      { tag: [0x0028, 0x1050], vr: 'DS', value: '1' },
      { tag: [0x0028, 0x1051], vr: 'DS', value: '2' },
      { tag: [0x0028, 0x3010], vr: 'SQ', value: new Uint8Array(lutSequence) },
    ]);
    const pixels = new Uint8Array(new Uint16Array([0, 1, 2, 3]).buffer);
    const image = await openImageBuffer(
      buildDicom({ transferSyntaxUid: '1.2.840.10008.1.2.1', elements, pixels }),
      'voi',
    );
    const frame = await image.decodeFrame(0);
    expect(image.metadata.voiLut?.data).toEqual([0, 50, 100, 255]);
    expect(Array.from(renderDisplay8(frame, { ...image.metadata, windows: [] }))).toEqual([
      0, 50, 100, 255,
    ]);
    const sigmoid = windowMapper({ center: 100, width: 50 }, 'SIGMOID');
    expect(sigmoid(100)).toBeCloseTo(127.5, 6);
    const exact = windowMapper({ center: 100, width: 50 }, 'LINEAR_EXACT');
    expect([exact(75), exact(100), exact(125), exact(126)]).toEqual([0, 127.5, 255, 255]);
    const linear = windowMapper({ center: 2048, width: 4096 });
    expect([linear(-1), linear(0), linear(4095), linear(4096)].map(Math.round)).toEqual([
      0, 0, 255, 255,
    ]);
  });

  it('character sets: UTF-8 (ISO_IR 192) and Latin-1 (ISO_IR 100) names', async () => {
    const pixels = new Uint8Array(4);
    const utf8 = imagePixelElements({
      rows: 2,
      columns: 2,
      bitsAllocated: 8,
      charset: 'ISO_IR 192',
      patientName: 'Müller^Jürgen',
    });
    const a = await openImageBuffer(
      buildDicom({ transferSyntaxUid: '1.2.840.10008.1.2.1', elements: utf8, pixels }),
      'utf8',
    );
    expect(a.metadata.patientName).toBe('Müller Jürgen');
    const latin = imagePixelElements({
      rows: 2,
      columns: 2,
      bitsAllocated: 8,
      charset: 'ISO_IR 100',
      extra: [],
    });
    latin.splice(1, 0, {
      tag: [0x0010, 0x0010],
      vr: 'PN',
      value: new Uint8Array(Buffer.from('Gr\xfcn^Ana ', 'latin1')),
    });
    const b = await openImageBuffer(
      buildDicom({ transferSyntaxUid: '1.2.840.10008.1.2.1', elements: latin, pixels }),
      'latin1',
    );
    expect(b.metadata.patientName).toBe('Grün Ana');
  });

  it('YBR_FULL native colour and 16-bit PALETTE COLOR entries become 8-bit RGB', async () => {
    const ybr = imagePixelElements({
      rows: 1,
      columns: 2,
      bitsAllocated: 8,
      samplesPerPixel: 3,
      photometric: 'YBR_FULL',
    });
    const a = await openImageBuffer(
      buildDicom({
        transferSyntaxUid: '1.2.840.10008.1.2.1',
        elements: ybr,
        pixels: new Uint8Array([76, 85, 255, 255, 128, 128]),
      }),
      'ybr',
    );
    expect(Array.from((await a.decodeFrame(0)).rgb ?? [])).toEqual([254, 0, 0, 255, 255, 255]);
    const lut = (values: number[]) => new Uint8Array(new Uint16Array(values).buffer);
    const palette = imagePixelElements({
      rows: 1,
      columns: 2,
      bitsAllocated: 8,
      photometric: 'PALETTE COLOR',
      extra: [
        { tag: [0x0028, 0x1101], vr: 'US', value: [2, 0, 16] },
        { tag: [0x0028, 0x1102], vr: 'US', value: [2, 0, 16] },
        { tag: [0x0028, 0x1103], vr: 'US', value: [2, 0, 16] },
        { tag: [0x0028, 0x1201], vr: 'OW', value: lut([0xffff, 0x0000]) },
        { tag: [0x0028, 0x1202], vr: 'OW', value: lut([0x8000, 0x0100]) },
        { tag: [0x0028, 0x1203], vr: 'OW', value: lut([0x0000, 0xff00]) },
      ],
    });
    const b = await openImageBuffer(
      buildDicom({
        transferSyntaxUid: '1.2.840.10008.1.2.1',
        elements: palette,
        pixels: new Uint8Array([0, 1]),
      }),
      'pal',
    );
    expect(Array.from((await b.decodeFrame(0)).rgb ?? [])).toEqual([255, 128, 0, 0, 1, 255]);
  });
});

describe('broken input gets a specific code', () => {
  const native = (rows: number, bytes: number, bits = 16) =>
    buildDicom({
      transferSyntaxUid: '1.2.840.10008.1.2.1',
      elements: imagePixelElements({ rows, columns: 4, bitsAllocated: bits }),
      pixels: new Uint8Array(bytes),
    });

  it.each([
    [
      'a text file',
      'NOT_DICOM',
      () => new Uint8Array(Buffer.from('hello, this is not an image\n'.repeat(10))),
    ],
    ['an empty buffer', 'NOT_DICOM', () => new Uint8Array(0)],
    ['pixel data shorter than rows x columns', 'PIXEL_DATA_LENGTH_MISMATCH', () => native(4, 16)],
    [
      '10 bits allocated (neither 1, 12 nor a multiple of 8)',
      'INVALID_PIXEL_ATTRIBUTES',
      () => native(2, 16, 10),
    ],
    [
      'an unknown transfer syntax',
      'UNSUPPORTED_TRANSFER_SYNTAX',
      () =>
        buildDicom({
          transferSyntaxUid: '1.2.840.10008.1.2.4.110',
          elements: imagePixelElements({ rows: 2, columns: 2, bitsAllocated: 8 }),
          fragments: [new Uint8Array(8)],
        }),
    ],
    [
      'a J2K frame that is garbage',
      'CODEC_ERROR',
      () =>
        buildDicom({
          transferSyntaxUid: '1.2.840.10008.1.2.4.90',
          elements: imagePixelElements({ rows: 2, columns: 2, bitsAllocated: 8 }),
          fragments: [new Uint8Array([0xff, 0x4f, 0xff, 0x51, 1, 2, 3, 4])],
        }),
    ],
    [
      'a JPEG-LS frame that is garbage',
      'CODEC_ERROR',
      () =>
        buildDicom({
          transferSyntaxUid: '1.2.840.10008.1.2.4.80',
          elements: imagePixelElements({ rows: 2, columns: 2, bitsAllocated: 8 }),
          fragments: [new Uint8Array([0xff, 0xd8, 0xff, 0xf7, 0, 0])],
        }),
    ],
  ] as [string, string, () => Uint8Array][])('%s -> %s', async (_name, code, bytes) => {
    expect(await codeOfBuffer(bytes())).toBe(code);
  });

  it('a file that does not exist', async () => {
    await expect(openImage(dicomPath('no-such-file.dcm'))).rejects.toMatchObject({
      code: 'FILE_NOT_FOUND',
    });
  });

  it('reads JPEG frame headers', () => {
    expect(
      readJpegFrameHeader(
        new Uint8Array([0xff, 0xd8, 0xff, 0xc1, 0, 11, 12, 0, 2, 0, 3, 1, 1, 0x11, 0]),
      ),
    ).toMatchObject({
      sofMarker: 0xc1,
      precision: 12,
      height: 2,
      width: 3,
    });
  });
});
