/**
 * Segmenter post-processing: threshold P(lung), keep the two largest plausible connected
 * components (4-connected), fill their holes. Works on the segmenter's grid (its input size);
 * `lungMaskAtImageSize` brings the result to the image's own pixels.
 */
import type { LungPostprocessSpec } from '../../../../shared/model-manifest';
import { bilinearTaps } from '../preprocess';

export interface LungComponent {
  /** Cells in the component (after hole filling). */
  area: number;
  centroidX: number;
  centroidY: number;
  /** Bounding box in grid cells, [x0, x1) x [y0, y1). */
  x0: number;
  y0: number;
  x1: number;
  y1: number;
}

/** A lung mask on the segmenter grid: 1 = lung. Components sorted left to right (image left first). */
export interface LungMask {
  width: number;
  height: number;
  data: Uint8Array;
  components: LungComponent[];
  /** Mean P(lung) over the mask's cells (0 when empty). */
  meanProbability: number;
}

/** Labels 4-connected foreground components; returns labels (0 = background) and their sizes. */
function labelComponents(
  foreground: Uint8Array,
  width: number,
  height: number,
): { labels: Int32Array; sizes: number[] } {
  const labels = new Int32Array(width * height);
  const sizes: number[] = [0];
  const stack = new Int32Array(width * height);
  for (let start = 0; start < foreground.length; start++) {
    if (!foreground[start] || labels[start]) continue;
    const label = sizes.length;
    let size = 0;
    let top = 0;
    stack[top++] = start;
    labels[start] = label;
    while (top > 0) {
      const p = stack[--top];
      size++;
      const x = p % width;
      const neighbours = [
        x > 0 ? p - 1 : -1,
        x < width - 1 ? p + 1 : -1,
        p >= width ? p - width : -1,
        p < width * (height - 1) ? p + width : -1,
      ];
      for (const q of neighbours) {
        if (q >= 0 && foreground[q] && !labels[q]) {
          labels[q] = label;
          stack[top++] = q;
        }
      }
    }
    sizes.push(size);
  }
  return { labels, sizes };
}

/** Sets every background cell not connected (4-conn.) to the grid border to 1. */
export function fillHoles(mask: Uint8Array, width: number, height: number): void {
  const background = new Uint8Array(mask.length);
  for (let i = 0; i < mask.length; i++) background[i] = mask[i] ? 0 : 1;
  const { labels } = labelComponents(background, width, height);
  const touchesBorder = new Set<number>();
  for (let x = 0; x < width; x++) {
    touchesBorder.add(labels[x]);
    touchesBorder.add(labels[(height - 1) * width + x]);
  }
  for (let y = 0; y < height; y++) {
    touchesBorder.add(labels[y * width]);
    touchesBorder.add(labels[y * width + width - 1]);
  }
  for (let i = 0; i < mask.length; i++) {
    if (labels[i] && !touchesBorder.has(labels[i])) mask[i] = 1;
  }
}

function describeComponents(mask: Uint8Array, width: number, height: number): LungComponent[] {
  const { labels, sizes } = labelComponents(mask, width, height);
  const stats = sizes.slice(1).map(() => ({
    area: 0,
    sx: 0,
    sy: 0,
    x0: width,
    y0: height,
    x1: 0,
    y1: 0,
  }));
  for (let i = 0; i < labels.length; i++) {
    const l = labels[i];
    if (!l) continue;
    const s = stats[l - 1];
    const x = i % width;
    const y = (i - x) / width;
    s.area++;
    s.sx += x;
    s.sy += y;
    if (x < s.x0) s.x0 = x;
    if (y < s.y0) s.y0 = y;
    if (x + 1 > s.x1) s.x1 = x + 1;
    if (y + 1 > s.y1) s.y1 = y + 1;
  }
  return stats
    .map((s) => ({
      area: s.area,
      centroidX: s.sx / s.area,
      centroidY: s.sy / s.area,
      x0: s.x0,
      y0: s.y0,
      x1: s.x1,
      y1: s.y1,
    }))
    .sort((a, b) => a.centroidX - b.centroidX);
}

/**
 * Both lungs found as one region (joined over the mediastinum or below the heart): when that
 * region is wide, clear the column with the fewest lung cells in the middle of its box, which
 * splits it into a right and a left lung field.
 */
function splitMergedLungs(data: Uint8Array, width: number, height: number): void {
  let x0 = width;
  let x1 = 0;
  const counts = new Int32Array(width);
  for (let i = 0; i < data.length; i++) {
    if (!data[i]) continue;
    const x = i % width;
    counts[x]++;
    if (x < x0) x0 = x;
    if (x + 1 > x1) x1 = x + 1;
  }
  if (x1 - x0 < 0.4 * width) return;
  const from = Math.floor(x0 + 0.3 * (x1 - x0));
  const to = Math.ceil(x0 + 0.7 * (x1 - x0));
  let cut = from;
  for (let x = from; x < to; x++) if (counts[x] < counts[cut]) cut = x;
  for (let y = 0; y < height; y++) data[y * width + cut] = 0;
}

/** P(lung) grid -> post-processed lung mask. */
export function postprocessLungProbability(
  probability: Float32Array,
  width: number,
  height: number,
  spec: LungPostprocessSpec,
): LungMask {
  if (probability.length !== width * height) {
    throw new RangeError(
      `lung probability has ${probability.length} cells, expected ${width}x${height}`,
    );
  }
  const foreground = new Uint8Array(width * height);
  for (let i = 0; i < foreground.length; i++)
    foreground[i] = probability[i] > spec.threshold ? 1 : 0;
  const { labels, sizes } = labelComponents(foreground, width, height);
  const minArea = spec.minComponentFraction * width * height;
  const kept = sizes
    .map((size, label) => ({ size, label }))
    .slice(1)
    .filter((c) => c.size >= minArea)
    .sort((a, b) => b.size - a.size || a.label - b.label)
    .slice(0, 2)
    .map((c) => c.label);
  const data = new Uint8Array(width * height);
  for (let i = 0; i < data.length; i++) data[i] = kept.includes(labels[i]) ? 1 : 0;
  if (kept.length === 1) splitMergedLungs(data, width, height);
  fillHoles(data, width, height);
  let sum = 0;
  let count = 0;
  for (let i = 0; i < data.length; i++) {
    if (data[i]) {
      sum += probability[i];
      count++;
    }
  }
  return {
    width,
    height,
    data,
    components: describeComponents(data, width, height),
    meanProbability: count > 0 ? sum / count : 0,
  };
}

/** Lung cells of the mask (total). */
export function lungArea(mask: LungMask): number {
  return mask.components.reduce((sum, c) => sum + c.area, 0);
}

/** Bounding box of all lung cells, [x0, x1) x [y0, y1) in grid cells; null when empty. */
export function lungBoxCells(
  mask: LungMask,
): { x0: number; y0: number; x1: number; y1: number } | null {
  if (mask.components.length === 0) return null;
  return {
    x0: Math.min(...mask.components.map((c) => c.x0)),
    y0: Math.min(...mask.components.map((c) => c.y0)),
    x1: Math.max(...mask.components.map((c) => c.x1)),
    y1: Math.max(...mask.components.map((c) => c.y1)),
  };
}

/**
 * The mask at the image's own size: P(lung) upsampled bilinearly (torch align_corners=False),
 * thresholded, restricted to the kept components (grown by one grid cell so outlines stay smooth).
 */
export function lungMaskAtImageSize(
  mask: LungMask,
  probability: Float32Array,
  threshold: number,
  imageWidth: number,
  imageHeight: number,
): Uint8Array {
  const { width: gw, height: gh } = mask;
  const allowed = new Uint8Array(gw * gh);
  for (let y = 0; y < gh; y++) {
    for (let x = 0; x < gw; x++) {
      let on = 0;
      for (let dy = -1; dy <= 1 && !on; dy++) {
        for (let dx = -1; dx <= 1 && !on; dx++) {
          const yy = y + dy;
          const xx = x + dx;
          if (yy >= 0 && yy < gh && xx >= 0 && xx < gw && mask.data[yy * gw + xx]) on = 1;
        }
      }
      allowed[y * gw + x] = on;
    }
  }
  const xs = bilinearTaps(gw, imageWidth);
  const ys = bilinearTaps(gh, imageHeight);
  const out = new Uint8Array(imageWidth * imageHeight);
  for (let oy = 0; oy < imageHeight; oy++) {
    const y0 = ys.i0[oy];
    const y1 = ys.i1[oy];
    const wy = ys.w1[oy];
    const nearestRow = Math.min(gh - 1, Math.floor(((oy + 0.5) * gh) / imageHeight));
    for (let ox = 0; ox < imageWidth; ox++) {
      const nearestCol = Math.min(gw - 1, Math.floor(((ox + 0.5) * gw) / imageWidth));
      if (!allowed[nearestRow * gw + nearestCol]) continue;
      const x0 = xs.i0[ox];
      const x1 = xs.i1[ox];
      const wx = xs.w1[ox];
      const top = probability[y0 * gw + x0] * (1 - wx) + probability[y0 * gw + x1] * wx;
      const bottom = probability[y1 * gw + x0] * (1 - wx) + probability[y1 * gw + x1] * wx;
      if (top * (1 - wy) + bottom * wy > threshold) out[oy * imageWidth + ox] = 1;
    }
  }
  return out;
}
