/** PNG (pngjs) and JPEG (libjpeg-turbo, the library PIL uses) inputs as single-frame images. */
import { PNG } from 'pngjs';
import { CodedError } from '../../shared/errors';
import type { DecodedFrame, ImageMetadata } from '../../shared/imaging';
import { decodeWithWasm } from '../dicom/codecs/wasm';
import { describeThrown } from '../dicom/errors';

const MAX_PIXELS = 2 ** 28;

/** A JPEG ends with the EOI marker (FF D9), possibly followed by a little padding. */
function jpegHasEnd(bytes: Uint8Array): boolean {
  for (let i = bytes.length - 2; i >= Math.max(0, bytes.length - 64); i--)
    if (bytes[i] === 0xff && bytes[i + 1] === 0xd9) return true;
  return false;
}

/** A PNG ends with its IEND chunk (the 8-byte tag and CRC after its zero length). */
function pngHasEnd(bytes: Uint8Array): boolean {
  const tail = Buffer.from(bytes.subarray(Math.max(0, bytes.length - 64))).toString('latin1');
  return tail.includes('IEND');
}

/**
 * Why a PNG/JPEG could not be decoded, in words: a file cut short says so (the usual cause: an
 * interrupted copy or download); otherwise the decoder's own message, without the WASM codecs'
 * meaningless native exception numbers.
 */
function damagedImageMessage(kind: 'PNG' | 'JPEG', bytes: Uint8Array, thrown: unknown): string {
  const complete = kind === 'PNG' ? pngHasEnd(bytes) : jpegHasEnd(bytes);
  if (!complete)
    return `the ${kind} file is truncated: it ends after ${bytes.length} bytes without its end marker (an interrupted copy or download?)`;
  const detail = typeof thrown === 'number' ? '' : `: ${describeThrown(thrown)}`;
  return `the ${kind} file is corrupt; its image data could not be decoded${detail}`;
}

export interface RasterImage {
  metadata: ImageMetadata;
  frame: DecodedFrame;
}

function baseMetadata(
  kind: 'png' | 'jpeg',
  rows: number,
  columns: number,
  color: boolean,
  bits: number,
): ImageMetadata {
  return {
    sourceKind: kind,
    rows,
    columns,
    numberOfFrames: 1,
    samplesPerPixel: color ? 3 : 1,
    photometricInterpretation: color ? 'RGB' : 'MONOCHROME2',
    bitsAllocated: bits,
    bitsStored: bits,
    highBit: bits - 1,
    pixelRepresentation: 0,
    rescaleSlope: 1,
    rescaleIntercept: 0,
    windows: [],
  };
}

function grayFrame(values: Float32Array, rows: number, columns: number): DecodedFrame {
  let min = Infinity;
  let max = -Infinity;
  for (const v of values) {
    if (v < min) min = v;
    if (v > max) max = v;
  }
  return {
    frameIndex: 0,
    rows,
    columns,
    kind: 'grayscale',
    modalityPixels: values,
    minValue: min,
    maxValue: max,
  };
}

function pngHeader(bytes: Uint8Array): { width: number; height: number } {
  if (bytes.length < 24) throw new CodedError('IMAGE_DECODE_ERROR', 'PNG shorter than its header');
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return { width: view.getUint32(16), height: view.getUint32(20) };
}

export function decodePng(bytes: Uint8Array, source: string): RasterImage {
  const { width, height } = pngHeader(bytes);
  if (width < 1 || height < 1 || width * height > MAX_PIXELS) {
    throw new CodedError('IMAGE_DECODE_ERROR', `${source}: PNG size ${width}x${height} refused`);
  }
  let png: PNG;
  try {
    png = PNG.sync.read(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength), {
      skipRescale: true,
    });
  } catch (error) {
    throw new CodedError(
      'IMAGE_DECODE_ERROR',
      `${source}: ${damagedImageMessage('PNG', bytes, error)}`,
      {
        cause: error,
      },
    );
  }
  // pngjs always yields RGBA (palette expanded); 16-bit data stays 16-bit with skipRescale.
  const data = png.data as unknown as ArrayLike<number>;
  const bits = bytes[24] === 16 ? 16 : 8; // IHDR bit depth
  const colorType = bytes[25]; // IHDR colour type: 0 gray, 2 RGB, 3 palette, 4 gray+alpha, 6 RGBA
  const gray = colorType === 0 || colorType === 4;
  const n = png.width * png.height;
  if (gray) {
    const values = new Float32Array(n);
    for (let i = 0; i < n; i++) values[i] = data[4 * i];
    return {
      metadata: baseMetadata('png', png.height, png.width, false, bits),
      frame: grayFrame(values, png.height, png.width),
    };
  }
  const rgb = new Uint8Array(n * 3);
  for (let i = 0; i < n; i++) {
    for (let c = 0; c < 3; c++) {
      const v = data[4 * i + c];
      rgb[3 * i + c] = bits === 16 ? Math.round(v / 257) : v;
    }
  }
  return {
    metadata: baseMetadata('png', png.height, png.width, true, 8),
    frame: {
      frameIndex: 0,
      rows: png.height,
      columns: png.width,
      kind: 'rgb',
      rgb,
      minValue: 0,
      maxValue: 255,
    },
  };
}

export async function decodeJpegFile(bytes: Uint8Array, source: string): Promise<RasterImage> {
  let result;
  try {
    result = await decodeWithWasm('libjpeg-turbo', bytes, (info) => {
      if (info.width * info.height > MAX_PIXELS)
        throw new CodedError('IMAGE_DECODE_ERROR', 'JPEG too large');
    });
  } catch (error) {
    if (error instanceof CodedError && error.code === 'IMAGE_DECODE_ERROR') throw error;
    // decodeWithWasm wraps what the codec threw (a number, for libjpeg-turbo) as its cause.
    const thrown = error instanceof CodedError && error.cause !== undefined ? error.cause : error;
    throw new CodedError(
      'IMAGE_DECODE_ERROR',
      `${source}: ${damagedImageMessage('JPEG', bytes, thrown)}`,
      { cause: error },
    );
  }
  const { width, height, componentCount } = result.info;
  const n = width * height;
  if (componentCount === 1) {
    const values = Float32Array.from(result.bytes.subarray(0, n));
    return {
      metadata: baseMetadata('jpeg', height, width, false, 8),
      frame: grayFrame(values, height, width),
    };
  }
  if (componentCount !== 3 || result.bytes.length < n * 3) {
    throw new CodedError(
      'IMAGE_DECODE_ERROR',
      `${source}: JPEG with ${componentCount} components is not supported`,
    );
  }
  return {
    metadata: baseMetadata('jpeg', height, width, true, 8),
    frame: {
      frameIndex: 0,
      rows: height,
      columns: width,
      kind: 'rgb',
      rgb: result.bytes.subarray(0, n * 3),
      minValue: 0,
      maxValue: 255,
    },
  };
}
