/**
 * VOI (PS3.3 C.11.2) and the two 8-bit renderings built on it: the display image and the model's
 * gray input. MONOCHROME1 is inverted after VOI; RGB becomes luma with PIL's "L" weights.
 */
import type { DecodedFrame, ImageMetadata, LookupTable, VoiWindow } from '../../../shared/imaging';

export type VoiChoice = VoiWindow | 'default' | 'full-range';
type VoiFunction = NonNullable<ImageMetadata['voiLutFunction']>;

/** Maps a modality value to 0..255 (float) through a window, per the VOI LUT Function. */
export function windowMapper(window: VoiWindow, fn: VoiFunction = 'LINEAR'): (x: number) => number {
  const c = window.center;
  const w = window.width;
  if (fn === 'SIGMOID') return (x) => 255 / (1 + Math.exp((-4 * (x - c)) / w));
  if (fn === 'LINEAR_EXACT') {
    const low = c - w / 2;
    const high = c + w / 2;
    return (x) => (x <= low ? 0 : x > high ? 255 : ((x - c) / w + 0.5) * 255);
  }
  const wm1 = Math.max(w, 1) - 1;
  const low = c - 0.5 - wm1 / 2;
  const high = c - 0.5 + wm1 / 2;
  return (x) =>
    x <= low ? 0 : x > high ? 255 : wm1 === 0 ? 255 : ((x - (c - 0.5)) / wm1 + 0.5) * 255;
}

/** VOI LUT Sequence table -> 0..255 mapper; the output range is the descriptor's bit depth. */
export function voiLutMapper(lut: LookupTable): (x: number) => number {
  let maxEntry = 0;
  for (const v of lut.data) if (v > maxEntry) maxEntry = v;
  // Some writers declare 16 bits but fill 12: scale by the smallest power of two that holds the data.
  const declared = 2 ** Math.min(Math.max(lut.bitsPerEntry, 1), 16) - 1;
  const actual = 2 ** Math.max(1, Math.ceil(Math.log2(maxEntry + 1))) - 1;
  const top = Math.min(declared, actual);
  const last = lut.data.length - 1;
  return (x) => {
    let i = Math.round(x) - lut.firstValueMapped;
    if (i < 0) i = 0;
    else if (i > last) i = last;
    return (lut.data[i] / top) * 255;
  };
}

function rangeMapper(low: number, high: number): (x: number) => number {
  if (!(high > low)) return (x) => (x >= high ? 255 : 0);
  const scale = 255 / (high - low);
  return (x) => (x <= low ? 0 : x >= high ? 255 : (x - low) * scale);
}

/** PIL's ImagingConvert RGB -> L: (R*19595 + G*38470 + B*7471 + 0x8000) >> 16. */
export function rgbToLuma(rgb: Uint8Array, pixels: number): Uint8Array {
  const out = new Uint8Array(pixels);
  for (let i = 0; i < pixels; i++) {
    out[i] = (rgb[3 * i] * 19595 + rgb[3 * i + 1] * 38470 + rgb[3 * i + 2] * 7471 + 0x8000) >>> 16;
  }
  return out;
}

function applyGray(
  frame: DecodedFrame,
  metadata: ImageMetadata,
  map: (x: number) => number,
): Uint8Array {
  const values = frame.modalityPixels ?? new Float32Array(0);
  const n = frame.rows * frame.columns;
  const out = new Uint8Array(n);
  const invert = metadata.photometricInterpretation === 'MONOCHROME1';
  const mask = frame.paddingMask;
  for (let i = 0; i < n; i++) {
    if (mask && mask[i]) continue; // padding shows black
    const v = Math.round(map(values[i]));
    const clamped = v < 0 ? 0 : v > 255 ? 255 : v;
    out[i] = invert ? 255 - clamped : clamped;
  }
  return out;
}

function defaultMapper(frame: DecodedFrame, metadata: ImageMetadata): (x: number) => number {
  const first = metadata.windows[0];
  if (first) return windowMapper(first, metadata.voiLutFunction);
  if (metadata.voiLut) return voiLutMapper(metadata.voiLut);
  return rangeMapper(frame.minValue, frame.maxValue);
}

/**
 * 8-bit display image, bone bright. 'default' (or none): the file's first window, else its VOI LUT,
 * else the frame's full range. RGB frames become luma.
 */
export function renderDisplay8(
  frame: DecodedFrame,
  metadata: ImageMetadata,
  voi: VoiChoice = 'default',
): Uint8Array {
  const n = frame.rows * frame.columns;
  if (frame.kind === 'rgb') return rgbToLuma(frame.rgb ?? new Uint8Array(n * 3), n);
  const map =
    voi === 'full-range'
      ? rangeMapper(frame.minValue, frame.maxValue)
      : voi === 'default'
        ? defaultMapper(frame, metadata)
        : windowMapper(voi, metadata.voiLutFunction);
  return applyGray(frame, metadata, map);
}

/** The value at quantile q of the non-padding modality values. */
function percentiles(frame: DecodedFrame, qs: number[]): number[] {
  const values = frame.modalityPixels ?? new Float32Array(0);
  const mask = frame.paddingMask;
  let kept: Float32Array;
  if (mask) {
    kept = new Float32Array(values.length);
    let k = 0;
    for (let i = 0; i < values.length; i++) if (!mask[i]) kept[k++] = values[i];
    kept = kept.subarray(0, k);
  } else {
    kept = values.slice();
  }
  if (kept.length === 0) return qs.map(() => 0);
  kept.sort();
  // numpy's default (linear interpolation between closest ranks).
  return qs.map((q) => {
    const pos = q * (kept.length - 1);
    const lo = Math.floor(pos);
    const hi = Math.min(lo + 1, kept.length - 1);
    return kept[lo] + (kept[hi] - kept[lo]) * (pos - lo);
  });
}

/**
 * The model's gray input, 0..255 integers as float, bone bright. PNG/JPEG: values as decoded (RGB -> PIL
 * luma). DICOM: first window (else VOI LUT) if present; else 8-bit grayscale as stored; else the
 * 0.1-99.9 percentile window. MONOCHROME1 inverted after VOI; padding becomes 0.
 */
export function toModelGray(frame: DecodedFrame, metadata: ImageMetadata): Float32Array {
  const n = frame.rows * frame.columns;
  // Typed-array constructors and plain loops here: Float32Array.from with a mapping function is
  // two orders of magnitude slower and dominated screening time.
  if (frame.kind === 'rgb')
    return new Float32Array(rgbToLuma(frame.rgb ?? new Uint8Array(n * 3), n));
  if (metadata.sourceKind !== 'dicom') {
    const values = frame.modalityPixels ?? new Float32Array(n);
    const scale = metadata.bitsStored > 8 ? 255 / (2 ** metadata.bitsStored - 1) : 1;
    const out = new Float32Array(n);
    for (let i = 0; i < n; i++) out[i] = Math.round(values[i] * scale);
    return out;
  }
  let map: (x: number) => number;
  if (metadata.windows.length > 0 || metadata.voiLut) {
    map = defaultMapper(frame, metadata);
  } else if (metadata.bitsStored <= 8 && !metadata.floatPixelData) {
    map = (x) => x;
  } else {
    const [low, high] = percentiles(frame, [0.001, 0.999]);
    map = rangeMapper(low, high);
  }
  return new Float32Array(applyGray(frame, metadata, map));
}
