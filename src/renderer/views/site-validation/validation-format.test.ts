import { describe, expect, it } from 'vitest';
import { estimateCells, parseTargetSensitivity, svgDataUrl } from './validation-format';

describe('site validation formatting', () => {
  it('shows value, interval, n and the warning of an estimate', () => {
    const cells = estimateCells({
      value: 0.5,
      low: 0.237,
      high: 0.763,
      n: 10,
      interval: 'wilson',
      warning: 'n=10 is too few to conclude',
    });
    expect(cells).toEqual({
      value: '50.0%',
      interval: '23.7% – 76.3%',
      n: '10',
      warning: 'n=10 is too few to conclude',
    });
    expect(
      estimateCells({ value: null, low: null, high: null, n: 0, interval: 'wilson', warning: null })
        .interval,
    ).toBe('—');
  });

  it('reads a target sensitivity typed as a percentage', () => {
    expect(parseTargetSensitivity('90')).toBe(0.9);
    expect(parseTargetSensitivity(' 92.5 % ')).toBeCloseTo(0.925);
    expect(parseTargetSensitivity('0')).toBeNull();
    expect(parseTargetSensitivity('120')).toBeNull();
    expect(parseTargetSensitivity('ninety')).toBeNull();
  });

  it('turns an SVG into an image source', () => {
    expect(svgDataUrl('<svg a="1"/>')).toBe(
      'data:image/svg+xml;charset=utf-8,%3Csvg%20a%3D%221%22%2F%3E',
    );
  });
});
