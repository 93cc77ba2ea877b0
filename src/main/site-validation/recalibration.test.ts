/**
 * Site recalibration against a hand-worked example. Two classes, two groups of ten films:
 *   group A: p = (0.8, 0.2), 3 of 10 are class 1;  group B: p = (0.2, 0.8), 9 of 10 are class 1.
 * With s = log(p1/p0) = -L (A) or +L (B), L = ln 4, the model is logistic in s with slope
 * a = 1/T and intercept b; two groups and two parameters, so the MLE reproduces each group's
 * frequency: sigmoid(-aL + b) = 0.3 and sigmoid(aL + b) = 0.9, i.e.
 *   b = (logit 0.3 + logit 0.9) / 2 = (-0.847298 + 2.197225) / 2 = 0.674963
 *   a = (logit 0.9 - logit 0.3) / (2L) = 3.044522 / 2.772589 = 1.098079, T = 0.910681.
 * NLL before: (16(-ln .8) + 4(-ln .2)) / 20 = (3.570297 + 6.437752) / 20 = 0.500402;
 * NLL after (the group frequencies): (H(0.3) + H(0.1)) / 2 = (0.610864 + 0.325083) / 2 = 0.467973.
 * ECE after is 0 (in each group the confidence equals the accuracy: 0.7 and 0.9).
 */
import { describe, expect, it } from 'vitest';
import { expectedCalibrationError } from '../evaluation';
import { applySiteCalibration } from '../inference/trust';
import {
  crossFittedRecalibration,
  fitSiteCalibration,
  foldsOf,
  meanNllOf,
  recalibrationNotBetter,
  type LabelledProbabilities,
} from './recalibration';

function handWorkedFilms(): LabelledProbabilities[] {
  const films: LabelledProbabilities[] = [];
  for (let i = 0; i < 10; i++) films.push({ probabilities: [0.8, 0.2], truth: i < 3 ? 1 : 0 });
  for (let i = 0; i < 10; i++) films.push({ probabilities: [0.2, 0.8], truth: i < 9 ? 1 : 0 });
  return films;
}

describe('site recalibration (temperature and prior shift)', () => {
  it('fits the hand-worked temperature and shift', () => {
    const films = handWorkedFilms();
    const fit = fitSiteCalibration(films, 2, 0);
    expect(fit.method).toBe('temperature-and-prior-shift');
    expect(fit.temperature).toBeCloseTo(0.910681, 5);
    expect(fit.biases[0]).toBe(0);
    expect(fit.biases[1]).toBeCloseTo(0.674963, 5);

    const after = films.map((f) => ({
      truth: f.truth,
      probabilities: applySiteCalibration(f.probabilities, fit),
    }));
    expect(after[0].probabilities[1]).toBeCloseTo(0.3, 6);
    expect(after[10].probabilities[1]).toBeCloseTo(0.9, 6);
    expect(meanNllOf(films)).toBeCloseTo(0.500402, 5);
    expect(meanNllOf(after)).toBeCloseTo(0.467973, 5);
    // Both groups sit in the 0.8 bin (16 of 20 right there), so ECE cannot see this miscalibration; NLL can.
    expect(expectedCalibrationError(films).ece).toBeCloseTo(0, 6);
    expect(expectedCalibrationError(after).ece).toBeCloseTo(0, 6);
  });

  it('the default penalty barely moves the fit, and keeps the shift of an absent class finite', () => {
    const fit = fitSiteCalibration(handWorkedFilms(), 2);
    expect(Math.abs(fit.temperature - 0.910681)).toBeLessThan(0.01);
    expect(Math.abs(fit.biases[1] - 0.674963)).toBeLessThan(0.01);
    // Three classes, none of the films is class 2: its shift goes down, but not to -infinity.
    const noThird = handWorkedFilms().map((f) => ({
      truth: f.truth,
      probabilities: [f.probabilities[0] * 0.9, f.probabilities[1] * 0.9, 0.1],
    }));
    const three = fitSiteCalibration(noThird, 3);
    expect(three.biases[2]).toBeLessThan(-1);
    expect(Number.isFinite(three.biases[2])).toBe(true);
  });

  it('uses only a temperature when a prior shift would need more than 4 parameters', () => {
    const films = handWorkedFilms().map((f) => ({
      truth: f.truth,
      probabilities: [...f.probabilities.map((p) => p * 0.97), 0.01, 0.01, 0.01],
    }));
    const fit = fitSiteCalibration(films, 5);
    expect(fit.method).toBe('temperature');
    expect(fit.biases).toEqual([0, 0, 0, 0, 0]);
  });

  it('is the identity when the films are already calibrated (T = 1, no shift)', () => {
    // p = (0.7, 0.3) with 7 of 10 class 0, and the mirror image: calibrated by construction.
    const films: LabelledProbabilities[] = [];
    for (let i = 0; i < 10; i++) films.push({ probabilities: [0.7, 0.3], truth: i < 7 ? 0 : 1 });
    for (let i = 0; i < 10; i++) films.push({ probabilities: [0.3, 0.7], truth: i < 7 ? 1 : 0 });
    const fit = fitSiteCalibration(films, 2, 0);
    expect(fit.temperature).toBeCloseTo(1, 6);
    expect(fit.biases[1]).toBeCloseTo(0, 6);
  });

  it('cross-fits: each fold is recalibrated by the others, stratified by class', () => {
    expect(foldsOf([0, 0, 1, 0, 1, 1], 2)).toEqual([0, 1, 0, 0, 1, 0]);
    // Overconfident films: p = 0.95 for the top class, right 70% of the time.
    const films: LabelledProbabilities[] = [];
    for (let i = 0; i < 100; i++) {
      const top = i % 2;
      const right = i % 10 < 7;
      films.push({
        probabilities: top === 0 ? [0.95, 0.05] : [0.05, 0.95],
        truth: right ? top : 1 - top,
      });
    }
    const figures = crossFittedRecalibration(films, 2);
    expect(figures.n).toBe(100);
    expect(figures.folds).toBe(5);
    expect(figures.eceBefore.value).toBeCloseTo(0.25, 6);
    expect(figures.eceAfter.value).toBeLessThan(0.05);
    expect(figures.nllAfter.value).toBeLessThan(figures.nllBefore.value);
    expect(figures.parameters.temperature).toBeGreaterThan(1);
    expect(figures.eceBefore.low).not.toBeNull();
    expect(figures.eceBefore.low ?? 1).toBeLessThanOrEqual(figures.eceBefore.value);
    expect(figures.eceBefore.high ?? 0).toBeGreaterThanOrEqual(figures.eceBefore.value);
    expect(() => crossFittedRecalibration(films.slice(0, 9), 2)).toThrow(/at least 10/);
  });

  it('is not saved when it does not lower the cross-fitted NLL (the model is calibrated already)', () => {
    // Calibrated by construction: the truth is drawn with the stated probability (a fixed
    // linear congruential sequence, so the films are the same on every run).
    let state = 12345;
    const uniform = () => (state = (state * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    const films: LabelledProbabilities[] = [];
    for (let i = 0; i < 200; i++) {
      const p = 0.55 + 0.4 * uniform();
      const top = uniform() < 0.5 ? 0 : 1;
      const probabilities = top === 0 ? [p, 1 - p] : [1 - p, p];
      films.push({ probabilities, truth: uniform() < p ? top : 1 - top });
    }
    const figures = crossFittedRecalibration(films, 2);
    expect(figures.nllAfter.value).toBeGreaterThanOrEqual(figures.nllBefore.value);
    expect(recalibrationNotBetter(figures)).toMatch(
      /^Not saved: the recalibration did not help on films it was not fitted on \(cross-fitted NLL 0\.\d{3} -> 0\.\d{3}, ECE/,
    );
    // The overconfident films of the test above are worth it.
    const overconfident = films.map((f) => ({
      truth: f.truth,
      probabilities: f.probabilities.map((p) => (p > 0.5 ? 0.95 : 0.05)),
    }));
    expect(recalibrationNotBetter(crossFittedRecalibration(overconfident, 2))).toBeNull();
  });

  it('is not saved when the NLL barely falls but the ECE rises (measured: v4 on half of val.csv)', () => {
    const figure = (value: number) => ({ value, low: null, high: null });
    const measured = {
      method: 'temperature-and-prior-shift' as const,
      parameters: {
        method: 'temperature-and-prior-shift' as const,
        temperature: 1.183,
        biases: [0, -0.283, -0.119],
      },
      n: 140,
      folds: 5,
      eceBefore: figure(0.087),
      eceAfter: figure(0.108),
      nllBefore: figure(0.767),
      nllAfter: figure(0.764),
      interval: 'bootstrap' as const,
    };
    expect(recalibrationNotBetter(measured)).toBe(
      "Not saved: the recalibration did not help on films it was not fitted on (cross-fitted NLL 0.767 -> 0.764, ECE 0.087 -> 0.108); the model's own calibration is kept.",
    );
    expect(recalibrationNotBetter({ ...measured, eceAfter: figure(0.05) })).toBeNull();
  });
});
