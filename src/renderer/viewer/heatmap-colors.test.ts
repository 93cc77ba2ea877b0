import { describe, expect, it } from 'vitest';
import type { HeatmapGrid } from '../../shared/analysis';
import {
  alphaForValue,
  colorForValue,
  heatmapBounds,
  heatmapCentreOfMass,
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
