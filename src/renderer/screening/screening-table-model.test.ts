import { describe, expect, it } from 'vitest';
import {
  filterRows,
  fileName,
  rejectedNote,
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
});
