/**
 * The `lung-box-square` crop rule (defined in src/shared/model-manifest.ts, mirrored bit for bit
 * by training/lung_crop.py): square around the lung box with a margin, resized, and optionally
 * everything outside the (dilated) lung fields set to one gray value.
 */
import type { LungBoxSquareCrop, ModelInputSpec } from '../../../../shared/model-manifest';
import {
  normalizeToTensor,
  resizeArea,
  resizeBilinear,
  type GrayImage,
  type ModelTensor,
  type PixelRect,
} from '../preprocess';
import { lungBoxCells, type LungMask } from './postprocess';

/** Square crop (source pixels; may extend past the image) around the mask's lung box. */
export function lungSquare(
  mask: LungMask,
  imageWidth: number,
  imageHeight: number,
  margin: number,
): PixelRect | null {
  const box = lungBoxCells(mask);
  if (!box) return null;
  const x0 = Math.floor((box.x0 * imageWidth) / mask.width);
  const x1 = Math.ceil((box.x1 * imageWidth) / mask.width);
  const y0 = Math.floor((box.y0 * imageHeight) / mask.height);
  const y1 = Math.ceil((box.y1 * imageHeight) / mask.height);
  const side = Math.ceil(Math.max(x1 - x0, y1 - y0) * (1 + 2 * margin));
  return {
    x: Math.floor((x0 + x1 - side) / 2),
    y: Math.floor((y0 + y1 - side) / 2),
    width: side,
    height: side,
  };
}

/** The square's pixels as their own image; pixels past the image edges are `fill`. */
function extractSquare(image: GrayImage, square: PixelRect, fill: number): GrayImage {
  const { x: sx, y: sy, width: side } = square;
  const data = new Float32Array(side * side).fill(fill);
  const xStart = Math.max(0, -sx);
  const xEnd = Math.min(side, image.width - sx);
  for (let y = Math.max(0, -sy); y < Math.min(side, image.height - sy); y++) {
    if (xEnd <= xStart) break;
    const from = (sy + y) * image.width + sx;
    data.set(image.data.subarray(from + xStart, from + xEnd), y * side + xStart);
  }
  return { data, width: side, height: side };
}

/** The lung mask sampled on the model grid (1 = lung), before dilation. */
export function lungMaskOnModelGrid(
  mask: LungMask,
  square: PixelRect,
  imageWidth: number,
  imageHeight: number,
  outWidth: number,
  outHeight: number,
): Uint8Array {
  const out = new Uint8Array(outWidth * outHeight);
  for (let oy = 0; oy < outHeight; oy++) {
    const py = square.y + ((oy + 0.5) * square.height) / outHeight;
    if (py < 0 || py >= imageHeight) continue;
    const cy = Math.floor((py * mask.height) / imageHeight);
    for (let ox = 0; ox < outWidth; ox++) {
      const px = square.x + ((ox + 0.5) * square.width) / outWidth;
      if (px < 0 || px >= imageWidth) continue;
      const cx = Math.floor((px * mask.width) / imageWidth);
      out[oy * outWidth + ox] = mask.data[cy * mask.width + cx];
    }
  }
  return out;
}

/** Square-window dilation by `radius` cells (separable running max). */
export function dilateSquare(
  mask: Uint8Array,
  width: number,
  height: number,
  radius: number,
): Uint8Array {
  if (radius <= 0) return mask.slice();
  const rows = new Uint8Array(mask.length);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      let on = 0;
      for (let xx = Math.max(0, x - radius); xx <= Math.min(width - 1, x + radius) && !on; xx++) {
        on = mask[y * width + xx];
      }
      rows[y * width + x] = on;
    }
  }
  const out = new Uint8Array(mask.length);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      let on = 0;
      for (let yy = Math.max(0, y - radius); yy <= Math.min(height - 1, y + radius) && !on; yy++) {
        on = rows[yy * width + x];
      }
      out[y * width + x] = on;
    }
  }
  return out;
}

/** Crop + resize (+ outside-lung fill) + normalise per a `lung-box-square` rule. */
export function preprocessLungCrop(
  image: GrayImage,
  mask: LungMask,
  rule: LungBoxSquareCrop,
  spec: ModelInputSpec,
): ModelTensor | null {
  const square = lungSquare(mask, image.width, image.height, rule.margin);
  if (!square || square.width < 1) return null;
  const region = extractSquare(image, square, rule.fill);
  const whole = { x: 0, y: 0, width: region.width, height: region.height };
  const resized =
    spec.resize === 'area'
      ? resizeArea(region, whole, spec.width, spec.height)
      : resizeBilinear(region, whole, spec.width, spec.height);
  const filled = new Uint8Array(resized.length);
  if (rule.darkOutside) {
    const dark = new Uint8Array(resized.length);
    for (let i = 0; i < resized.length; i++) dark[i] = resized[i] < rule.darkOutside.below ? 1 : 0;
    const spread = dilateSquare(dark, spec.width, spec.height, rule.darkOutside.dilation);
    for (let i = 0; i < resized.length; i++) filled[i] = spread[i];
  }
  if (rule.outsideLungs) {
    const onGrid = lungMaskOnModelGrid(
      mask,
      square,
      image.width,
      image.height,
      spec.width,
      spec.height,
    );
    const keep = dilateSquare(onGrid, spec.width, spec.height, rule.outsideLungs.dilation);
    for (let i = 0; i < resized.length; i++) if (!keep[i]) filled[i] = 1;
  }
  for (let i = 0; i < resized.length; i++) if (filled[i]) resized[i] = rule.fill;
  if (rule.standardize) standardizeUnfilled(resized, filled, rule.standardize, rule.fill);
  return normalizeToTensor(resized, spec, square);
}

/** Step 6 of the rule: the same mean and spread inside the lungs for every film, whatever its source. */
function standardizeUnfilled(
  values: Float32Array,
  filled: Uint8Array,
  target: { mean: number; std: number },
  fill: number,
): void {
  let count = 0;
  let sum = 0;
  for (let i = 0; i < values.length; i++) {
    if (filled[i]) continue;
    count++;
    sum += values[i];
  }
  if (count === 0) return;
  const mean = sum / count;
  let squares = 0;
  for (let i = 0; i < values.length; i++) if (!filled[i]) squares += (values[i] - mean) ** 2;
  const spread = Math.max(Math.sqrt(squares / count), 1);
  for (let i = 0; i < values.length; i++) {
    values[i] = filled[i]
      ? fill
      : Math.min(255, Math.max(0, target.mean + (target.std * (values[i] - mean)) / spread));
  }
}
