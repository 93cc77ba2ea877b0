/** Right-vs-wrong signals, risk-coverage and the per-source call limit, on hand-worked examples. */
import { describe, expect, it } from 'vitest';
import {
  areaUnderRiskCoverage,
  compareSignals,
  fitCallLimit,
  limitFigures,
  ruleSignalValue,
  signalsOf,
} from './failure-detection';

describe('areaUnderRiskCoverage', () => {
  it('is 0 when every error is the least confident, and the error rate without a signal', () => {
    // Most confident first: right, right, wrong -> risks 0, 0, 1/3 -> mean 1/9.
    expect(areaUnderRiskCoverage([0.9, 0.8, 0.1], [true, true, false])).toBeCloseTo(1 / 9, 12);
    // Worst order: wrong first -> risks 1, 1/2, 1/3.
    expect(areaUnderRiskCoverage([0.1, 0.8, 0.9], [true, true, false])).toBeCloseTo(
      (1 + 1 / 2 + 1 / 3) / 3,
      12,
    );
    // All tied: errors arrive at their mean rate, so every prefix has the overall risk 1/3.
    expect(areaUnderRiskCoverage([0.5, 0.5, 0.5], [true, true, false])).toBeCloseTo(1 / 3, 12);
  });
});

describe('signalsOf', () => {
  it('gives the calibrated max-probability, margin and T*logsumexp of the logits', () => {
    const { probabilities, signals } = signalsOf([2, 0, 0], 1, null, null, 0.9);
    const e = Math.exp(2);
    expect(probabilities[0]).toBeCloseTo(e / (e + 2), 12);
    expect(signals.maxProbability).toBeCloseTo(e / (e + 2), 12);
    expect(signals.margin).toBeCloseTo((e - 1) / (e + 2), 12);
    expect(signals.negativeEnergy).toBeCloseTo(Math.log(e + 2), 12);
    expect(signals.negativeDistance).toBeNull();
    expect(signals.segmenterConfidence).toBe(0.9);
    // At T = 2 the energy is 2*logsumexp(logits/2).
    expect(signalsOf([2, 0, 0], 2, null, null, null).signals.negativeEnergy).toBeCloseTo(
      2 * Math.log(Math.E + 2),
      12,
    );
  });

  it('reads the rule signal from calibrated probabilities', () => {
    expect(ruleSignalValue('max-probability', [0.2, 0.7, 0.1])).toBe(0.7);
    expect(ruleSignalValue('margin', [0.2, 0.7, 0.1])).toBeCloseTo(0.5, 12);
  });
});

describe('compareSignals', () => {
  it('finds a signal that ranks every right film above every wrong one (AUROC 1), and skips missing ones', () => {
    const film = (p: number, right: boolean) => ({
      signals: signalsOf(
        [Math.log(p), Math.log((1 - p) / 2), Math.log((1 - p) / 2)],
        1,
        null,
        null,
        null,
      ).signals,
      right,
    });
    const figures = compareSignals([film(0.9, true), film(0.8, true), film(0.4, false)]);
    expect(figures.n).toBe(3);
    expect(figures.accuracy).toBeCloseTo(2 / 3, 12);
    expect(figures.signals.maxProbability?.auroc).toBe(1);
    expect(figures.signals.maxProbability?.aurc).toBeCloseTo(1 / 9, 12);
    expect(figures.signals.negativeDistance).toBeUndefined();
  });
});

describe('the call limit, equal weight per source', () => {
  // Source A: easy (9 of 10 right), its one error has a low value. Source B: hard (5 of 10 right),
  // errors spread. A limit that only suits A's mix must not pass for B.
  const aValues = [0.5, 0.55, 0.6, 0.65, 0.7, 0.75, 0.8, 0.85, 0.9, 0.95];
  const a = aValues.map((value, i) => ({ value, right: i > 0, source: 'A' }));
  const bValues = [0.55, 0.6, 0.65, 0.7, 0.75, 0.8, 0.85, 0.9, 0.95, 0.97];
  const bRight = [false, false, true, false, true, false, true, true, true, true];
  const b = bValues.map((value, i) => ({ value, right: bRight[i], source: 'B' }));
  const films = [...a, ...b];

  it('reports per source and the equal-weight coverage, gain and error reduction', () => {
    const at = limitFigures(films, 0.8, 5);
    expect(at.perSource.A).toEqual({ n: 10, calls: 4, callAccuracy: 1, accuracy: 0.9 });
    // B at >= 0.8: 0.8 (wrong), 0.85, 0.9, 0.95, 0.97 (right) -> 4 of 5.
    expect(at.perSource.B).toEqual({ n: 10, calls: 5, callAccuracy: 0.8, accuracy: 0.6 });
    expect(at.coverage).toBeCloseTo(0.45, 12);
    expect(at.gain).toBeCloseTo((0.1 + 0.2) / 2, 12);
    // A removes all its errors (1), B half of them (1 - 0.2/0.4).
    expect(at.errorReduction).toBeCloseTo((1 + 0.5) / 2, 12);
    expect(at.worstGain).toBeCloseTo(0.1, 12);
  });

  it('picks the lowest limit that removes the target share of errors with enough calls', () => {
    const fit = fitCallLimit(films, {
      targetErrorReduction: 0.75,
      minCoverage: 0.35,
      minSourceFilms: 5,
    });
    expect(fit.reachedTarget).toBe(true);
    expect(fit.errorReduction).toBeGreaterThanOrEqual(0.75);
    expect(fit.coverage).toBeGreaterThanOrEqual(0.35);
    // One grid step lower (0.005) no longer reaches the target.
    expect(limitFigures(films, fit.limit - 0.005, 5).errorReduction).toBeLessThan(0.75);
    // A tiny source is shown but not weighed.
    const withTiny = [...films, { value: 0.99, right: false, source: 'C' }];
    expect(
      fitCallLimit(withTiny, { targetErrorReduction: 0.75, minCoverage: 0.35, minSourceFilms: 5 })
        .limit,
    ).toBe(fit.limit);
  });

  it('says so when no limit reaches the target, and keeps the best that still calls enough', () => {
    const fit = fitCallLimit(films, {
      targetErrorReduction: 0.99,
      minCoverage: 0.9,
      minSourceFilms: 5,
    });
    expect(fit.reachedTarget).toBe(false);
    expect(fit.coverage).toBeGreaterThanOrEqual(0.9);
  });
});
