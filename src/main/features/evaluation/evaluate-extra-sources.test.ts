/**
 * `evaluate --probe` on cxr-extra films (a manifest with `group_id` and `masked` instead of
 * `patient_id`): the lung-masked RSNA normal-vs-pneumonia AUC is reported with its n, equal to one
 * recomputed by hand from predictions.csv, and the outline-only probe sits beside lungs_out.
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { parse } from 'csv-parse/sync';
import { stringify } from 'csv-stringify/sync';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createInferenceEngine, type InferenceEngine } from '../../platform/inference';
import { SHARED_DATA, testModelDir } from '../../platform/inference/testing/test-support';
import { runEvaluation, type EvaluationReport } from './evaluate';

const EXTRA = join(SHARED_DATA, 'cxr-extra');
let scratch: string;
let engine: InferenceEngine;
let metrics: EvaluationReport;
let predictions: Record<string, string>[];

/** Mann-Whitney AUC with ties counted half. */
function aucByHand(scores: number[], positive: boolean[]): number {
  let wins = 0;
  let pairs = 0;
  scores.forEach((s, i) => {
    if (!positive[i]) return;
    scores.forEach((t, j) => {
      if (positive[j]) return;
      pairs++;
      wins += s > t ? 1 : s === t ? 0.5 : 0;
    });
  });
  return wins / pairs;
}

beforeAll(async () => {
  scratch = await mkdtemp(join(tmpdir(), 'covidnet-eval-extra-'));
  const all = parse(await readFile(join(EXTRA, 'manifest.csv'), 'utf8'), {
    columns: true,
  }) as Record<string, string>[];
  const pick = (source: string, label: string, n: number): Record<string, string>[] =>
    all
      .filter((r) => r.source === source && r.label === label)
      .sort((a, b) => a.file.localeCompare(b.file))
      .slice(0, n);
  const rows = [
    ...pick('rsna-lungmasked', 'normal', 5),
    ...pick('rsna-lungmasked', 'pneumonia', 5),
    ...pick('c19rdb-covid', 'COVID-19', 2),
  ].map((r) => ({ ...r, file: relative(scratch, resolve(EXTRA, r.file)) }));
  await writeFile(
    join(scratch, 'manifest.csv'),
    stringify(rows, { header: true, columns: Object.keys(all[0]) }),
  );
  engine = await createInferenceEngine({ modelDir: testModelDir(), providers: ['cpu'] });
  const outDir = join(scratch, 'out');
  await runEvaluation({ manifestPath: join(scratch, 'manifest.csv'), outDir, engine, probe: true });
  metrics = JSON.parse(await readFile(join(outDir, 'metrics.json'), 'utf8')) as EvaluationReport;
  predictions = parse(await readFile(join(outDir, 'predictions.csv'), 'utf8'), {
    columns: true,
  }) as Record<string, string>[];
}, 600_000);

afterAll(async () => {
  await engine?.dispose();
  await rm(scratch, { recursive: true, force: true });
});

describe('evaluate on the lung-masked RSNA films', () => {
  it('reports rsna_normal_vs_pneumonia_auc with its n, as recomputed from predictions.csv', () => {
    const rsna = predictions.filter((p) => p.status === 'ok' && p.file.includes('rsna-lungmasked'));
    expect(rsna.length).toBeGreaterThanOrEqual(8);
    expect(metrics.within_source.rsna_n).toBe(rsna.length);
    const expected = aucByHand(
      rsna.map((p) => Number(p['p_pneumonia'])),
      rsna.map((p) => p.label === 'pneumonia'),
    );
    // predictions.csv rounds to 6 decimals.
    expect(metrics.within_source.rsna_normal_vs_pneumonia_auc as number).toBeCloseTo(expected, 3);
  });

  it('writes the outline-only probe beside lungs_out, over the same films', () => {
    expect(metrics.lungs_out).toBeTruthy();
    expect(metrics.outline_only).toBeTruthy();
    expect(metrics.outline_only!.n).toBe(metrics.lungs_out!.n);
    expect(metrics.outline_only!.n).toBeGreaterThanOrEqual(10);
    const auc = metrics.outline_only!.rsna_normal_vs_pneumonia_auc;
    expect(auc).not.toBeNull();
    expect(auc as number).toBeGreaterThanOrEqual(0);
    expect(auc as number).toBeLessThanOrEqual(1);
  });
});
