/**
 * Sampling a heatmap grid and the lung fields at a source-image pixel, for every drawing of the
 * heatmap (files: src/main/platform/inference/heatmap-image.ts; the viewer: src/renderer/views/viewer): bilinear
 * evidence, a soft lung weight (no tint outside the lungs) and a fade-in from the crop's edge (no
 * hard square). Pure functions.
 */
import type { HeatmapGrid, LungOutlineGrid } from './analysis';

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
