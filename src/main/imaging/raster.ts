/** PNG (pngjs) and JPEG (libjpeg-turbo, the library PIL uses) inputs as single-frame images. */
import { PNG } from 'pngjs';
import { CodedError } from '../../shared/errors';
import type { DecodedFrame, ImageMetadata } from '../../shared/imaging';
import { decodeWithWasm } from '../dicom/codecs/wasm';
import { describeThrown } from '../dicom/errors';

const MAX_PIXELS = 2 ** 28;

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
    throw new CodedError('IMAGE_DECODE_ERROR', `${source}: ${describeThrown(error)}`, {
      cause: error,
    });
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
    throw new CodedError('IMAGE_DECODE_ERROR', `${source}: ${describeThrown(error)}`, {
      cause: error,
    });
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
