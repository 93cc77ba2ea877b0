import { describe, expect, it } from 'vitest';
import {
  computeMetrics,
  confusionMatrix,
  rocAuc,
  rocCurve,
  type EvaluationSample,
} from './metrics';

const classes = ['normal', 'pneumonia', 'COVID-19'];

describe('rocAuc', () => {
  it('is 1 for a perfect ranking and 0 for a reversed one', () => {
    expect(rocAuc([0.1, 0.2, 0.8, 0.9], [false, false, true, true])).toBe(1);
    expect(rocAuc([0.9, 0.8, 0.2, 0.1], [false, false, true, true])).toBe(0);
  });
  it('counts ties as one half', () => {
    expect(rocAuc([0.5, 0.5], [true, false])).toBe(0.5);
    // positives 0.5, 0.9; negatives 0.5, 0.1: pairs (0.5>0.5 tie=.5, 0.5>0.1, 0.9>0.5, 0.9>0.1) = 3.5/4
    expect(rocAuc([0.5, 0.9, 0.5, 0.1], [true, true, false, false])).toBeCloseTo(3.5 / 4, 12);
  });
  it('is null without positives or without negatives', () => {
    expect(rocAuc([0.1, 0.2], [false, false])).toBeNull();
    expect(rocAuc([0.1, 0.2], [true, true])).toBeNull();
  });
  it('equals the area under rocCurve (trapezoids)', () => {
    const scores = [0.1, 0.4, 0.35, 0.8, 0.4, 0.7, 0.2, 0.9];
    const positive = [false, true, false, true, false, true, true, false];
    const { fpr, tpr } = rocCurve(scores, positive);
    let area = 0;
    for (let i = 1; i < fpr.length; i++)
      area += ((fpr[i] - fpr[i - 1]) * (tpr[i] + tpr[i - 1])) / 2;
    expect(rocAuc(scores, positive)).toBeCloseTo(area, 12);
    expect(fpr.at(-1)).toBe(1);
    expect(tpr.at(-1)).toBe(1);
  });
});

describe('computeMetrics', () => {
  const p = (i: number): number[] => [0, 1, 2].map((c) => (c === i ? 0.8 : 0.1));
  const samples: EvaluationSample[] = [
    { truth: 'normal', probabilities: p(0), source: 'a' },
    { truth: 'normal', probabilities: p(1), source: 'a' },
    { truth: 'pneumonia', probabilities: p(1), source: 'a' },
    { truth: 'COVID-19', probabilities: p(2), source: 'b' },
    { truth: 'COVID-19', probabilities: p(0), source: 'b' },
    { truth: 'COVID-19', probabilities: p(2), source: 'b' },
  ];
  const m = computeMetrics(samples, classes);

  it('builds the confusion matrix with truth rows and prediction columns', () => {
    expect(m.confusion_matrix).toEqual([
      [1, 1, 0],
      [0, 1, 0],
      [1, 0, 2],
    ]);
    expect(confusionMatrix([0, 2], [2, 2], 3)).toEqual([
      [0, 0, 1],
      [0, 0, 0],
      [0, 0, 1],
    ]);
  });

  it('computes accuracy, sensitivity and PPV from the matrix', () => {
    expect(m.n_images).toBe(6);
    expect(m.accuracy).toBeCloseTo(4 / 6, 12);
    expect(m.per_class.normal).toMatchObject({ sensitivity: 0.5, ppv: 0.5 });
    expect(m.per_class.pneumonia).toMatchObject({ sensitivity: 1, ppv: 0.5 });
    expect(m.per_class['COVID-19'].sensitivity).toBeCloseTo(2 / 3, 12);
    expect(m.per_class['COVID-19'].ppv).toBe(1);
  });

  it('splits by source, with null where a class is absent', () => {
    expect(m.per_source.a.n).toBe(3);
    expect(m.per_source.a.accuracy).toBeCloseTo(2 / 3, 12);
    expect(m.per_source.a.per_class['COVID-19']).toEqual({ n: 0, sensitivity: null });
    expect(m.per_source.b.per_class['COVID-19'].sensitivity).toBeCloseTo(2 / 3, 12);
  });

  it('gives null PPV for a class never predicted and null AUC without positives', () => {
    const only = computeMetrics([{ truth: 'normal', probabilities: p(0), source: 's' }], classes);
    expect(only.per_class.pneumonia).toEqual({ sensitivity: null, ppv: null, auc: null });
    expect(only.per_class.normal.auc).toBeNull();
  });

  it('rejects a label that is not a class', () => {
    expect(() =>
      computeMetrics([{ truth: 'flu', probabilities: p(0), source: 's' }], classes),
    ).toThrow(/flu/);
  });
});
