/** The drift monitor's two-sample tests against worked values, and the verdict rule on synthetic films. */
import { describe, expect, it } from 'vitest';
import type { DriftObservation } from '../../shared/drift';
import { compareWithReference } from './compare';
import { fisherExact, ksTwoSample } from './statistics';

describe('two-sample tests', () => {
  it("Fisher's exact test: the lady tasting tea (3 of 4 against 1 of 4: p = 34/70)", () => {
    // Tables with the same margins: P(k1 = 0..4) = 1, 16, 36, 16, 1 over 70; two-sided p sums
    // those no more likely than 16/70: (1 + 16 + 16 + 1) / 70.
    const test = fisherExact(3, 4, 1, 4);
    expect(test?.pValue).toBeCloseTo(34 / 70, 10);
    expect(test?.statistic).toBeCloseTo(-0.5, 10);
    expect(fisherExact(2, 10, 2, 10)?.pValue).toBeCloseTo(1, 10);
    expect(fisherExact(0, 0, 1, 3)).toBeNull();
  });

  it('Kolmogorov-Smirnov: D is the largest gap of the two empirical distributions', () => {
    const apart = ksTwoSample([1, 2, 3, 4, 5], [6, 7, 8, 9, 10]);
    expect(apart?.statistic).toBe(1);
    // Asymptotic with Stephens' correction: lambda = (sqrt(2.5) + 0.12 + 0.11/sqrt(2.5)) * 1.
    const lambda = Math.sqrt(2.5) + 0.12 + 0.11 / Math.sqrt(2.5);
    expect(apart?.pValue).toBeCloseTo(2 * Math.exp(-2 * lambda * lambda), 6);
    const same = ksTwoSample([1, 2, 3, 4], [1, 2, 3, 4]);
    expect(same).toEqual({ statistic: 0, pValue: 1 });
    // Ties across samples: D at 0.5 for [1,1,2,2] vs [1,2,2,2] is |2/4 - 1/4| = 0.25.
    expect(ksTwoSample([1, 1, 2, 2], [1, 2, 2, 2])?.statistic).toBeCloseTo(0.25, 10);
    expect(ksTwoSample([], [1])).toBeNull();
  });
});

function film(p: number, distance: number, unfamiliar = false): DriftObservation {
  return { rejected: false, probabilities: [1 - p, p], unfamiliar, distance };
}

describe('the drift verdict', () => {
  const reference = {
    modelId: 'm',
    source: 'calib.csv',
    createdAt: '',
    labels: ['normal', 'COVID-19'],
    observations: Array.from({ length: 200 }, (_, i) => film((i % 100) / 100, 1 + (i % 50) / 50)),
  };

  it('calls films from the same distribution similar', () => {
    const recent = Array.from({ length: 60 }, (_, i) =>
      film(((i * 7) % 100) / 100, 1 + ((i * 3) % 50) / 50),
    );
    const report = compareWithReference(reference, {
      observations: recent,
      unreadable: 0,
      source: 'x',
    });
    expect(report.verdict).toBe('similar');
    expect(report.signals.map((s) => s.name)).toEqual([
      'gate-rejections',
      'unfamiliar',
      'score:normal',
      'score:COVID-19',
      'feature-distance',
    ]);
    // Five tests (two shares, two class probabilities, the distance): 0.01 / 5 each.
    expect(report.alpha).toBeCloseTo(0.01 / 5, 10);
    expect(report.warnings).toEqual([]);
  });

  it('names what differs: gate rejections, unfamiliar films, far features', () => {
    const recent: DriftObservation[] = [
      ...Array.from({ length: 20 }, () => ({
        rejected: true,
        probabilities: null,
        unfamiliar: null,
        distance: null,
      })),
      ...Array.from({ length: 40 }, (_, i) => film((i % 10) / 10, 4 + i / 10, true)),
    ];
    const report = compareWithReference(reference, {
      observations: recent,
      unreadable: 2,
      source: 'x',
    });
    expect(report.verdict).toMatch(
      /^different: more films turned away by the chest gate \(33\.3% vs 0\.0%\)/,
    );
    expect(report.verdict).toContain('more films unlike the training films (unfamiliar)');
    expect(report.verdict).toContain('feature distances to the training films shifted');
    const distance = report.signals.find((s) => s.name === 'feature-distance');
    expect(distance?.statistic).toBe(1);
    expect(distance?.pValue ?? 1).toBeLessThan(1e-6);
    expect(report.warnings).toEqual(['2 files could not be read and are not counted.']);
  });

  it('says when there are too few recent films to see a small change', () => {
    const report = compareWithReference(reference, {
      observations: [film(0.5, 1.5)],
      unreadable: 0,
      source: 'x',
    });
    expect(report.verdict).toBe('similar');
    expect(report.warnings[0]).toMatch(/^Only 1 recent film: only a large change can be seen/);
  });
});
