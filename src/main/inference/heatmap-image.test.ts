/** The heatmap overlay written to files: tint only inside the lungs, no hard crop-square edge. */
import { describe, expect, it } from 'vitest';
import type { HeatmapGrid, LungOutlineGrid } from '../../shared/analysis';
import { cropEdgeWeight, renderHeatmapOverlay } from './heatmap-image';

const SIZE = 100;
const display = new Uint8Array(SIZE * SIZE).fill(100);
/** Full evidence over the crop square x, y in [10, 90). */
const grid: HeatmapGrid = {
  method: 'class-activation',
  label: 'COVID-19',
  gridWidth: 4,
  gridHeight: 4,
  values: new Float32Array(16).fill(1),
  originX: 10,
  originY: 10,
  cellWidth: 20,
  cellHeight: 20,
  imageWidth: SIZE,
  imageHeight: SIZE,
};
/** Lung cells: the left half of the image only (10x10 grid, columns 0-4). */
const lungs: LungOutlineGrid = {
  gridWidth: 10,
  gridHeight: 10,
  cells: Uint8Array.from({ length: 100 }, (_, i) => (i % 10 < 5 ? 1 : 0)),
  imageWidth: SIZE,
  imageHeight: SIZE,
  segmenterId: 'test',
};
const tinted = (rgba: Uint8Array, x: number, y: number): boolean => {
  const p = (y * SIZE + x) * 4;
  return rgba[p] !== 100 || rgba[p + 1] !== 100 || rgba[p + 2] !== 100;
};

describe('renderHeatmapOverlay', () => {
  it('tints inside the lungs and nowhere outside them', () => {
    const rgba = renderHeatmapOverlay(display, SIZE, SIZE, grid, { lungs });
    expect(tinted(rgba, 30, 50)).toBe(true);
    // Right half: inside the crop square but no lung.
    for (const x of [60, 70, 85]) expect(tinted(rgba, x, 50)).toBe(false);
    // Outside the crop square.
    expect(tinted(rgba, 5, 50)).toBe(false);
  });

  it('fades in from the crop square’s edge instead of a hard step', () => {
    const rgba = renderHeatmapOverlay(display, SIZE, SIZE, grid);
    const red = (x: number): number => rgba[(50 * SIZE + x) * 4];
    // From the edge inwards the tint grows over a few pixels (6% of 80 px), then stays.
    expect(cropEdgeWeight(grid, 10, 50)).toBeLessThan(0.15);
    expect(cropEdgeWeight(grid, 20, 50)).toBe(1);
    const steps = [10, 11, 12, 13, 14].map((x) => Math.abs(red(x + 1) - red(x)));
    const hardStep = Math.abs(red(20) - red(9));
    for (const step of steps) expect(step).toBeLessThan(hardStep / 2);
  });
});
