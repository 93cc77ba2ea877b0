import { describe, expect, it } from 'vitest';
import {
  bootstrapInterval,
  expectedCalibrationError,
  reliabilitySvg,
  verdictFigures,
} from './calibration';

describe('expected calibration error', () => {
  it('matches a hand-worked example over 15 bins', () => {
    // Bin 13 (0.867, 0.933]: 0.90 right and 0.92 wrong -> confidence 0.91, accuracy 0.5, weight 2/4.
    // Bin 7 (0.467, 0.533]: 0.50 right -> gap 0.5, weight 1/4.
    // Bin 6 (0.4, 0.467]: 0.41 wrong -> gap 0.41, weight 1/4.
    // ECE = 0.5*0.41 + 0.25*0.5 + 0.25*0.41 = 0.205 + 0.125 + 0.1025 = 0.4325
    const figures = expectedCalibrationError([
      { probabilities: [0.9, 0.05, 0.05], truth: 0 },
      { probabilities: [0.92, 0.04, 0.04], truth: 2 },
      { probabilities: [0.5, 0.3, 0.2], truth: 0 },
      { probabilities: [0.41, 0.35, 0.24], truth: 1 },
    ]);
    expect(figures.ece).toBeCloseTo(0.4325, 12);
    expect(figures.n).toBe(4);
    expect(figures.bins).toHaveLength(15);
    expect(figures.bins[13]).toMatchObject({ n: 2, accuracy: 0.5 });
    expect(figures.bins[13].confidence).toBeCloseTo(0.91, 12);
    expect(figures.bins[7]).toMatchObject({ n: 1, accuracy: 1, confidence: 0.5 });
    expect(figures.bins[6]).toMatchObject({ n: 1, accuracy: 0 });
    expect(figures.max_gap).toBeCloseTo(0.5, 12);
    expect(figures.bins.filter((b) => b.n > 0)).toHaveLength(3);
  });

  it('puts a confidence on a bin edge in the lower bin despite rounding, and is 0 when perfect', () => {
    // 0.8 * 15 is 12.000000000000002 in floating point; 0.8 belongs to (11/15, 12/15].
    const edge = expectedCalibrationError([{ probabilities: [0.8, 0.2], truth: 0 }]);
    expect(edge.bins[11].n).toBe(1);
    const perfect = expectedCalibrationError([
      { probabilities: [1, 0], truth: 0 },
      { probabilities: [0, 1], truth: 1 },
    ]);
    expect(perfect.ece).toBe(0);
    expect(expectedCalibrationError([]).ece).toBeNull();
  });

  it('draws the reliability diagram from the same bins', () => {
    // Gaps 0.1 (0.9, right) and 0.6 (0.6, wrong): ECE (0.1 + 0.6) / 2.
    const svg = reliabilitySvg(
      expectedCalibrationError([
        { probabilities: [0.9, 0.1], truth: 0 },
        { probabilities: [0.6, 0.4], truth: 1 },
      ]),
    );
    expect(svg).toMatch(/^<svg/);
    expect(svg).toMatch(/ECE 0\.350 \(15 bins, n=2\)/);
    expect(svg.match(/<rect x=/g)).toHaveLength(3); // frame + two bars
  });
});

describe('verdict figures', () => {
  it('counts each verdict with its share and the accuracy within it', () => {
    const figures = verdictFigures([
      { verdict: 'call', predicted: 'a', truth: 'a' },
      { verdict: 'call', predicted: 'a', truth: 'a' },
      { verdict: 'call', predicted: 'b', truth: 'a' },
      { verdict: 'uncertain', predicted: 'b', truth: 'a' },
      { verdict: 'unfamiliar', predicted: 'a', truth: 'a' },
    ]);
    expect(figures.n).toBe(5);
    expect(figures.accuracy_all).toBeCloseTo(3 / 5, 12);
    expect(figures.call).toEqual({ n: 3, share: 3 / 5, accuracy: 2 / 3 });
    expect(figures.uncertain).toEqual({ n: 1, share: 1 / 5, accuracy: 0 });
    expect(figures.unfamiliar).toEqual({ n: 1, share: 1 / 5, accuracy: 1 });
  });
});

describe('bootstrap interval', () => {
  it('repeats exactly with its seed and brackets the mean', () => {
    const values = Array.from({ length: 200 }, (_, i) => (i % 10) / 10);
    const mean = (xs: readonly number[]): number => xs.reduce((a, b) => a + b, 0) / xs.length;
    const a = bootstrapInterval(values, mean, { seed: 3 });
    const b = bootstrapInterval(values, mean, { seed: 3 });
    expect(a).toEqual(b);
    expect(a.low as number).toBeLessThan(0.45);
    expect(a.high as number).toBeGreaterThan(0.45);
    expect((a.high as number) - (a.low as number)).toBeLessThan(0.15);
  });
});
