import { describe, expect, it } from 'vitest';
import { cornerstoneDisplayValue, sigmoid8, sigmoidLuts } from './sigmoid-voi';

describe('SIGMOID VOI LUT Function (PS3.3 C.11.2.1.3.1)', () => {
  it('is 255 / (1 + exp(-4 (x - c) / w)): half at the centre, 255/(1+e^-2) at c + w/2', () => {
    expect(sigmoid8(2000, 2000, 1500)).toBe(128); // 127.5 rounds up
    expect(sigmoid8(2750, 2000, 1500)).toBe(Math.round(255 / (1 + Math.exp(-2))));
    expect(sigmoid8(1250, 2000, 1500)).toBe(Math.round(255 / (1 + Math.exp(2))));
    // Not the linear window: at c + w/2 a linear window is already white.
    expect(sigmoid8(2750, 2000, 1500)).toBe(225);
  });

  it('integer image: cornerstone draws every stored value as the sigmoid of it', () => {
    const image = { minPixelValue: -100, maxPixelValue: 4095, slope: 1, intercept: 0 };
    const luts = sigmoidLuts(image, 2000, 1500);
    expect(luts.modalityLUT).toBeUndefined();
    for (let stored = -100; stored <= 4095; stored += 7) {
      expect(cornerstoneDisplayValue(luts, image, stored)).toBe(sigmoid8(stored, 2000, 1500));
    }
    // The darkest and brightest ends, where cornerstone's width inference would go wrong
    // without the 16-bit sentinel.
    expect(cornerstoneDisplayValue(luts, image, -100)).toBe(sigmoid8(-100, 2000, 1500));
    expect(cornerstoneDisplayValue(luts, image, 4095)).toBe(sigmoid8(4095, 2000, 1500));
  });

  it('a window whose sigmoid stays dark over the whole image is still drawn exactly', () => {
    const image = { minPixelValue: 0, maxPixelValue: 255, slope: 1, intercept: 0 };
    const luts = sigmoidLuts(image, 5000, 400);
    expect(cornerstoneDisplayValue(luts, image, 255)).toBe(0);
    const bright = sigmoidLuts(image, -5000, 400);
    expect(cornerstoneDisplayValue(bright, image, 0)).toBe(255);
  });

  it('quantised image (fractional slope): looked up by stored value, sigmoid of the modality value', () => {
    const image = { minPixelValue: 0, maxPixelValue: 65535, slope: 0.001, intercept: -20 };
    const luts = sigmoidLuts(image, 0, 30);
    expect(luts.modalityLUT?.lut[1234]).toBe(1234);
    for (let stored = 0; stored <= 65535; stored += 97) {
      expect(cornerstoneDisplayValue(luts, image, stored)).toBe(
        sigmoid8(stored * 0.001 - 20, 0, 30),
      );
    }
  });

  it('a new window gives a new table id (cornerstone caches its display LUT by id)', () => {
    const image = { minPixelValue: 0, maxPixelValue: 10, slope: 1, intercept: 0 };
    expect(sigmoidLuts(image, 5, 4).voiLUT.id).not.toBe(sigmoidLuts(image, 5, 5).voiLUT.id);
  });
});
