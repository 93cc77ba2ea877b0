/** The screening CSV/JSON carry the verdict in plain words and keep the shared triage order. */
import { parse } from 'csv-parse/sync';
import { describe, expect, it } from 'vitest';
import type { ScreeningRow } from '../../shared/screening';
import { decideVerdict, type OperatingPoint } from '../../shared/verdict';
import { CSV_COLUMNS, rowsToCsv, rowsToJson, sortForTriage } from './export';

const labels = ['normal', 'pneumonia', 'COVID-19'];
const thresholds = { normal: 0.5, pneumonia: 0.5, 'COVID-19': 0.5 };
const familiar = {
  distance: 0.9,
  limit: 2.5,
  segmenterConfidence: 0.9,
  minSegmenterConfidence: 0.5,
};

function scored(
  path: string,
  probabilities: number[],
  operatingPoint?: OperatingPoint,
): ScreeningRow {
  const best = probabilities.indexOf(Math.max(...probabilities));
  return {
    path,
    frame: 0,
    status: 'ok',
    errorCode: null,
    errorMessage: null,
    probabilities,
    prediction: labels[best],
    modelId: 'm',
    executionProvider: 'cpu',
    ms: 12,
    verdict: decideVerdict({
      labels,
      probabilities,
      thresholds,
      margin: 0.2,
      familiarity: familiar,
      operatingPoint,
    }),
  };
}

const errorRow: ScreeningRow = {
  path: '/films/broken.dcm',
  frame: 0,
  status: 'error',
  errorCode: 'TRUNCATED',
  errorMessage: 'truncated',
  probabilities: null,
  prediction: null,
  modelId: 'm',
  executionProvider: null,
  ms: 1,
};

describe('screening export with verdicts', () => {
  const clinic: OperatingPoint = { profileName: 'Clinic A', label: 'COVID-19', threshold: 0.3 };
  const rows = [
    scored('/films/a-normal.png', [0.6, 0.02, 0.38]),
    errorRow,
    scored('/films/b-uncertain.png', [0.45, 0.19, 0.36]),
    scored('/films/c-site.png', [0.55, 0.1, 0.35], clinic),
  ];

  it('sorts uncertain films with a high P(COVID-19) before confident normals', () => {
    expect(sortForTriage(rows, labels).map((r) => r.path)).toEqual([
      '/films/b-uncertain.png', // P(COVID-19) 0.36, uncertain
      '/films/c-site.png', // 0.35, a COVID-19 call under the site's threshold 0.3
      '/films/a-normal.png',
      '/films/broken.dcm',
    ]);
  });

  it('writes the result statement: result, verdict, highest class, reason and site profile', () => {
    const records = parse(rowsToCsv(rows, labels), { columns: true }) as Record<string, string>[];
    expect(Object.keys(records[0])).toEqual([...CSV_COLUMNS]);
    const byPath = new Map(records.map((r) => [r.path, r]));
    // The site profile calls COVID-19 although normal has the highest probability: the result
    // column says COVID-19, the highest class is named as such, never as "prediction".
    expect(byPath.get('/films/c-site.png')).toMatchObject({
      result: 'COVID-19',
      verdict: 'call',
      highest_probability_class: 'normal',
      site_profile: 'Clinic A (COVID-19 >= 0.300)',
      verdict_reason:
        'COVID-19 at 0.35, at or above the site threshold 0.300 (profile "Clinic A").',
    });
    // An uncertain film states no class in `result`, and its reason has no doubled prefix.
    expect(byPath.get('/films/b-uncertain.png')).toMatchObject({
      result: 'uncertain',
      verdict: 'uncertain',
      highest_probability_class: 'normal',
      verdict_reason: 'Normal leads at 0.45, below the 0.500 a call needs.',
      site_profile: '',
    });
    expect(byPath.get('/films/a-normal.png')).toMatchObject({
      result: 'normal',
      verdict: 'call',
      highest_probability_class: 'normal',
    });
    expect(byPath.get('/films/broken.dcm')).toMatchObject({
      result: '',
      verdict: '',
      verdict_reason: '',
    });
  });

  it('names a small-n warning and a site calibration in the site profile cell', () => {
    const point: OperatingPoint = {
      profileName: 'Tiny',
      label: 'COVID-19',
      threshold: 0.012645,
      calibration: { method: 'temperature', temperature: 1.1, biases: [0, 0, 0] },
      smallNWarning: 'Saved from 6 COVID-19 films.',
    };
    const records = parse(rowsToCsv([scored('/films/t.png', [0.7, 0.25, 0.05], point)], labels), {
      columns: true,
    }) as Record<string, string>[];
    expect(records[0].site_profile).toBe(
      'Tiny (COVID-19 >= 0.0126; site-calibrated; Saved from 6 COVID-19 films.)',
    );
  });

  it('keeps the whole verdict in the JSON rows', () => {
    const json = JSON.parse(
      rowsToJson(rows, { jobId: 'j', modelId: 'm', labels, folders: ['/films'] }),
    ) as {
      rows: ScreeningRow[];
    };
    const site = json.rows.find((r) => r.path === '/films/c-site.png');
    expect(json.rows[0]).toHaveProperty('result.headline');
    expect((site as unknown as { result: { headline: string } }).result.headline).toBe(
      'Call: COVID-19',
    );
    expect(json.rows.every((r) => !('prediction' in r))).toBe(true);
    expect(site?.verdict).toMatchObject({
      kind: 'call',
      label: 'COVID-19',
      operatingPoint: clinic,
    });
    expect(json.rows.find((r) => r.path === '/films/b-uncertain.png')?.verdict?.kind).toBe(
      'uncertain',
    );
  });
});
