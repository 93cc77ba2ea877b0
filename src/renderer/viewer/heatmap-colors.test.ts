import { describe, expect, it } from 'vitest';
import type { HeatmapGrid } from '../../shared/analysis';
import {
  alphaForValue,
  colorForValue,
  heatmapBounds,
  heatmapCentreOfMass,
  heatmapOverlayRgba,
  heatmapRgba,
} from './heatmap-colors';

function grid(values: number[], w: number, h: number): HeatmapGrid {
  return {
    method: 'class-activation',
    label: 'COVID-19',
    gridWidth: w,
    gridHeight: h,
    values: Float32Array.from(values),
    originX: 100,
    originY: 50,
    cellWidth: 10,
    cellHeight: 20,
    imageWidth: 400,
    imageHeight: 300,
  };
}

describe('heatmap colours', () => {
  it('runs from cold to hot and keeps weak values transparent', () => {
    expect(colorForValue(0)[2]).toBeGreaterThan(colorForValue(0)[0]);
    expect(colorForValue(1)[0]).toBeGreaterThan(colorForValue(1)[2]);
    expect(alphaForValue(0.1)).toBe(0);
    expect(alphaForValue(1)).toBe(255);
  });
  it('makes one RGBA pixel per cell', () => {
    expect(heatmapRgba(grid([0, 1, 0.5, 0.2], 2, 2)).length).toBe(16);
  });
  it('registers bounds and centre of mass in source pixels', () => {
    const g = grid([0, 0, 0, 1], 2, 2);
    expect(heatmapBounds(g)).toEqual({ x: 100, y: 50, width: 20, height: 40 });
    expect(heatmapCentreOfMass(g)).toEqual({ x: 115, y: 80 });
  });
});

describe('the viewer overlay', () => {
  // Full evidence over the crop x in [100, 140), y in [50, 130) of a 400 x 300 film.
  const full = grid(new Array(16).fill(1), 4, 4);
  const alphaAt = (overlay: ReturnType<typeof heatmapOverlayRgba>, i: number, j: number): number =>
    overlay.rgba[(j * overlay.width + i) * 4 + 3];

  it('keeps the tint inside the lung fields', () => {
    // Lung cells: image x < 120 only (a 20 x 15 grid of 20-px cells, columns 0-5).
    const lungs = {
      gridWidth: 20,
      gridHeight: 15,
      cells: Uint8Array.from({ length: 300 }, (_, k) => (k % 20 < 6 ? 1 : 0)),
      imageWidth: 400,
      imageHeight: 300,
      segmenterId: 'test',
    };
    const overlay = heatmapOverlayRgba(full, lungs, 8);
    expect([overlay.width, overlay.height]).toEqual([32, 32]);
    const middle = 16;
    expect(alphaAt(overlay, 8, middle)).toBeGreaterThan(200); // x ~ 110: lung
    expect(alphaAt(overlay, 30, middle)).toBe(0); // x ~ 138: no lung
  });

  it('fades in from the crop square’s edge', () => {
    const overlay = heatmapOverlayRgba(full, null, 8);
    const row = 16;
    expect(alphaAt(overlay, 0, row)).toBeLessThan(alphaAt(overlay, 3, row));
    expect(alphaAt(overlay, 16, row)).toBe(255);
  });
});
