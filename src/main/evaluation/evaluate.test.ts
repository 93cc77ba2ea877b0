/**
 * `evaluate` on 18 shared images (the first 6 of each label by file name), through a temp
 * manifest whose paths are relative to its own folder. metrics.json is checked against a
 * confusion matrix and per-class figures recomputed here by hand from predictions.csv, and
 * predictions.csv against the engine run directly on a few of the images.
 */
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parse } from 'csv-parse/sync';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openImage } from '../imaging';
import { createInferenceEngine, filmInputOf, type InferenceEngine } from '../inference';
import { scored, SHARED_DATA, testModelDir } from '../inference/test-support';
import { runEvaluation } from './evaluate';
import { expectedCalibrationError } from './calibration';
import type { EvaluationReport } from './evaluate';
import { CLASSES, writeSubsetManifest } from './test-support';

let scratch: string;
let outDir: string;
let engine: InferenceEngine;
let chosen: Record<string, string>[];
let metrics: EvaluationReport;

beforeAll(async () => {
  scratch = await mkdtemp(join(tmpdir(), 'covidnet-eval-'));
  outDir = join(scratch, 'out');
  chosen = await writeSubsetManifest(scratch, (all) =>
    CLASSES.flatMap((label) =>
      all
        .filter((r) => r.label === label)
        .sort((a, b) => a.file.localeCompare(b.file))
        .slice(0, 6),
    ),
  );
  engine = await createInferenceEngine({ modelDir: testModelDir(), providers: ['cpu'] });
  await runEvaluation({ manifestPath: join(scratch, 'manifest.csv'), outDir, engine });
  metrics = JSON.parse(await readFile(join(outDir, 'metrics.json'), 'utf8')) as EvaluationReport;
}, 300_000);

afterAll(async () => {
  await engine?.dispose();
  await rm(scratch, { recursive: true, force: true });
});

describe('evaluate', () => {
  it('writes metrics.json that matches a confusion matrix recomputed from predictions.csv', async () => {
    const predictions = parse(await readFile(join(outDir, 'predictions.csv'), 'utf8'), {
      columns: true,
    }) as Record<string, string>[];
    expect(predictions).toHaveLength(18);
    const matrix = CLASSES.map(() => CLASSES.map(() => 0));
    for (const p of predictions) {
      const probabilities = CLASSES.map((c) => Number(p[`p_${c}`]));
      const predicted = probabilities.indexOf(Math.max(...probabilities));
      expect(p.prediction).toBe(CLASSES[predicted]);
      matrix[CLASSES.indexOf(p.label)][predicted]++;
    }
    expect(metrics.classes).toEqual(CLASSES);
    expect(metrics.n_images).toBe(18);
    expect(metrics.confusion_matrix).toEqual(matrix);
    const correct = matrix.reduce((sum, row, i) => sum + row[i], 0);
    expect(metrics.accuracy).toBeCloseTo(correct / 18, 12);
    CLASSES.forEach((label, c) => {
      const predictedAs = matrix.reduce((sum, row) => sum + row[c], 0);
      expect(metrics.per_class[label].sensitivity).toBeCloseTo(matrix[c][c] / 6, 12);
      if (predictedAs === 0) expect(metrics.per_class[label].ppv).toBeNull();
      else expect(metrics.per_class[label].ppv).toBeCloseTo(matrix[c][c] / predictedAs, 12);
      const auc = metrics.per_class[label].auc;
      expect(auc === null || (auc >= 0 && auc <= 1)).toBe(true);
    });
    // Per source: counts add up to the whole.
    const sources = Object.values(metrics.per_source);
    expect(sources.reduce((sum, s) => sum + s.n, 0)).toBe(18);
    for (const [name, s] of Object.entries(metrics.per_source)) {
      expect(s.n).toBe(chosen.filter((r) => r.source === name).length);
    }
  });

  it('records the probabilities the engine gives for the same images', async () => {
    const predictions = parse(await readFile(join(outDir, 'predictions.csv'), 'utf8'), {
      columns: true,
    }) as Record<string, string>[];
    for (const index of [0, 7, 17]) {
      const image = await openImage(resolve(SHARED_DATA, 'cxr', chosen[index].file));
      const film = filmInputOf(await image.decodeFrame(0), image.metadata);
      const result = scored(await engine.analyse(film, { heatmaps: false }));
      CLASSES.forEach((c, i) =>
        expect(Number(predictions[index][`p_${c}`])).toBeCloseTo(result.probabilities[i], 5),
      );
    }
  });

  it('writes the report with the paper tables, a per-source table and the figures', async () => {
    const report = await readFile(join(outDir, 'report.md'), 'utf8');
    expect(report).toMatch(/Table 1\. Parameters, MACs and accuracy/);
    expect(report).toMatch(/Table 2\. Sensitivity/);
    expect(report).toMatch(/Table 3\. Positive predictive value/);
    expect(report).toMatch(/## Per source/);
    expect(report).toMatch(/research/i);
    for (const svg of ['confusion_matrix.svg', 'roc.svg']) {
      const text = await readFile(join(outDir, svg), 'utf8');
      expect(text.startsWith('<svg')).toBe(true);
      expect((await stat(join(outDir, svg))).size).toBeGreaterThan(500);
    }
  });

  it('reports calibration (ECE over 15 bins, reliability.svg) and verdicts from the same films', async () => {
    const predictions = parse(await readFile(join(outDir, 'predictions.csv'), 'utf8'), {
      columns: true,
    }) as Record<string, string>[];
    const scoredRows = predictions.filter((p) => p.status === 'ok');
    const recomputed = expectedCalibrationError(
      scoredRows.map((p) => ({
        probabilities: CLASSES.map((c) => Number(p[`p_${c}`])),
        truth: CLASSES.indexOf(p.label),
      })),
    );
    expect(metrics.calibration.n).toBe(scoredRows.length);
    expect(metrics.calibration.bins).toHaveLength(15);
    // predictions.csv rounds to 6 decimals.
    expect(metrics.calibration.ece as number).toBeCloseTo(recomputed.ece as number, 4);
    expect(metrics.calibration.calibrated).toBe(engine.manifest.calibration !== undefined);
    // Every scored film has a verdict, and the CSV says which with its reason.
    const v = metrics.verdicts;
    expect(v.n).toBe(scoredRows.length);
    expect(v.call.n + v.uncertain.n + v.unfamiliar.n).toBe(v.n);
    for (const p of scoredRows) {
      expect(['call', 'uncertain', 'unfamiliar']).toContain(p.verdict);
      expect(p.verdict_reason.length).toBeGreaterThan(10);
    }
    const calls = scoredRows.filter((p) => p.verdict === 'call');
    expect(v.call.n).toBe(calls.length);
    if (calls.length > 0) {
      const right = calls.filter((p) => p.prediction === p.label).length;
      expect(v.call.accuracy).toBeCloseTo(right / calls.length, 12);
    }
    const svg = await readFile(join(outDir, 'reliability.svg'), 'utf8');
    expect(svg.startsWith('<svg')).toBe(true);
    expect(svg).toMatch(/ECE \d\.\d{3} \(15 bins, n=\d+\)/);
    const report = await readFile(join(outDir, 'report.md'), 'utf8');
    expect(report).toMatch(/## Calibration/);
    expect(report).toMatch(/## Verdicts/);
    expect(metrics.within_source.rsna_n).toBe(0);
  });

  it('reports ECE within each source, recomputed from predictions.csv, and lists it in report.md', async () => {
    const predictions = parse(await readFile(join(outDir, 'predictions.csv'), 'utf8'), {
      columns: true,
    }) as Record<string, string>[];
    const scoredRows = predictions.filter((p) => p.status === 'ok');
    const sources = [...new Set(scoredRows.map((p) => p.source))].sort();
    expect(sources.length).toBeGreaterThan(1);
    expect(Object.keys(metrics.calibration.per_source)).toEqual(sources);
    const report = await readFile(join(outDir, 'report.md'), 'utf8');
    for (const source of sources) {
      const rows = scoredRows.filter((p) => p.source === source);
      const films = rows.map((p) => ({
        probabilities: CLASSES.map((c) => Number(p[`p_${c}`])),
        truth: CLASSES.indexOf(p.label),
      }));
      const figures = metrics.calibration.per_source[source];
      expect(figures.n).toBe(rows.length);
      expect(figures.ece as number).toBeCloseTo(expectedCalibrationError(films).ece as number, 4);
      const right = rows.filter((p) => p.prediction === p.label).length;
      expect(figures.accuracy).toBeCloseTo(right / rows.length, 12);
      const confidence =
        films.reduce((sum, f) => sum + Math.max(...f.probabilities), 0) / rows.length;
      expect(figures.mean_confidence as number).toBeCloseTo(confidence, 5);
      expect(report).toContain(
        `| ${source} | ${rows.length} | ${(figures.ece as number).toFixed(3)} |`,
      );
    }
  });
});
