import { describe, expect, it } from 'vitest';
import { decideVerdict, type OperatingPoint } from '../../../shared/verdict';
import { calibrationWording, siteProfileSentence, verdictWording } from './prediction-format';

const labels = ['normal', 'pneumonia', 'COVID-19'];
const thresholds = { normal: 0.5, pneumonia: 0.5, 'COVID-19': 0.5 };
const familiar = {
  distance: 1.1,
  limit: 2.5,
  segmenterConfidence: null,
  minSegmenterConfidence: null,
};

function verdictOf(
  probabilities: number[],
  options: { distance?: number; point?: OperatingPoint } = {},
) {
  return decideVerdict({
    labels,
    probabilities,
    thresholds,
    margin: 0.2,
    familiarity: { ...familiar, distance: options.distance ?? familiar.distance },
    operatingPoint: options.point,
  });
}

describe('verdict wording', () => {
  it('names the class of a confident call', () => {
    expect(verdictWording(verdictOf([0.05, 0.04, 0.91]))).toEqual({
      headline: 'Call: COVID-19',
      reason: 'COVID-19 at 0.91, 0.86 ahead of the next class.',
      advice: 'The top class is above its threshold and clearly ahead of the others.',
    });
  });

  it('says a coin toss is uncertain, without a class, and why', () => {
    const wording = verdictWording(verdictOf([0.42, 0.2, 0.38]));
    expect(wording.headline).toBe('Uncertain');
    expect(wording.reason).toBe('No class reaches its threshold (top: normal at 0.42 < 0.50).');
    expect(wording.advice).toMatch(/coin toss, not a finding/);
    expect(verdictWording(verdictOf([0.55, 0.0, 0.45])).reason).toBe(
      'Normal leads by only 0.10 (a call needs 0.20).',
    );
  });

  it('says a film unlike the training films is unfamiliar, with the distance', () => {
    const wording = verdictWording(verdictOf([0.05, 0.04, 0.91], { distance: 3.4 }));
    expect(wording.headline).toBe('Unfamiliar film');
    expect(wording.reason).toBe(
      'Unlike the training films (feature distance 3.40 > 2.50); the scores may not apply.',
    );
    expect(wording.advice).toMatch(/unlike the films the model was trained on/);
  });

  it('names the site profile and its threshold when one decided the call', () => {
    const point: OperatingPoint = { profileName: 'Clinic A', label: 'COVID-19', threshold: 0.3125 };
    const verdict = verdictOf([0.4, 0.25, 0.35], { point });
    expect(verdictWording(verdict).headline).toBe('Call: COVID-19');
    expect(verdictWording(verdict).reason).toContain('profile "Clinic A"');
    expect(verdictWording(verdict).advice).toMatch(/site profile’s own threshold/);
    // A call of another class under the same profile is the model's own rule.
    expect(verdictWording(verdictOf([0.05, 0.9, 0.05], { point })).advice).toMatch(/clearly ahead/);
    expect(siteProfileSentence(verdict.operatingPoint)).toBe(
      'Site profile “Clinic A”: COVID-19 is called at or above 31.3% (the site’s own threshold).',
    );
    expect(siteProfileSentence(null)).toBeNull();
  });
});

describe('calibration wording', () => {
  it('says "uncalibrated" when the model has no calibration or the engine does not say', () => {
    expect(calibrationWording(null).short).toBe('uncalibrated');
    expect(calibrationWording(undefined).short).toBe('uncalibrated');
    expect(calibrationWording(null).detail).toMatch(/^Uncalibrated: /);
  });

  it('names the temperature and, briefly, what it was fitted on', () => {
    const fittedOn =
      '1167 labelled films from training/splits/train.csv (0 rows without a model label left out), NLL 0.6700 -> 0.6648, by training/fit_trust.ts. These are films v2 was trained on.';
    const wording = calibrationWording({
      method: 'temperature',
      temperature: 0.8412,
      fitted_on: fittedOn,
    });
    expect(wording.short).toBe('calibrated (temperature 0.84)');
    expect(wording.detail).toBe(
      'Temperature scaling, T = 0.84, fitted on 1167 labelled films from training/splits/train.csv.',
    );
    expect(wording.fittedOn).toBe(fittedOn);
    expect(calibrationWording(null).fittedOn).toBeNull();
  });
});
