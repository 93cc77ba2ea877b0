/** The panel's calibration words (the verdict words are src/shared/result-statement.ts, tested there). */
import { describe, expect, it } from 'vitest';
import { calibrationWording } from './prediction-format';

describe('calibration wording', () => {
  it('says "uncalibrated" when the model has no calibration or the engine does not say', () => {
    expect(calibrationWording(null).short).toBe('uncalibrated');
    expect(calibrationWording(undefined).short).toBe('uncalibrated');
    expect(calibrationWording(null).detail).toMatch(/^Uncalibrated by the model: /);
  });

  it('names the temperature but no training file or fitting figure (the model card has them)', () => {
    const wording = calibrationWording({
      method: 'temperature',
      temperature: 0.8412,
      fitted_on:
        '1167 labelled films from training/splits/train.csv, NLL 0.6700 -> 0.6648, by training/fit_trust.ts.',
    });
    expect(wording.short).toBe('calibrated (temperature 0.84)');
    expect(wording.detail).toBe('Temperature scaling, T = 0.84 (see the model card).');
    expect(JSON.stringify(wording)).not.toMatch(/training\/|NLL|fit_trust/);
  });

  it('says "site-calibrated (profile …)" when a site profile recalibrated the probabilities', () => {
    const wording = calibrationWording(
      { method: 'temperature', temperature: 0.93, fitted_on: 'x' },
      {
        profileName: 'Clinic B',
        label: null,
        threshold: null,
        calibration: { method: 'temperature', temperature: 1.2, biases: [0, 0, 0] },
      },
    );
    expect(wording.short).toBe('site-calibrated (profile “Clinic B”)');
    expect(wording.detail).toMatch(
      /site-calibrated on the clinic’s own films \(profile “Clinic B”\)/,
    );
  });
});
