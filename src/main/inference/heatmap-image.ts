/**
 * A heatmap blended over the display image, for files (CLI `predict --heatmap`, reports). The
 * grid is sampled bilinearly between cell centres in source pixel coordinates, so the overlay
 * lands exactly on the region the model saw; pixels outside the crop stay plain gray. With the
 * segmenter's lung fields, the tint stays inside the lungs (soft-edged), and it fades out towards
 * the crop's edges so no hard square shows.
 */
import { PNG } from 'pngjs';
import type { HeatmapGrid, LungOutlineGrid } from '../../shared/analysis';

/** Inferno (matplotlib, perceptually uniform), 9 stops; interpolated linearly in between. */
const INFERNO_STOPS: [number, number, number][] = [
  [0, 0, 4],
  [31, 12, 72],
  [85, 15, 109],
  [136, 34, 106],
  [186, 54, 85],
  [227, 89, 51],
  [249, 140, 10],
  [249, 201, 50],
  [252, 255, 164],
];

/** RGB of the colour map at t in 0..1. */
export function inferno(t: number): [number, number, number] {
  const clamped = Math.min(1, Math.max(0, Number.isFinite(t) ? t : 0));
  const position = clamped * (INFERNO_STOPS.length - 1);
  const i = Math.min(INFERNO_STOPS.length - 2, Math.floor(position));
  const f = position - i;
  const a = INFERNO_STOPS[i];
  const b = INFERNO_STOPS[i + 1];
  return [0, 1, 2].map((k) => Math.round(a[k] + (b[k] - a[k]) * f)) as [number, number, number];
}

/**
 * Bilinear between the centres of a row-major grid's cells, clamped at the edges; (gx, gy) in
 * cell units from the grid's top-left corner.
 */
function bilinearInCells(
  values: ArrayLike<number>,
  width: number,
  height: number,
  gx: number,
  gy: number,
): number {
  const fx = Math.min(Math.max(gx - 0.5, 0), width - 1);
  const fy = Math.min(Math.max(gy - 0.5, 0), height - 1);
  const x0 = Math.floor(fx);
  const y0 = Math.floor(fy);
  const x1 = Math.min(x0 + 1, width - 1);
  const y1 = Math.min(y0 + 1, height - 1);
  const wx = fx - x0;
  const wy = fy - y0;
  const v = (cx: number, cy: number): number => values[cy * width + cx];
  return (
    (v(x0, y0) * (1 - wx) + v(x1, y0) * wx) * (1 - wy) +
    (v(x0, y1) * (1 - wx) + v(x1, y1) * wx) * wy
  );
}

/** Heatmap value at source pixel (x, y) (pixel centre), or null outside the grid. */
export function sampleHeatmap(grid: HeatmapGrid, x: number, y: number): number | null {
  const gx = (x + 0.5 - grid.originX) / grid.cellWidth;
  const gy = (y + 0.5 - grid.originY) / grid.cellHeight;
  if (gx < 0 || gy < 0 || gx >= grid.gridWidth || gy >= grid.gridHeight) return null;
  return bilinearInCells(grid.values, grid.gridWidth, grid.gridHeight, gx, gy);
}

/** 0..1: how much of pixel (x, y) is lung, bilinear between lung-cell centres (a soft edge). */
export function lungWeight(lungs: LungOutlineGrid, x: number, y: number): number {
  const gx = ((x + 0.5) * lungs.gridWidth) / lungs.imageWidth;
  const gy = ((y + 0.5) * lungs.gridHeight) / lungs.imageHeight;
  return bilinearInCells(lungs.cells, lungs.gridWidth, lungs.gridHeight, gx, gy);
}

/** Share of the crop's shorter side over which the tint fades in from the crop's edge. */
export const CROP_EDGE_FADE = 0.06;

/** 0..1: fades linearly from the crop's edge to CROP_EDGE_FADE inside it. */
export function cropEdgeWeight(grid: HeatmapGrid, x: number, y: number): number {
  const width = grid.gridWidth * grid.cellWidth;
  const height = grid.gridHeight * grid.cellHeight;
  const fade = Math.max(1, CROP_EDGE_FADE * Math.min(width, height));
  const inside = Math.min(
    x + 0.5 - grid.originX,
    grid.originX + width - (x + 0.5),
    y + 0.5 - grid.originY,
    grid.originY + height - (y + 0.5),
  );
  return Math.min(1, Math.max(0, inside / fade));
}

/** RGBA image: display gray with the colour-mapped heatmap blended in (opacity up to `alpha`). */
export function renderHeatmapOverlay(
  display: Uint8Array,
  width: number,
  height: number,
  grid: HeatmapGrid,
  options: { alpha?: number; lungs?: LungOutlineGrid } = {},
): Uint8Array {
  const alpha = options.alpha ?? 0.6;
  // A lung grid for another image size (or none) cannot mask this one.
  const lungs =
    options.lungs && options.lungs.imageWidth === width && options.lungs.imageHeight === height
      ? options.lungs
      : null;
  const rgba = new Uint8Array(width * height * 4);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const p = y * width + x;
      const gray = display[p];
      const value = sampleHeatmap(grid, x, y);
      const out = p * 4;
      const weight =
        value === null ? 0 : cropEdgeWeight(grid, x, y) * (lungs ? lungWeight(lungs, x, y) : 1);
      if (value === null || weight <= 0) {
        rgba[out] = rgba[out + 1] = rgba[out + 2] = gray;
      } else {
        const [r, g, b] = inferno(value);
        // Opacity grows with the value, so regions with no evidence keep their gray levels.
        const a = alpha * value * weight;
        rgba[out] = Math.round(gray * (1 - a) + r * a);
        rgba[out + 1] = Math.round(gray * (1 - a) + g * a);
        rgba[out + 2] = Math.round(gray * (1 - a) + b * a);
      }
      rgba[out + 3] = 255;
    }
  }
  return rgba;
}

export function encodePng(rgba: Uint8Array, width: number, height: number): Buffer {
  const png = new PNG({ width, height });
  png.data = Buffer.from(rgba.buffer, rgba.byteOffset, rgba.byteLength);
  return PNG.sync.write(png);
}

/** 8-bit gray as a PNG (colour type 0). */
export function encodeGrayPng(gray: Uint8Array, width: number, height: number): Buffer {
  const png = new PNG({ width, height, colorType: 0, inputColorType: 0, inputHasAlpha: false });
  png.data = Buffer.from(gray.buffer, gray.byteOffset, gray.byteLength);
  return PNG.sync.write(png, { colorType: 0, inputColorType: 0, inputHasAlpha: false });
}

/**
 * The heatmap at the source image's own size as a 16-bit binary PGM (maxval 65535, big-endian
 * samples): the positive evidence for the heatmap's class, 0 where there is none or outside the
 * region the model saw.
 */
export function heatmapEvidencePgm(grid: HeatmapGrid): Buffer {
  const { imageWidth: width, imageHeight: height } = grid;
  const header = Buffer.from(`P5\n${width} ${height}\n65535\n`, 'ascii');
  const body = Buffer.alloc(width * height * 2);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const v = sampleHeatmap(grid, x, y) ?? 0;
      body.writeUInt16BE(Math.round(Math.min(1, Math.max(0, v)) * 65535), (y * width + x) * 2);
    }
  }
  return Buffer.concat([header, body]);
}
