import { describe, expect, it } from 'vitest';
import {
  filterRows,
  fileName,
  formatEta,
  formatRate,
  sortRows,
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
});
