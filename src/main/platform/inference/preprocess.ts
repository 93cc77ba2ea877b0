/**
 * Model preprocessing, steps 2-4 of docs/architecture.md: crop, resize, normalise, layout, exactly
 * as `training/preprocess.py` does it (parity-tested against it). Input is the display-ready gray
 * image (0..255, bone bright) from the imaging module's `toModelGray`.
 */
import type { CropRule, ModelInputSpec } from '../../../shared/model-manifest';

/** A rectangle in source pixel coordinates. */
export interface PixelRect {
  x: number;
  y: number;
  width: number;
  height: number;
}

export interface GrayImage {
  /** Row-major gray values, 0..255. */
  data: Float32Array;
  width: number;
  height: number;
}

export interface ModelTensor {
  /** One image, N=1, in the manifest's layout. */
  data: Float32Array;
  dims: [number, number, number, number];
  /** The part of the source image the model sees (what heatmaps are registered to). */
  crop: PixelRect;
}

/** Crop rectangle with the same integer arithmetic as training/preprocess.py `crop_box`. */
export function cropRect(
  width: number,
  height: number,
  crop: Exclude<CropRule, { kind: 'lung-box-square' }>,
): PixelRect {
  switch (crop.kind) {
    case 'none':
      return { x: 0, y: 0, width, height };
    case 'center-square': {
      const side = Math.min(height, width);
      return {
        x: Math.floor((width - side) / 2),
        y: Math.floor((height - side) / 2),
        width: side,
        height: side,
      };
    }
    case 'top-fraction-then-center-square': {
      const top = Math.floor(height * crop.topFraction);
      const remaining = height - top;
      const side = Math.min(remaining, width);
      return {
        x: Math.floor((width - side) / 2),
        y: top + Math.floor((remaining - side) / 2),
        width: side,
        height: side,
      };
    }
  }
}

/**
 * torch adaptive_avg_pool2d: output i averages source indices floor(i*in/out) ..
 * ceil((i+1)*in/out)-1. Returns [start, end) pairs. Integer arithmetic keeps it exact.
 */
function adaptiveBins(inSize: number, outSize: number): Int32Array {
  const bins = new Int32Array(outSize * 2);
  for (let i = 0; i < outSize; i++) {
    bins[2 * i] = Math.floor((i * inSize) / outSize);
    bins[2 * i + 1] = Math.ceil(((i + 1) * inSize) / outSize);
  }
  return bins;
}

/** `area` resize of `rect` of `image` to outWidth x outHeight (float64 sums, separable). */
export function resizeArea(
  image: GrayImage,
  rect: PixelRect,
  outWidth: number,
  outHeight: number,
): Float32Array {
  const xBins = adaptiveBins(rect.width, outWidth);
  const yBins = adaptiveBins(rect.height, outHeight);
  // Pass 1: per source row of the crop, column sums per output column.
  const colSums = new Float64Array(rect.height * outWidth);
  for (let y = 0; y < rect.height; y++) {
    const rowStart = (rect.y + y) * image.width + rect.x;
    for (let ox = 0; ox < outWidth; ox++) {
      let sum = 0;
      for (let x = xBins[2 * ox]; x < xBins[2 * ox + 1]; x++) sum += image.data[rowStart + x];
      colSums[y * outWidth + ox] = sum;
    }
  }
  // Pass 2: sum those over each output row's source rows, divide by the bin area.
  const out = new Float32Array(outWidth * outHeight);
  for (let oy = 0; oy < outHeight; oy++) {
    const y0 = yBins[2 * oy];
    const y1 = yBins[2 * oy + 1];
    for (let ox = 0; ox < outWidth; ox++) {
      let sum = 0;
      for (let y = y0; y < y1; y++) sum += colSums[y * outWidth + ox];
      const area = (y1 - y0) * (xBins[2 * ox + 1] - xBins[2 * ox]);
      out[oy * outWidth + ox] = sum / area;
    }
  }
  return out;
}

/** Source index and weight per output index, torch bilinear with align_corners=False. */
export function bilinearTaps(
  inSize: number,
  outSize: number,
): { i0: Int32Array; i1: Int32Array; w1: Float64Array } {
  const scale = inSize / outSize;
  const i0 = new Int32Array(outSize);
  const i1 = new Int32Array(outSize);
  const w1 = new Float64Array(outSize);
  for (let o = 0; o < outSize; o++) {
    const src = Math.max((o + 0.5) * scale - 0.5, 0);
    const lo = Math.min(Math.floor(src), inSize - 1);
    i0[o] = lo;
    i1[o] = Math.min(lo + 1, inSize - 1);
    w1[o] = src - lo;
  }
  return { i0, i1, w1 };
}

/** `bilinear` resize: torch interpolate(mode='bilinear', align_corners=False, antialias=False). */
export function resizeBilinear(
  image: GrayImage,
  rect: PixelRect,
  outWidth: number,
  outHeight: number,
): Float32Array {
  const xs = bilinearTaps(rect.width, outWidth);
  const ys = bilinearTaps(rect.height, outHeight);
  const out = new Float32Array(outWidth * outHeight);
  const at = (x: number, y: number): number => image.data[(rect.y + y) * image.width + rect.x + x];
  for (let oy = 0; oy < outHeight; oy++) {
    const y0 = ys.i0[oy];
    const y1 = ys.i1[oy];
    const wy = ys.w1[oy];
    for (let ox = 0; ox < outWidth; ox++) {
      const x0 = xs.i0[ox];
      const x1 = xs.i1[ox];
      const wx = xs.w1[ox];
      const top = at(x0, y0) * (1 - wx) + at(x1, y0) * wx;
      const bottom = at(x0, y1) * (1 - wx) + at(x1, y1) * wx;
      out[oy * outWidth + ox] = top * (1 - wy) + bottom * wy;
    }
  }
  return out;
}

/** Crop + resize + normalise + layout of one gray image into a [1, ...] tensor per the manifest. */
export function preprocessGray(image: GrayImage, spec: ModelInputSpec): ModelTensor {
  if (image.data.length !== image.width * image.height) {
    throw new RangeError(
      `gray image has ${image.data.length} values, expected ${image.width}x${image.height}`,
    );
  }
  if (spec.crop.kind === 'lung-box-square') {
    throw new RangeError('a lung-box-square crop needs the lung mask (preprocessLungCrop)');
  }
  const crop = cropRect(image.width, image.height, spec.crop);
  if (crop.width < 1 || crop.height < 1) throw new RangeError('image too small to crop');
  const resized =
    spec.resize === 'area'
      ? resizeArea(image, crop, spec.width, spec.height)
      : resizeBilinear(image, crop, spec.width, spec.height);

  return normalizeToTensor(resized, spec, crop);
}

/** Normalise + lay out resized gray values (0..255) into a [1, ...] tensor per the manifest. */
export function normalizeToTensor(
  resized: Float32Array,
  spec: ModelInputSpec,
  crop: PixelRect,
): ModelTensor {
  const { channels, layout } = spec;
  const { scale, mean, std } = spec.normalization;
  const plane = spec.width * spec.height;
  const data = new Float32Array(plane * channels);
  for (let c = 0; c < channels; c++) {
    const m = mean.length === 1 ? mean[0] : mean[c];
    const s = std.length === 1 ? std[0] : std[c];
    for (let p = 0; p < plane; p++) {
      const value = (Math.fround(resized[p] * scale) - m) / s;
      data[layout === 'NCHW' ? c * plane + p : p * channels + c] = value;
    }
  }
  const dims: [number, number, number, number] =
    layout === 'NCHW'
      ? [1, channels, spec.height, spec.width]
      : [1, spec.height, spec.width, channels];
  return { data, dims, crop };
}

/**
 * Registration of a grid laid over the model input back onto the source image: the grid spans
 * the crop rectangle, so each cell is crop.width/gridWidth source pixels wide.
 */
export function gridRegistration(
  crop: PixelRect,
  gridWidth: number,
  gridHeight: number,
): { originX: number; originY: number; cellWidth: number; cellHeight: number } {
  return {
    originX: crop.x,
    originY: crop.y,
    cellWidth: crop.width / gridWidth,
    cellHeight: crop.height / gridHeight,
  };
}
