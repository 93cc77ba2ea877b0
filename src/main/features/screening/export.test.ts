/** The screening CSV/JSON carry the verdict in plain words and keep the shared triage order. */
import { parse } from 'csv-parse/sync';
import { describe, expect, it } from 'vitest';
import type { ScreeningRow } from '../../../shared/screening';
import { decideVerdict, type OperatingPoint } from '../../../shared/verdict';
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

  it('writes verdict, label, reason and site profile columns', () => {
    const records = parse(rowsToCsv(rows, labels), { columns: true }) as Record<string, string>[];
    expect(Object.keys(records[0])).toEqual([...CSV_COLUMNS]);
    const byPath = new Map(records.map((r) => [r.path, r]));
    expect(byPath.get('/films/c-site.png')).toMatchObject({
      verdict: 'call',
      verdict_label: 'COVID-19',
      site_profile: 'Clinic A (COVID-19 >= 0.3)',
    });
    expect(byPath.get('/films/c-site.png')?.verdict_reason).toContain('site threshold 0.30');
    expect(byPath.get('/films/b-uncertain.png')).toMatchObject({
      verdict: 'uncertain',
      verdict_label: '',
      verdict_reason: 'Uncertain: no class reaches its threshold (top: normal at 0.45 < 0.50).',
      site_profile: '',
    });
    expect(byPath.get('/films/a-normal.png')).toMatchObject({
      verdict: 'call',
      verdict_label: 'normal',
    });
    expect(byPath.get('/films/broken.dcm')).toMatchObject({ verdict: '', verdict_reason: '' });
  });

  it('keeps the whole verdict in the JSON rows', () => {
    const json = JSON.parse(
      rowsToJson(rows, { jobId: 'j', modelId: 'm', labels, folders: ['/films'] }),
    ) as {
      rows: ScreeningRow[];
    };
    const site = json.rows.find((r) => r.path === '/films/c-site.png');
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
