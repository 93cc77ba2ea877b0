/**
 * The one result statement, table-driven over verdict kind x site profile x calibration: verdict
 * first, the leading class only as the named secondary figure, the site profile (threshold,
 * calibration, small-n warning) named wherever it shaped the result, thresholds with 3
 * significant digits, no doubled prefixes, no development details.
 */
import { describe, expect, it } from 'vitest';
import type { ModelCalibration } from './model-manifest';
import {
  LEADING_NAME,
  heatmapCaption,
  hesitatesBetween,
  plainReason,
  resultStatement,
  type ResultStatement,
} from './result-statement';
import { decideVerdict, type FamiliarityMeasure, type OperatingPoint } from './verdict';

const labels = ['normal', 'pneumonia', 'COVID-19'];
const thresholds = { normal: 0.5, pneumonia: 0.5, 'COVID-19': 0.5 };
const familiar: FamiliarityMeasure = {
  distance: 0.9,
  limit: 1.7,
  segmenterConfidence: 0.95,
  minSegmenterConfidence: 0.88,
};
const unusual: FamiliarityMeasure = { ...familiar, distance: 2.4 };

/** Probabilities for each kind; pneumonia leads in all three, COVID-19 is low. */
const CASES = {
  call: { probabilities: [0.05, 0.9, 0.05], familiarity: familiar },
  uncertain: { probabilities: [0.4, 0.45, 0.15], familiarity: familiar },
  unfamiliar: { probabilities: [0.1, 0.78, 0.12], familiarity: unusual },
} as const;

describe('a confident call on a film unlike the training films', () => {
  it('is a call that carries the familiarity notice, in words that do not claim it is wrong', () => {
    const verdict = decideVerdict({
      labels,
      probabilities: [0.05, 0.9, 0.05],
      thresholds,
      margin: 0,
      minProbability: 0.785,
      familiarity: unusual,
    });
    const s = resultStatement({
      labels,
      probabilities: [0.05, 0.9, 0.05],
      verdict,
      calibration: null,
    });
    expect(s.headline).toBe('Call: pneumonia');
    expect(s.notice).toBe(
      'It looks unlike the films the model was trained on (feature distance 2.40, limit 1.70).',
    );
    expect(s.line).toBe(
      'Call: pneumonia; p 0.90; It looks unlike the films the model was trained on (feature distance 2.40, limit 1.70)',
    );
  });
});

const SMALL_N = 'Saved from only 6 COVID-19 films (fewer than 30): its figures are unreliable.';
const SITES: Record<string, OperatingPoint | null> = {
  none: null,
  threshold: { profileName: 'Clinic A', label: 'COVID-19', threshold: 0.012645 },
  'threshold, small n': {
    profileName: 'Clinic A',
    label: 'COVID-19',
    threshold: 0.012645,
    smallNWarning: SMALL_N,
  },
  'calibration only': {
    profileName: 'Clinic B',
    label: null,
    threshold: null,
    calibration: {
      method: 'temperature-and-prior-shift',
      temperature: 1.3,
      biases: [0, 0.2, -0.1],
    },
  },
};
const CALIBRATIONS: Record<string, ModelCalibration | null> = {
  calibrated: {
    method: 'temperature',
    temperature: 0.926767,
    fitted_on:
      '577 labelled films from training/splits/calib.csv, NLL 0.5109 -> 0.5096, by training/fit_trust.ts.',
  },
  uncalibrated: null,
};

function statementFor(
  kind: keyof typeof CASES,
  site: OperatingPoint | null,
  calibration: ModelCalibration | null,
): ResultStatement {
  const { probabilities, familiarity } = CASES[kind];
  const verdict = decideVerdict({
    labels,
    probabilities: [...probabilities],
    thresholds,
    margin: 0,
    minProbability: 0.785,
    familiarity,
    operatingPoint: site,
  });
  return resultStatement({ labels, probabilities: [...probabilities], verdict, calibration });
}

/** Every text of a statement, for "nowhere" checks. */
const allText = (s: ResultStatement): string =>
  [
    s.headline,
    s.reason,
    s.advice,
    s.leading?.text,
    s.calibration,
    s.siteProfile,
    ...s.warnings,
    s.line,
  ]
    .filter(Boolean)
    .join('\n');

describe('resultStatement: kind x site profile x calibration', () => {
  for (const kind of Object.keys(CASES) as (keyof typeof CASES)[]) {
    for (const [siteName, site] of Object.entries(SITES)) {
      for (const [calibrationName, calibration] of Object.entries(CALIBRATIONS)) {
        it(`${kind}, site profile: ${siteName}, ${calibrationName}`, () => {
          const s = statementFor(kind, site, calibration);
          const text = allText(s);
          // A COVID-19 site threshold of 0.0126 calls COVID-19 at 0.05 / 0.15 / 0.12 (a call
          // comes before the familiarity check, which then travels as a notice).
          const siteCalls = site?.label === 'COVID-19';
          const expectedKind = siteCalls ? 'call' : kind;
          expect(s.kind).toBe(expectedKind);

          // Verdict first, in plain words.
          if (expectedKind === 'call') {
            const called = siteCalls ? 'COVID-19' : 'pneumonia';
            expect(s.headline).toBe(`Call: ${called}`);
            expect(s.statedClass).toBe(called);
            expect(s.coded).toEqual({ kind: 'class', label: called });
          } else if (expectedKind === 'uncertain') {
            expect(s.headline).toBe('Uncertain: pneumonia or normal');
            expect(s.between).toEqual(['pneumonia', 'normal']);
            expect(s.statedClass).toBeNull();
            expect(s.coded).toEqual({ kind: 'uncertain' });
          } else {
            expect(s.headline).toBe('Unfamiliar film');
            expect(s.statedClass).toBeNull();
            expect(s.coded).toEqual({ kind: 'unfamiliar' });
            // Says so before any number, and does not claim the scores are wrong.
            expect(s.line.indexOf('Unfamiliar film')).toBe(0);
            expect(s.reason).toMatch(/unlike the films the model was trained on/);
            expect(text).not.toMatch(/may not apply|are wrong/);
          }

          // The leading class only as the named secondary figure.
          expect(s.leading).toEqual({
            label: 'pneumonia',
            probability: CASES[kind].probabilities[1],
            text: `${LEADING_NAME}: pneumonia ${CASES[kind].probabilities[1].toFixed(2)}`,
          });
          expect(text).not.toMatch(/Predict|Leading class|prediction/i);
          // No class other than the stated one is called.
          for (const label of labels) {
            if (label !== s.statedClass) expect(text).not.toContain(`Call: ${label}`);
          }

          // The site profile is named wherever it shaped the result, with its warning.
          if (site) {
            expect(s.siteProfile).toContain(`Site profile "${site.profileName}"`);
            expect(s.line).toContain(`site profile "${site.profileName}"`);
          } else {
            expect(s.siteProfile).toBeNull();
            expect(text).not.toMatch(/site/i);
          }
          expect(s.warnings).toEqual(site?.smallNWarning ? [SMALL_N] : []);
          if (kind === 'unfamiliar' && siteCalls) {
            expect(s.notice).toMatch(/^It looks unlike the films the model was trained on/);
            expect(s.line).toContain(s.notice?.replace(/\.$/, ''));
          } else {
            expect(s.notice).toBeNull();
          }
          if (site?.smallNWarning) expect(s.line).toContain(SMALL_N);
          expect(s.calibration).toBe(
            site?.calibration
              ? `site-calibrated (profile "${site.profileName}")`
              : calibration
                ? 'calibrated'
                : 'uncalibrated',
          );

          // A threshold only where it decides, with 3 significant digits.
          if (siteCalls) {
            expect(s.decidingThreshold?.text).toBe('site threshold 0.0126 (profile "Clinic A")');
            expect(s.reason).toContain('site threshold 0.0126');
            expect(s.line).toContain(`${LEADING_NAME}: pneumonia`);
          } else {
            expect(s.decidingThreshold).toBeNull();
          }
          expect(text).not.toMatch(/0\.01(?!26)|threshold 0\.5\b/);

          // No doubled prefixes, no development details.
          expect(text).not.toMatch(/(Uncertain|Unfamiliar film|Call): \1/);
          expect(s.reason).not.toMatch(/^(Uncertain|Unfamiliar film|Call)\b/);
          expect(text).not.toMatch(/training\/|\.csv|NLL|fit_trust|fitted/);
        });
      }
    }
  }
});

describe('the statement of a film the chest gate turned away', () => {
  it('says not scored, with the gate reason and no numbers', () => {
    const s = resultStatement({
      status: 'rejected',
      gate: { reason: 'no two lung fields found.' },
    });
    expect(s).toMatchObject({
      kind: 'not-scored',
      headline: 'Not scored',
      statedClass: null,
      leading: null,
      coded: { kind: 'not-scored' },
      line: 'Not scored: no two lung fields found',
    });
    expect(s.reason).toBe('Not a frontal chest X-ray: no two lung fields found.');
  });
});

describe('statement helpers', () => {
  it('lists the classes an uncertain result hesitates between, highest first', () => {
    expect(hesitatesBetween(labels, [0.4, 0.45, 0.15])).toEqual(['pneumonia', 'normal']);
    expect(hesitatesBetween(labels, [0.35, 0.4, 0.25])).toEqual([
      'pneumonia',
      'normal',
      'COVID-19',
    ]);
  });

  it('strips the kind that older stored reasons began with', () => {
    expect(plainReason('Uncertain: normal leads by only 0.10 (a call needs 0.20).')).toBe(
      'Normal leads by only 0.10 (a call needs 0.20).',
    );
    expect(
      plainReason('Unfamiliar film: unlike the training films; the scores may not apply.'),
    ).toBe('Unlike the training films; the scores may not apply.');
  });

  it('captions a heatmap with the class it explains', () => {
    expect(heatmapCaption({ label: 'COVID-19', method: 'class-activation' })).toBe(
      'Heatmap (class activation) for COVID-19: where the model found evidence for COVID-19, brighter = more. Not a lesion outline.',
    );
  });
});
