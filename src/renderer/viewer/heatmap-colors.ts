/**
 * Heatmap colouring (DOM-free). A "turbo"-like ramp (blue -> cyan -> green -> yellow -> red) with
 * alpha rising with the value, so weak evidence stays transparent and the film shows through.
 */
import type { HeatmapGrid, LungOutlineGrid } from '../../shared/analysis';
import { cropEdgeWeight, lungWeight, sampleHeatmap } from '../../shared/heatmap-sampling';

const STOPS: [number, number, number, number][] = [
  [0.0, 48, 18, 59],
  [0.15, 70, 107, 227],
  [0.35, 27, 208, 213],
  [0.5, 97, 252, 108],
  [0.65, 210, 233, 53],
  [0.8, 254, 155, 45],
  [1.0, 180, 20, 10],
];

/** Values below this are fully transparent (noise floor of class-activation maps). */
export const TRANSPARENT_BELOW = 0.2;

export function colorForValue(value: number): [number, number, number] {
  const v = value < 0 ? 0 : value > 1 ? 1 : value;
  for (let i = 1; i < STOPS.length; i++) {
    const [p1, r1, g1, b1] = STOPS[i];
    if (v <= p1) {
      const [p0, r0, g0, b0] = STOPS[i - 1];
      const t = (v - p0) / (p1 - p0);
      return [
        Math.round(r0 + (r1 - r0) * t),
        Math.round(g0 + (g1 - g0) * t),
        Math.round(b0 + (b1 - b0) * t),
      ];
    }
  }
  const last = STOPS[STOPS.length - 1];
  return [last[1], last[2], last[3]];
}

export function alphaForValue(value: number): number {
  if (value <= TRANSPARENT_BELOW) return 0;
  return Math.round(255 * Math.min(1, (value - TRANSPARENT_BELOW) / (1 - TRANSPARENT_BELOW)));
}

/** RGBA pixels, one per grid cell, row-major (for an offscreen canvas gridWidth x gridHeight). */
export function heatmapRgba(grid: HeatmapGrid): Uint8ClampedArray {
  const rgba = new Uint8ClampedArray(grid.gridWidth * grid.gridHeight * 4);
  for (let i = 0; i < grid.gridWidth * grid.gridHeight; i++) {
    const value = grid.values[i];
    const [r, g, b] = colorForValue(value);
    rgba[i * 4] = r;
    rgba[i * 4 + 1] = g;
    rgba[i * 4 + 2] = b;
    rgba[i * 4 + 3] = alphaForValue(value);
  }
  return rgba;
}

/**
 * The overlay as the viewer draws it, `scale` pixels per grid cell (an offscreen canvas of
 * gridWidth*scale x gridHeight*scale stretched over heatmapBounds): evidence sampled bilinearly,
 * alpha faded in from the crop's edge and, with the lung fields, kept inside the lungs.
 */
export function heatmapOverlayRgba(
  grid: HeatmapGrid,
  lungs: LungOutlineGrid | null,
  scale: number,
): { rgba: Uint8ClampedArray; width: number; height: number } {
  const width = grid.gridWidth * scale;
  const height = grid.gridHeight * scale;
  // Lung fields for another image size cannot mask this one.
  const mask =
    lungs && lungs.imageWidth === grid.imageWidth && lungs.imageHeight === grid.imageHeight
      ? lungs
      : null;
  const rgba = new Uint8ClampedArray(width * height * 4);
  for (let j = 0; j < height; j++) {
    for (let i = 0; i < width; i++) {
      // The source pixel whose centre this overlay pixel's centre falls on.
      const x = grid.originX + ((i + 0.5) * grid.cellWidth) / scale - 0.5;
      const y = grid.originY + ((j + 0.5) * grid.cellHeight) / scale - 0.5;
      const value = sampleHeatmap(grid, x, y) ?? 0;
      const weight = cropEdgeWeight(grid, x, y) * (mask ? lungWeight(mask, x, y) : 1);
      const [r, g, b] = colorForValue(value);
      const p = (j * width + i) * 4;
      rgba[p] = r;
      rgba[p + 1] = g;
      rgba[p + 2] = b;
      rgba[p + 3] = Math.round(alphaForValue(value) * weight);
    }
  }
  return { rgba, width, height };
}

/** Source-image rectangle the grid covers. */
export function heatmapBounds(grid: HeatmapGrid): {
  x: number;
  y: number;
  width: number;
  height: number;
} {
  return {
    x: grid.originX,
    y: grid.originY,
    width: grid.gridWidth * grid.cellWidth,
    height: grid.gridHeight * grid.cellHeight,
  };
}

/** Value-weighted centre of the map in source-image pixel coordinates (alpha-weighted). */
export function heatmapCentreOfMass(grid: HeatmapGrid): { x: number; y: number } {
  let total = 0;
  let sx = 0;
  let sy = 0;
  for (let r = 0; r < grid.gridHeight; r++) {
    for (let c = 0; c < grid.gridWidth; c++) {
      const weight = alphaForValue(grid.values[r * grid.gridWidth + c]);
      total += weight;
      sx += weight * (grid.originX + (c + 0.5) * grid.cellWidth);
      sy += weight * (grid.originY + (r + 0.5) * grid.cellHeight);
    }
  }
  if (total === 0) {
    const bounds = heatmapBounds(grid);
    return { x: bounds.x + bounds.width / 2, y: bounds.y + bounds.height / 2 };
  }
  return { x: sx / total, y: sy / total };
}
