import { describe, expect, it } from 'vitest';
import { dragWindow, windowForPreset, type PresetContext } from './presets';

const range = { min: 0, max: 4095, low: 100, high: 3100 };

describe('window presets', () => {
  it('places lung below mediastinum below bone on the display axis (MONOCHROME2)', () => {
    const context: PresetContext = { range, invertedPhotometric: false, hounsfield: false };
    const lung = windowForPreset('lung', context);
    const mediastinum = windowForPreset('mediastinum', context);
    const bone = windowForPreset('bone', context);
    expect(lung.center).toBeLessThan(mediastinum.center);
    expect(mediastinum.center).toBeLessThan(bone.center);
    expect(bone.width).toBeLessThan(lung.width);
  });
  it('mirrors the fractions for MONOCHROME1 (bright = low values)', () => {
    const context: PresetContext = { range, invertedPhotometric: true, hounsfield: false };
    expect(windowForPreset('bone', context).center).toBeCloseTo(3100 - 0.82 * 3000);
    expect(windowForPreset('lung', context).center).toBeGreaterThan(
      windowForPreset('bone', context).center,
    );
  });
  it('uses the file window for default, else the robust range; full covers min..max', () => {
    const base: PresetContext = { range, invertedPhotometric: false, hounsfield: false };
    expect(windowForPreset('default', { ...base, fileWindow: { center: 5, width: 7 } })).toEqual({
      center: 5,
      width: 7,
    });
    expect(windowForPreset('default', base)).toEqual({ center: 1600, width: 3000 });
    expect(windowForPreset('full', base)).toEqual({ center: 2047.5, width: 4095 });
  });
  it('uses HU windows for CT', () => {
    const context: PresetContext = { range, invertedPhotometric: false, hounsfield: true };
    expect(windowForPreset('lung', context)).toEqual({ center: -600, width: 1500 });
  });
  it('drags width horizontally and centre vertically, never below width 1', () => {
    const start = { center: 1000, width: 500 };
    const moved = dragWindow(start, 10, -20, range);
    expect(moved.width).toBeGreaterThan(500);
    expect(moved.center).toBeLessThan(1000);
    expect(dragWindow(start, -100000, 0, range).width).toBe(1);
  });
});
