/**
 * Builds the cornerstone image object from a frame decoded in main (DOM-free, unit-tested).
 *
 * Grayscale frames arrive as modality values (modality LUT already applied), so the image gets
 * slope 1 / intercept 0 and stored values equal modality values. cornerstone indexes its LUT with
 * `storedValue - min(minPixelValue, 0)`, so stored values must be integers inside
 * [minPixelValue, maxPixelValue]: integer data is kept as is (in the smallest integer array that
 * holds it); non-integer data (float pixel data, fractional rescale) is quantised to 0..65535 with
 * a matching slope/intercept so windowing still works in modality units.
 */
import type { CornerstoneImage, CornerstoneVoiLut } from 'cornerstone-core';
import type { DecodedFrame, ImageMetadata, LookupTable } from '../../../shared/imaging';

const QUANTISED_LEVELS = 65535;
/** Above this many LUT entries cornerstone's per-render LUT rebuild would get slow. */
const MAX_INTEGER_LUT_LENGTH = 1 << 20;

/** Robust data range (modality units) the viewer's presets are defined on. */
export interface DisplayRange {
  min: number;
  max: number;
  /** 0.5th and 99.5th percentiles of non-padding values. */
  low: number;
  high: number;
}

export interface ViewerImage {
  image: CornerstoneImage;
  range: DisplayRange;
  /** True when bright = high values is reversed (MONOCHROME1). */
  invertedPhotometric: boolean;
}

export function toCornerstoneVoiLut(table: LookupTable): CornerstoneVoiLut {
  return {
    firstValueMapped: table.firstValueMapped,
    numBitsPerEntry: table.bitsPerEntry,
    lut: table.data,
  };
}

function integerArrayFor(
  min: number,
  max: number,
  length: number,
): Int16Array | Uint16Array | Int32Array {
  if (min >= 0 && max <= 65535) return new Uint16Array(length);
  if (min >= -32768 && max <= 32767) return new Int16Array(length);
  return new Int32Array(length);
}

function isIntegerData(pixels: Float32Array, mask: Uint8Array | undefined): boolean {
  for (let i = 0; i < pixels.length; i++) {
    if (mask && mask[i]) continue;
    const value = pixels[i];
    if (value !== Math.round(value)) return false;
  }
  return true;
}

/** Percentiles from a histogram of stored values (stored = integers in [min, max]). */
function percentilesFromStored(
  stored: ArrayLike<number>,
  mask: Uint8Array | undefined,
  min: number,
  max: number,
): { low: number; high: number } {
  const bins = max - min + 1;
  const histogram = new Uint32Array(bins);
  let count = 0;
  for (let i = 0; i < stored.length; i++) {
    if (mask && mask[i]) continue;
    histogram[stored[i] - min]++;
    count++;
  }
  const lowTarget = count * 0.005;
  const highTarget = count * 0.995;
  let cumulative = 0;
  let low = min;
  let high = max;
  let lowFound = false;
  for (let bin = 0; bin < bins; bin++) {
    cumulative += histogram[bin];
    if (!lowFound && cumulative > lowTarget) {
      low = min + bin;
      lowFound = true;
    }
    if (cumulative >= highTarget) {
      high = min + bin;
      break;
    }
  }
  return { low, high: Math.max(high, low + 1) };
}

export function buildViewerImage(
  imageId: string,
  metadata: ImageMetadata,
  frame: DecodedFrame,
): ViewerImage {
  const columnSpacing = metadata.pixelSpacing?.[1] ?? metadata.imagerPixelSpacing?.[1];
  const rowSpacing = metadata.pixelSpacing?.[0] ?? metadata.imagerPixelSpacing?.[0];
  const common = {
    imageId,
    rows: frame.rows,
    columns: frame.columns,
    height: frame.rows,
    width: frame.columns,
    columnPixelSpacing: columnSpacing,
    rowPixelSpacing: rowSpacing,
  };

  if (frame.kind === 'rgb') {
    const rgb = frame.rgb;
    if (!rgb) throw new Error('Colour frame without rgb data');
    const pixelCount = frame.rows * frame.columns;
    const rgba = new Uint8Array(pixelCount * 4);
    for (let i = 0, j = 0; i < pixelCount; i++, j += 3) {
      const k = i * 4;
      rgba[k] = rgb[j];
      rgba[k + 1] = rgb[j + 1];
      rgba[k + 2] = rgb[j + 2];
      rgba[k + 3] = 255;
    }
    return {
      image: {
        ...common,
        minPixelValue: 0,
        maxPixelValue: 255,
        slope: 1,
        intercept: 0,
        windowCenter: 127.5,
        windowWidth: 256,
        getPixelData: () => rgba,
        color: true,
        rgba: false,
        invert: false,
        sizeInBytes: rgba.byteLength,
      },
      range: { min: 0, max: 255, low: 0, high: 255 },
      invertedPhotometric: false,
    };
  }

  const pixels = frame.modalityPixels;
  if (!pixels) throw new Error('Grayscale frame without modality pixels');
  const mask = frame.paddingMask;
  const min = frame.minValue;
  const max = Math.max(frame.maxValue, frame.minValue + 1);
  const invertedPhotometric = metadata.photometricInterpretation === 'MONOCHROME1';
  const integer =
    isIntegerData(pixels, mask) && max - Math.min(min, 0) + 1 <= MAX_INTEGER_LUT_LENGTH;

  let stored: Uint16Array | Int16Array | Int32Array;
  let slope = 1;
  let intercept = 0;
  let storedMin: number;
  let storedMax: number;
  if (integer) {
    stored = integerArrayFor(min, max, pixels.length);
    storedMin = min;
    storedMax = max;
  } else {
    stored = new Uint16Array(pixels.length);
    slope = (max - min) / QUANTISED_LEVELS;
    intercept = min;
    storedMin = 0;
    storedMax = QUANTISED_LEVELS;
  }
  // Padding shows as black: the lowest value, or the highest for MONOCHROME1 (inverted later).
  const paddingStored = invertedPhotometric ? storedMax : storedMin;
  for (let i = 0; i < pixels.length; i++) {
    if (mask && mask[i]) {
      stored[i] = paddingStored;
      continue;
    }
    let value = pixels[i];
    value = value < min ? min : value > max ? max : value;
    stored[i] = integer ? value : Math.round((value - min) / slope);
  }

  const storedPercentiles = percentilesFromStored(stored, mask, storedMin, storedMax);
  const range: DisplayRange = {
    min,
    max,
    low: storedPercentiles.low * slope + intercept,
    high: storedPercentiles.high * slope + intercept,
  };
  const firstWindow = metadata.windows[0];
  const windowCenter = firstWindow ? firstWindow.center : (min + max) / 2;
  const windowWidth = firstWindow ? Math.max(firstWindow.width, 1) : max - min;

  return {
    image: {
      ...common,
      minPixelValue: storedMin,
      maxPixelValue: storedMax,
      slope,
      intercept,
      windowCenter,
      windowWidth,
      getPixelData: () => stored,
      color: false,
      rgba: false,
      invert: invertedPhotometric,
      sizeInBytes: stored.byteLength,
      voiLUT: metadata.voiLut ? toCornerstoneVoiLut(metadata.voiLut) : undefined,
    },
    range,
    invertedPhotometric,
  };
}
