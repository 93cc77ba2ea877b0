/**
 * Frame decoder: one frame's stored samples, by transfer syntax. Output is what the file stores
 * (before the Modality LUT); the imaging pipeline applies bits-stored, sign, LUTs and colour.
 */
import type { Element, Fragment } from 'dicom-parser';
import { CodedError } from '../../../shared/errors';
import type { ImageMetadata, PhotometricInterpretation } from '../../../shared/imaging';
import { decodeJpegDct } from './codecs/jpeg-dct';
import { j2kDecompositionLevels } from './codecs/j2k-header';
import { photometricColourSpace, streamColourSpace, withColourSpace } from './codecs/jpeg-colour';
import { readJpegFrameHeader } from './codecs/jpeg-header';
import { decodeJpegLossless } from './codecs/jpeg-lossless';
import { decodeRle } from './codecs/rle';
import { decodeWithWasm, type CodecFrameInfo } from './codecs/wasm';
import { encapsulatedFrame, nativeFrame } from './frames';
import type { PixelModule } from './metadata';
import type { DicomFile } from './parse';
import type { PixelCodec } from './transfer-syntax';

export type SampleArray =
  | Uint8Array
  | Int8Array
  | Uint16Array
  | Int16Array
  | Uint32Array
  | Int32Array
  | Float32Array
  | Float64Array;

export interface StoredFrame {
  /** Grayscale: one sample per pixel; colour: `samplesPerPixel` per pixel, see `planar`. */
  samples: SampleArray;
  samplesPerPixel: number;
  planar: boolean;
  /** Photometric of `samples` (codecs convert JPEG YBR to RGB and undo J2K's ICT/RCT). */
  photometric: PhotometricInterpretation;
  /**
   * True when integer samples are bit patterns that still need masking to Bits Stored and sign
   * extension per Pixel Representation. False when the codec already produced the values
   * (JPEG 2000 with a signed codestream: its values are trusted, as pydicom and GDCM do).
   */
  needsBitsStoredFix: boolean;
  /** Set when the codec reported near-lossless or lossy coding. */
  lossy?: boolean;
  /** Decisions worth showing (e.g. a JPEG stream whose colour markers contradict the file). */
  notes?: string[];
  /** Set when JPEG 2000 was decoded at reduced resolution: the size of `samples`. */
  reduced?: { rows: number; columns: number; level: number };
}

export interface DecodeOptions {
  /**
   * Smallest rows and columns the caller needs (a thumbnail, the model's input). JPEG 2000 frames
   * are then decoded at the coarsest wavelet resolution that is still at least this size on both
   * sides, which is several times faster on large films; every other syntax, and JPEG 2000
   * without the option, decodes at full resolution (what the viewer needs).
   */
  minDimension?: number;
}

/** Wavelet levels to drop so that both sides stay >= minDimension (0 = full resolution). */
export function reductionLevel(
  rows: number,
  columns: number,
  availableLevels: number,
  minDimension: number | undefined,
): number {
  if (!minDimension || minDimension < 1) return 0;
  let level = 0;
  while (
    level < availableLevels &&
    Math.ceil(rows / 2 ** (level + 1)) >= minDimension &&
    Math.ceil(columns / 2 ** (level + 1)) >= minDimension
  ) {
    level++;
  }
  return level;
}

const HOST_LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

type SampleKind = 'uint' | 'int' | 'float';

/**
 * Bytes -> typed samples with at most one copy: a view when the bytes are aligned and in host
 * order (file bytes are never written through it), else one copy, byte-swapped when needed.
 */
export function samplesFromBytes(
  bytes: Uint8Array,
  bitsPerSample: number,
  kind: SampleKind = 'uint',
  littleEndian = true,
): SampleArray {
  if (bitsPerSample <= 8) {
    return kind === 'int' ? new Int8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength) : bytes;
  }
  const size = bitsPerSample <= 16 ? 2 : bitsPerSample <= 32 ? 4 : 8;
  const count = Math.floor(bytes.length / size);
  let source = bytes.subarray(0, count * size);
  const swap = littleEndian !== HOST_LITTLE_ENDIAN;
  if (swap || source.byteOffset % size !== 0) {
    const copy = Buffer.from(source); // one copy, aligned at 0
    if (swap) {
      if (size === 2) copy.swap16();
      else if (size === 4) copy.swap32();
      else copy.swap64();
    }
    source = new Uint8Array(copy.buffer, copy.byteOffset, copy.byteLength);
    if (source.byteOffset % size !== 0) source = source.slice();
  }
  const { buffer, byteOffset } = source;
  if (size === 2) {
    return kind === 'int'
      ? new Int16Array(buffer, byteOffset, count)
      : new Uint16Array(buffer, byteOffset, count);
  }
  if (size === 4) {
    if (kind === 'float') return new Float32Array(buffer, byteOffset, count);
    return kind === 'int'
      ? new Int32Array(buffer, byteOffset, count)
      : new Uint32Array(buffer, byteOffset, count);
  }
  return new Float64Array(buffer, byteOffset, count);
}

/**
 * Samples of `bitsAllocated` bits packed with no padding, least significant bit first within
 * little-endian words (PS3.5 8.1.1 and D.1): 1-bit data, and the retired Bits Allocated 12.
 */
function unpackPackedSamples(
  bytes: Uint8Array,
  bitOffset: number,
  count: number,
  bitsAllocated: number,
): Uint8Array | Uint16Array {
  const out = bitsAllocated <= 8 ? new Uint8Array(count) : new Uint16Array(count);
  const mask = (1 << bitsAllocated) - 1;
  for (let i = 0; i < count; i++) {
    const bit = bitOffset + i * bitsAllocated;
    const at = bit >> 3;
    const window = bytes[at] | ((bytes[at + 1] ?? 0) << 8) | ((bytes[at + 2] ?? 0) << 16);
    out[i] = (window >>> (bit & 7)) & mask;
  }
  return out;
}

/** YBR_FULL_422 native data stores Y1 Y2 Cb Cr per horizontal pixel pair: expand to full YBR. */
function expandYbr422(bytes: Uint8Array, rows: number, columns: number): Uint8Array {
  const out = new Uint8Array(rows * columns * 3);
  const pairsPerRow = Math.ceil(columns / 2);
  for (let y = 0; y < rows; y++) {
    for (let p = 0; p < pairsPerRow; p++) {
      const src = (y * pairsPerRow + p) * 4;
      for (let k = 0; k < 2; k++) {
        const x = 2 * p + k;
        if (x >= columns) break;
        const dst = (y * columns + x) * 3;
        out[dst] = bytes[src + k];
        out[dst + 1] = bytes[src + 2];
        out[dst + 2] = bytes[src + 3];
      }
    }
  }
  return out;
}

function decodeNative(
  file: DicomFile,
  meta: ImageMetadata,
  pixel: PixelModule,
  frameIndex: number,
): StoredFrame {
  const pixels = meta.rows * meta.columns;
  const littleEndian = file.transferSyntax?.littleEndian ?? true;
  const planar = meta.planarConfiguration === 1;
  if (meta.photometricInterpretation === 'YBR_FULL_422' && meta.bitsAllocated === 8) {
    const frameBits = Math.ceil(meta.columns / 2) * 4 * meta.rows * 8;
    const { bytes } = nativeFrame(file.dataSet, pixel.pixelElement, frameIndex, frameBits);
    return {
      samples: expandYbr422(bytes, meta.rows, meta.columns),
      samplesPerPixel: 3,
      planar: false,
      photometric: 'YBR_FULL',
      needsBitsStoredFix: false,
    };
  }
  const frameBits = pixels * meta.samplesPerPixel * meta.bitsAllocated;
  // Big endian OW holding samples narrower than a word: the bytes of each 16-bit word are
  // swapped in the file (PS3.5 7.3, as DCMTK and GDCM read it).
  const swapWords = !littleEndian && meta.bitsAllocated < 16 && pixel.pixelElement.vr === 'OW';
  let { bytes, bitOffset } = nativeFrame(
    file.dataSet,
    pixel.pixelElement,
    frameIndex,
    frameBits,
    swapWords ? 2 : 1,
  );
  if (swapWords) {
    bytes = new Uint8Array(Buffer.from(bytes).swap16()).subarray(bitOffset >> 3);
    bitOffset &= 7;
    bytes = bytes.subarray(0, Math.ceil((bitOffset + frameBits) / 8));
  }
  let samples: SampleArray;
  let needsBitsStoredFix = pixel.pixelDataKind === 'integer';
  if (pixel.pixelDataKind !== 'integer') {
    samples = samplesFromBytes(bytes, meta.bitsAllocated, 'float', littleEndian);
  } else if (meta.bitsAllocated % 8 !== 0) {
    samples = unpackPackedSamples(
      bytes,
      bitOffset,
      pixels * meta.samplesPerPixel,
      meta.bitsAllocated,
    );
  } else {
    // Full-width signed samples are read as signed views: nothing left to fix per sample.
    const signedFull = meta.pixelRepresentation === 1 && meta.bitsStored === meta.bitsAllocated;
    samples = samplesFromBytes(
      bytes,
      meta.bitsAllocated,
      signedFull ? 'int' : 'uint',
      littleEndian,
    );
    if (signedFull || (meta.pixelRepresentation === 0 && meta.bitsStored === meta.bitsAllocated))
      needsBitsStoredFix = false;
  }
  return {
    samples,
    samplesPerPixel: meta.samplesPerPixel,
    planar,
    photometric: meta.photometricInterpretation,
    needsBitsStoredFix,
  };
}

function sizeCheck(meta: ImageMetadata, codec: string) {
  return (info: Pick<CodecFrameInfo, 'width' | 'height' | 'componentCount'>): void => {
    if (info.width !== meta.columns || info.height !== meta.rows) {
      throw new CodedError(
        'CODEC_ERROR',
        `${codec} codestream is ${info.width}x${info.height}, the data set says ${meta.columns}x${meta.rows}`,
      );
    }
    if (info.componentCount !== meta.samplesPerPixel) {
      throw new CodedError(
        'CODEC_ERROR',
        `${codec} codestream has ${info.componentCount} components, the data set says ${meta.samplesPerPixel}`,
      );
    }
  };
}

function colourAfterCodec(meta: ImageMetadata, components: number): PhotometricInterpretation {
  if (components !== 3) return meta.photometricInterpretation;
  return 'RGB';
}

async function decodeJpegFamily(encoded: Uint8Array, meta: ImageMetadata): Promise<StoredFrame> {
  const header = readJpegFrameHeader(encoded);
  if (!header) throw new CodedError('CODEC_ERROR', 'JPEG stream has no frame header');
  const check = sizeCheck(meta, 'JPEG');
  check({ width: header.width, height: header.height, componentCount: header.components.length });
  if (header.sofMarker === 0xc3 || header.sofMarker === 0xc7)
    return decodeLosslessFrame(encoded, meta);
  if (header.precision <= 8) {
    let stream = encoded;
    const notes: string[] = [];
    if (header.components.length === 3) {
      const inStream = streamColourSpace(encoded);
      const wanted = photometricColourSpace(meta.photometricInterpretation);
      if (inStream !== wanted) {
        stream = withColourSpace(encoded, wanted);
        notes.push(
          `JPEG stream markers say ${inStream} but Photometric Interpretation is ` +
            `${meta.photometricInterpretation}: decoded as ${wanted}, as DCMTK does`,
        );
      }
    }
    // Extended (SOF1) 8-bit may still need the DCT decoder below if libjpeg-turbo refuses it.
    const result = await decodeWithWasm('libjpeg-turbo', stream, check).catch((error: unknown) => {
      if (header.sofMarker === 0xc1) return undefined;
      throw error;
    });
    if (result) {
      return {
        samples: result.bytes,
        samplesPerPixel: result.info.componentCount,
        planar: false,
        photometric: colourAfterCodec(meta, result.info.componentCount),
        needsBitsStoredFix: true,
        ...(notes.length ? { notes } : {}),
      };
    }
  }
  if (header.sofMarker !== 0xc0 && header.sofMarker !== 0xc1 && header.sofMarker !== 0xc2) {
    // Arithmetic coding (SOF9-11) and hierarchical processes: libjpeg-turbo's 8-bit build and
    // our DCT decoder cannot; DCMTK's IJG build cannot either.
    throw new CodedError(
      'UNSUPPORTED_TRANSFER_SYNTAX',
      `${header.precision}-bit JPEG with SOF 0x${header.sofMarker.toString(16)} ` +
        '(arithmetic coding or a hierarchical process) is not supported',
    );
  }
  // 12-bit sequential (process 4) and progressive / spectral selection (processes 8 and 12,
  // retired 1.2.840.10008.1.2.4.53 / .55): our DCT decoder, which equals DCMTK's dcmdjpeg.
  const image = decodeJpegDct(encoded);
  return {
    samples: image.data,
    samplesPerPixel: image.components,
    planar: false,
    photometric: meta.photometricInterpretation,
    needsBitsStoredFix: true,
  };
}

function decodeLosslessFrame(encoded: Uint8Array, meta: ImageMetadata): StoredFrame {
  const image = decodeJpegLossless(encoded);
  return {
    samples: image.data,
    samplesPerPixel: image.components,
    planar: false,
    photometric: meta.photometricInterpretation,
    needsBitsStoredFix: true,
  };
}

async function decodeJpegLs(encoded: Uint8Array, meta: ImageMetadata): Promise<StoredFrame> {
  const check = sizeCheck(meta, 'JPEG-LS');
  const result = await decodeWithWasm('charls', encoded, check);
  const bits = result.info.bitsPerSample;
  return {
    samples: samplesFromBytes(result.bytes, bits),
    samplesPerPixel: result.info.componentCount,
    planar: result.info.componentCount > 1 && result.interleaveMode === 0,
    photometric: meta.photometricInterpretation,
    needsBitsStoredFix: true,
    lossy: (result.nearLossless ?? 0) > 0 || undefined,
  };
}

async function decodeJ2k(
  encoded: Uint8Array,
  meta: ImageMetadata,
  codec: 'openjpeg' | 'openjph',
  options: DecodeOptions,
): Promise<StoredFrame> {
  const check = sizeCheck(meta, codec === 'openjpeg' ? 'JPEG 2000' : 'HTJ2K');
  // Sub-resolution decoding is used through OpenJPEG only (checked against full decodes).
  const level =
    codec === 'openjpeg'
      ? reductionLevel(
          meta.rows,
          meta.columns,
          j2kDecompositionLevels(encoded) ?? 0,
          options.minDimension,
        )
      : 0;
  const result = await decodeWithWasm(codec, encoded, check, level);
  const signed = result.info.isSigned === true;
  const samples = samplesFromBytes(
    result.bytes,
    result.info.bitsPerSample,
    signed ? 'int' : 'uint',
  );
  const ybrTransformed =
    meta.photometricInterpretation === 'YBR_ICT' || meta.photometricInterpretation === 'YBR_RCT';
  return {
    samples,
    samplesPerPixel: result.info.componentCount,
    planar: false,
    photometric: ybrTransformed ? 'RGB' : meta.photometricInterpretation,
    // A signed codestream is trusted as is; an unsigned one in a signed data set holds two's
    // complement patterns (pydicom reads odd_ct_j2k_pixelrep_mismatch this way: corner = -2000).
    needsBitsStoredFix: !signed && meta.pixelRepresentation === 1,
    ...(level > 0
      ? { reduced: { rows: result.info.height, columns: result.info.width, level } }
      : {}),
  };
}

/** Decodes frame `frameIndex` to stored samples. Throws CodedError. */
export async function decodeStoredFrame(
  file: DicomFile,
  meta: ImageMetadata,
  pixel: PixelModule,
  frameIndex: number,
  options: DecodeOptions = {},
): Promise<StoredFrame> {
  if (!Number.isInteger(frameIndex) || frameIndex < 0 || frameIndex >= meta.numberOfFrames) {
    throw new CodedError('FRAME_OUT_OF_RANGE', `frame ${frameIndex} of ${meta.numberOfFrames}`);
  }
  const ts = file.transferSyntax;
  if (!ts) {
    throw new CodedError(
      'UNSUPPORTED_TRANSFER_SYNTAX',
      `transfer syntax ${file.transferSyntaxUid} is not supported`,
    );
  }
  if (ts.codec === 'native') return decodeNative(file, meta, pixel, frameIndex);
  let encoded: Uint8Array;
  const notes: string[] = [];
  if (pixel.pixelElement.encapsulatedPixelData) {
    encoded = encapsulatedFrame(file.dataSet, pixel.pixelElement, frameIndex, meta.numberOfFrames);
  } else {
    const found = unencapsulatedFrame(file, meta, pixel, frameIndex, ts.name);
    notes.push(found.note);
    if (found.kind === 'native') return withNotes(found.frame, notes);
    encoded = found.encoded;
  }
  return withNotes(await decodeEncoded(encoded, meta, ts.codec, options), notes);
}

function withNotes(frame: StoredFrame, notes: string[]): StoredFrame {
  if (notes.length === 0) return frame;
  return { ...frame, notes: [...notes, ...(frame.notes ?? [])] };
}

/** Item tag (FFFE,E000) as little-endian bytes: the start of a fragment sequence. */
function startsWithItem(bytes: Uint8Array): boolean {
  return (
    bytes.length >= 8 &&
    bytes[0] === 0xfe &&
    bytes[1] === 0xff &&
    bytes[2] === 0x00 &&
    bytes[3] === 0xe0
  );
}

/** Fragments of a defined-length value that holds an item sequence (offset table first). */
function itemsAsFragments(
  bytes: Uint8Array,
  valueOffset: number,
): { basicOffsetTable: number[]; fragments: Fragment[] } {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const items: { position: number; length: number }[] = [];
  let pos = 0;
  while (pos + 8 <= bytes.length) {
    const group = view.getUint16(pos, true);
    const element = view.getUint16(pos + 2, true);
    const length = view.getUint32(pos + 4, true);
    if (group !== 0xfffe || element === 0xe0dd) break;
    if (element !== 0xe000 || pos + 8 + length > bytes.length)
      throw new CodedError('MALFORMED_DICOM', `bad pixel data item at byte ${pos}`);
    items.push({ position: pos + 8, length });
    pos += 8 + length;
  }
  const [table, ...rest] = items;
  if (!table || rest.length === 0)
    throw new CodedError('NO_PIXEL_DATA', 'pixel data items hold no fragment');
  const basicOffsetTable: number[] = [];
  for (let i = 0; i + 4 <= table.length; i += 4)
    basicOffsetTable.push(view.getUint32(table.position + i, true));
  const first = rest[0].position - 8;
  const fragments = rest.map((item) => ({
    offset: item.position - 8 - first,
    position: valueOffset + item.position,
    length: item.length,
  }));
  return { basicOffsetTable, fragments };
}

/** Start of each codestream in bytes holding several JPEG streams back to back. */
function jpegStreamStarts(bytes: Uint8Array): number[] {
  const starts = [0];
  for (let p = 2; p + 2 < bytes.length; p++) {
    if (bytes[p] !== 0xff || bytes[p + 1] !== 0xd8 || bytes[p + 2] !== 0xff) continue;
    // Directly after an EOI (FFD9), or after an EOI and one pad byte.
    const afterEoi = (at: number): boolean =>
      at >= 2 && bytes[at - 2] === 0xff && bytes[at - 1] === 0xd9;
    if (afterEoi(p) || afterEoi(p - 1)) starts.push(p);
  }
  return starts;
}

type UnencapsulatedFrame =
  | { kind: 'native'; frame: StoredFrame; note: string }
  | { kind: 'encoded'; encoded: Uint8Array; note: string };

/**
 * Pixel Data with a defined length under an encapsulated transfer syntax (PS3.5 A.4 forbids it).
 * DCMTK refuses such files; GDCM decodes what the bytes are, and so do we: an item sequence
 * (fragments whose sequence has a defined length), a bare codestream, or native samples when
 * the length is exactly what native frames need. Every case leaves a decode note.
 */
function unencapsulatedFrame(
  file: DicomFile,
  meta: ImageMetadata,
  pixel: PixelModule,
  frameIndex: number,
  syntaxName: string,
): UnencapsulatedFrame {
  const element = pixel.pixelElement;
  const bytes = file.dataSet.byteArray.subarray(
    element.dataOffset,
    Math.min(element.dataOffset + element.length, file.dataSet.byteArray.length),
  );
  const problem = `Pixel Data is not encapsulated although the transfer syntax is ${syntaxName}`;
  if (startsWithItem(bytes)) {
    const encapsulated: Element = {
      ...element,
      encapsulatedPixelData: true,
      ...itemsAsFragments(bytes, element.dataOffset),
    };
    return {
      kind: 'encoded',
      encoded: encapsulatedFrame(file.dataSet, encapsulated, frameIndex, meta.numberOfFrames),
      note: `${problem}: its value holds fragment items, decoded from them (as GDCM does)`,
    };
  }
  if (bytes.length >= 2 && bytes[0] === 0xff && (bytes[1] === 0xd8 || bytes[1] === 0x4f)) {
    const starts = bytes[1] === 0xd8 ? jpegStreamStarts(bytes) : [0];
    if (frameIndex >= starts.length && meta.numberOfFrames > 1)
      throw new CodedError(
        'FRAME_OUT_OF_RANGE',
        `frame ${frameIndex} not found in the codestreams`,
      );
    return {
      kind: 'encoded',
      encoded: bytes.subarray(starts[frameIndex] ?? 0, starts[frameIndex + 1] ?? bytes.length),
      note: `${problem}: its value is a bare codestream, decoded as such (as GDCM does)`,
    };
  }
  const frameBytes =
    meta.photometricInterpretation === 'YBR_FULL_422' && meta.bitsAllocated === 8
      ? Math.ceil(meta.columns / 2) * 4 * meta.rows
      : (meta.rows * meta.columns * meta.samplesPerPixel * meta.bitsAllocated) / 8;
  const nativeBytes = frameBytes * meta.numberOfFrames;
  if (Math.abs(bytes.length - nativeBytes) <= 1) {
    return {
      kind: 'native',
      frame: decodeNative(file, meta, pixel, frameIndex),
      note: `${problem}: its length is that of native pixels, decoded as native (as GDCM does)`,
    };
  }
  throw new CodedError(
    'MALFORMED_DICOM',
    `${problem}, and its ${bytes.length} bytes are neither fragments, a codestream nor native pixels`,
  );
}

async function decodeEncoded(
  encoded: Uint8Array,
  meta: ImageMetadata,
  codec: Exclude<PixelCodec, 'native'>,
  options: DecodeOptions,
): Promise<StoredFrame> {
  switch (codec) {
    case 'rle': {
      const bytes = decodeRle(encoded, meta);
      return {
        samples: samplesFromBytes(bytes, meta.bitsAllocated),
        samplesPerPixel: meta.samplesPerPixel,
        planar: false,
        photometric: meta.photometricInterpretation,
        needsBitsStoredFix: true,
      };
    }
    case 'jpeg-baseline':
    case 'jpeg-extended':
    case 'jpeg-lossless':
      return decodeJpegFamily(encoded, meta);
    case 'jpeg-ls':
      return decodeJpegLs(encoded, meta);
    case 'jpeg2000':
      return decodeJ2k(encoded, meta, 'openjpeg', options);
    case 'htj2k':
      return decodeJ2k(encoded, meta, 'openjph', options);
  }
}
