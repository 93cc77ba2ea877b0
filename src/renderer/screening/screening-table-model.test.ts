import { describe, expect, it } from 'vitest';
import { decideVerdict, type Verdict } from '../../shared/verdict';
import {
  VERDICT_FILTER_OPTIONS,
  filterRows,
  fileName,
  rejectedNote,
  resultWords,
  formatEta,
  formatRate,
  sortRows,
  verdictCell,
  verdictFilter,
  type ResultRow,
} from './screening-table-model';

const labels = ['normal', 'pneumonia', 'COVID-19'];
function row(name: string, covid: number | null): ResultRow {
  return {
    path: `/data/${name}`,
    frame: 0,
    status: covid === null ? 'error' : 'ok',
    errorCode: covid === null ? 'TRUNCATED' : null,
    errorMessage: null,
    probabilities: covid === null ? null : [1 - covid, 0, covid],
    prediction: covid === null ? null : covid > 0.5 ? 'COVID-19' : 'normal',
    modelId: 'm',
    executionProvider: 'cpu',
    ms: 5,
    imageId: name,
  };
}

const noFamiliarity = {
  distance: null,
  limit: null,
  segmenterConfidence: null,
  minSegmenterConfidence: null,
};

/** A scored row whose verdict comes from the one shared rule (thresholds 0.5, margin 0.2). */
function judged(name: string, probabilities: number[], unfamiliar = false): ResultRow {
  const verdict: Verdict = decideVerdict({
    labels,
    probabilities,
    thresholds: { normal: 0.5, pneumonia: 0.5, 'COVID-19': 0.5 },
    margin: 0.2,
    familiarity: unfamiliar ? { ...noFamiliarity, distance: 3.2, limit: 2.5 } : noFamiliarity,
  });
  const best = probabilities.indexOf(Math.max(...probabilities));
  return { ...row(name, probabilities[2]), probabilities, prediction: labels[best], verdict };
}

function rejected(name: string, reason: string): ResultRow {
  return {
    ...row(name, null),
    status: 'rejected',
    errorCode: 'NOT_A_FRONTAL_CHEST_XRAY',
    errorMessage: reason,
  };
}

describe('screening table model', () => {
  const rows = [row('a', 0.2), row('bad', null), row('b', 0.9), row('c', 0.5)];
  it('sorts in triage order with errors last, and ascending on request', () => {
    expect(sortRows(rows, labels, 'triage').map((r) => r.imageId)).toEqual(['b', 'c', 'a', 'bad']);
    expect(sortRows(rows, labels, 'ascending').map((r) => r.imageId)).toEqual([
      'a',
      'c',
      'b',
      'bad',
    ]);
  });
  it('puts films the chest gate turned away after scored rows and before errors', () => {
    const mixed = [
      row('bad', null),
      rejected('ct', 'Modality is CT, not a radiograph'),
      row('a', 0.2),
      rejected('lat', 'View position is LL (lateral)'),
      row('b', 0.9),
    ];
    expect(sortRows(mixed, labels, 'triage').map((r) => r.imageId)).toEqual([
      'b',
      'a',
      'ct',
      'lat',
      'bad',
    ]);
    expect(sortRows(mixed, labels, 'ascending').map((r) => r.imageId)).toEqual([
      'a',
      'b',
      'ct',
      'lat',
      'bad',
    ]);
    expect(filterRows(mixed, 'rejected').map((r) => r.imageId)).toEqual(['ct', 'lat']);
    expect(filterRows(mixed, 'errors').map((r) => r.imageId)).toEqual(['bad']);
    expect(rejectedNote(mixed[1])).toBe(
      'Not a frontal chest X-ray: Modality is CT, not a radiograph. Not scored.',
    );
  });
  it('filters by prediction or error', () => {
    expect(filterRows(rows, 'errors').map((r) => r.imageId)).toEqual(['bad']);
    expect(filterRows(rows, 'COVID-19').map((r) => r.imageId)).toEqual(['b']);
    expect(filterRows(rows, 'all')).toHaveLength(4);
  });
  it('words rates, ETAs and file names', () => {
    expect(formatEta(null)).toBe('estimating…');
    expect(formatEta(75)).toBe('1 min 15 s');
    expect(formatRate(2.345)).toBe('2.3 images/s');
    expect(fileName('C:\\x\\y.dcm')).toBe('y.dcm');
  });

  describe('with verdicts', () => {
    // P(COVID-19): confident normal 0.38, uncertain 0.36, unfamiliar 0.30, confident COVID 0.80,
    // confident pneumonia 0.05, uncertain with little COVID 0.02.
    const confidentNormal = judged('normal-call', [0.6, 0.02, 0.38]);
    const uncertain = judged('uncertain', [0.45, 0.19, 0.36]);
    // Not confident enough for a call, and unlike the training films.
    const unfamiliar = judged('unfamiliar', [0.48, 0.22, 0.3], true);
    const covidCall = judged('covid-call', [0.1, 0.1, 0.8]);
    const pneumoniaCall = judged('pneumonia-call', [0.05, 0.9, 0.05]);
    const uncertainLow = judged('uncertain-low', [0.5, 0.48, 0.02]);
    const verdictRows = [
      confidentNormal,
      row('bad', null),
      pneumoniaCall,
      uncertain,
      rejected('ct', 'Modality is CT, not a radiograph'),
      uncertainLow,
      unfamiliar,
      covidCall,
    ];

    it('the shared rule gives the verdicts the test means', () => {
      expect(verdictRows.map((r) => r.verdict?.kind ?? null)).toEqual([
        'call',
        null,
        'call',
        'uncertain',
        null,
        'uncertain',
        'unfamiliar',
        'call',
      ]);
    });

    it('puts uncertain and unfamiliar films before confident calls of another class', () => {
      // An uncertain film with P(COVID) 0.36 goes before a confident normal with 0.38.
      expect(sortRows(verdictRows, labels, 'triage').map((r) => r.imageId)).toEqual([
        'covid-call',
        'uncertain',
        'unfamiliar',
        'uncertain-low',
        'normal-call',
        'pneumonia-call',
        'ct',
        'bad',
      ]);
      // Least urgent first; rejected films and errors stay last.
      expect(sortRows(verdictRows, labels, 'ascending').map((r) => r.imageId)).toEqual([
        'pneumonia-call',
        'normal-call',
        'uncertain-low',
        'unfamiliar',
        'uncertain',
        'covid-call',
        'ct',
        'bad',
      ]);
    });

    it('rows without a verdict (stored before it existed) sort by P(COVID-19) alone', () => {
      const legacy = row('legacy', 0.37);
      expect(
        sortRows([confidentNormal, legacy, uncertain], labels, 'triage').map((r) => r.imageId),
      ).toEqual(['legacy', 'uncertain', 'normal-call']);
    });

    it('filters by verdict and words the Verdict column', () => {
      expect(filterRows(verdictRows, verdictFilter('uncertain')).map((r) => r.imageId)).toEqual([
        'uncertain',
        'uncertain-low',
      ]);
      expect(filterRows(verdictRows, verdictFilter('unfamiliar')).map((r) => r.imageId)).toEqual([
        'unfamiliar',
      ]);
      expect(filterRows(verdictRows, verdictFilter('call')).map((r) => r.imageId)).toEqual([
        'normal-call',
        'pneumonia-call',
        'covid-call',
      ]);
      expect(VERDICT_FILTER_OPTIONS.map((o) => o.text)).toEqual([
        'Verdict: Call',
        'Verdict: Uncertain',
        'Verdict: Unfamiliar film',
      ]);
      // The result statement's headline (src/shared/result-statement.ts), verdict first.
      expect(verdictCell(covidCall, labels)).toBe('Call: COVID-19');
      expect(verdictCell(uncertain, labels)).toBe('Uncertain: normal or COVID-19');
      expect(verdictCell(unfamiliar, labels)).toBe('Unfamiliar film');
      expect(verdictCell(row('legacy', 0.4), labels)).toBe('');
      expect(verdictCell(verdictRows[4], labels)).toBe('');
      expect(resultWords(covidCall, labels)).toBe('Call: COVID-19');
      expect(resultWords(uncertain, labels)).toBe(
        'Uncertain: normal or COVID-19 (Highest probability: normal 0.45)',
      );
      expect(resultWords(row('legacy', 0.7), labels)).toBe('Highest probability: COVID-19');
      expect(resultWords(verdictRows[4], labels)).toBe('Not scored');
    });
  });
});
