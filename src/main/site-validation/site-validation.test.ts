/**
 * Site validation on a labelled folder of shared films (30 films of the validation split, linked
 * into a temp folder with a `path,label` CSV) gives the same figures as `evaluate` on the same
 * films; it adds intervals, n and small-n warnings; a site operating point is chosen on those
 * films and saved as a named profile that is applied only when active and only to its model.
 */
import { mkdir, mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join, resolve } from 'node:path';
import { parse } from 'csv-parse/sync';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runEvaluation } from '../evaluation';
import type { EvaluationReport } from '../evaluation/evaluate';
import { createInferenceEngine, type InferenceEngine } from '../inference';
import { REPO_ROOT, testModelDir } from '../inference/test-support';
import { chooseOperatingPoint } from './operating-point';
import { openSiteProfileStore, PROFILES_FILE } from './profiles';
import { readLabelsCsv } from './labels';
import { readStoredScores, runSiteValidation, type SiteValidationOutcome } from './run';

const VAL_SPLIT = join(REPO_ROOT, 'training/splits/val.csv');

let scratch: string;
let engine: InferenceEngine;
let validation: SiteValidationOutcome;
let evaluationMetrics: Record<string, unknown>;
let evaluationProbabilities: Map<string, number[] | null>;

/** 10 films per class spread over the split (every 8th), so several sources are in. */
async function pickFilms(): Promise<{ path: string; label: string }[]> {
  const rows = parse(await readFile(VAL_SPLIT, 'utf8'), { columns: true }) as Record<
    string,
    string
  >[];
  const picked: { path: string; label: string }[] = [];
  for (const label of ['normal', 'pneumonia', 'COVID-19']) {
    const ofLabel = rows.filter((r) => r.label === label);
    for (let i = 0; i < 10; i++) {
      const row = ofLabel[i * 8];
      picked.push({ path: resolve(REPO_ROOT, 'training/splits', row.file), label });
    }
  }
  // One more film, labelled "other" by the site (no model class: counted, not evaluated).
  const extra = rows.filter((r) => r.label === 'normal')[1];
  picked.push({ path: resolve(REPO_ROOT, 'training/splits', extra.file), label: 'other' });
  return picked;
}

beforeAll(async () => {
  scratch = await mkdtemp(join(tmpdir(), 'covidnet-site-'));
  const films = join(scratch, 'our-films');
  await mkdir(films);
  const picked = await pickFilms();
  for (const film of picked) await symlink(film.path, join(films, basename(film.path)));
  await writeFile(
    join(scratch, 'labels.csv'),
    [
      'path,label',
      ...picked.map((f) => `our-films/${basename(f.path)},${f.label}`),
      'our-films/not-here.png,normal',
    ].join('\n'),
  );
  // The same 30 films as an evaluate manifest (paths relative to its folder, source = folder name),
  // in the folder walk's order (by name), so even float sums add up in the same order.
  await writeFile(
    join(scratch, 'manifest.csv'),
    [
      'file,label,source',
      ...picked
        .filter((f) => f.label !== 'other')
        .sort((x, y) => (basename(x.path) < basename(y.path) ? -1 : 1))
        .map((f) => `our-films/${basename(f.path)},${f.label},our-films`),
    ].join('\n'),
  );
  engine = await createInferenceEngine({ modelDir: testModelDir() });
  validation = await runSiteValidation({
    folders: [films],
    labels: await readLabelsCsv(join(scratch, 'labels.csv')),
    labelsSource: { kind: 'labels-csv', path: join(scratch, 'labels.csv') },
    engine,
    runsDir: join(scratch, 'site', 'runs'),
  });
  const evaluated = await runEvaluation({
    manifestPath: join(scratch, 'manifest.csv'),
    outDir: join(scratch, 'evaluate'),
    engine,
  });
  evaluationMetrics = JSON.parse(
    await readFile(join(scratch, 'evaluate', 'metrics.json'), 'utf8'),
  ) as Record<string, unknown>;
  evaluationProbabilities = new Map(
    evaluated.images.map((i) => [basename(i.path), i.probabilities]),
  );
}, 240_000);

afterAll(async () => {
  await engine?.dispose();
  await rm(scratch, { recursive: true, force: true });
});

describe('site validation', () => {
  it('gives the figures evaluate gives on the same films', async () => {
    const metrics = JSON.parse(
      await readFile(join(validation.runDir, 'metrics.json'), 'utf8'),
    ) as Record<string, unknown>;
    // Everything evaluate writes agrees, except the gate's file list (paths as each was given).
    const withoutFiles = (m: Record<string, unknown>) => ({
      ...m,
      gate: { ...(m.gate as object), rejected_files: undefined },
    });
    expect(withoutFiles(metrics)).toEqual(withoutFiles(evaluationMetrics));
    for (const image of validation.images) {
      expect(image.probabilities).toEqual(evaluationProbabilities.get(basename(image.path)));
    }
    const report = validation.report;
    expect(report.accuracy.value).toBe(evaluationMetrics.accuracy);
    const perClass = evaluationMetrics.per_class as Record<
      string,
      { sensitivity: number; ppv: number; auc: number }
    >;
    for (const label of report.labels) {
      expect(report.perClass[label].sensitivity.value).toBe(perClass[label].sensitivity);
      expect(report.perClass[label].ppv.value).toBe(perClass[label].ppv);
      expect(report.perClass[label].auc.value).toBe(perClass[label].auc);
    }
    expect(report.confusionMatrix).toEqual(evaluationMetrics.confusion_matrix);
    // Calibration and verdict shares are evaluate's too.
    const { calibration, verdicts } = evaluationMetrics as unknown as EvaluationReport;
    expect(report.calibration?.ece).toBe(calibration.ece);
    expect(report.calibration?.n).toBe(calibration.n);
    expect(report.verdicts?.uncertain.value).toBe(verdicts.uncertain.share);
    expect(report.verdicts?.unfamiliar.value).toBe(verdicts.unfamiliar.share);
    expect(report.verdicts?.callAccuracy.value).toBe(verdicts.call.accuracy);
    expect(report.verdicts?.uncertain.n).toBe(verdicts.n);
    // The run folder holds evaluate's files and the plots the view shows.
    for (const file of [
      'metrics.json',
      'report.md',
      'roc.svg',
      'confusion_matrix.svg',
      'site-validation.json',
    ]) {
      expect(report.files).toContain(file);
    }
    expect(report.plots.map((p) => p.file)).toEqual(
      expect.arrayContaining(['roc.svg', 'confusion_matrix.svg', 'reliability.svg']),
    );
    expect(report.plots.every((p) => p.svg.startsWith('<svg') || p.svg.startsWith('<?xml'))).toBe(
      true,
    );
  });

  it('joins labels by real path, counts what it could not use, and says n is too small', () => {
    const { films, perClass, accuracy, gateRejections, warnings } = validation.report;
    expect(films.found).toBe(31);
    expect(films.labelled).toBe(30);
    expect(films.excludedByLabel).toEqual({ other: 1 });
    expect(films.labelsWithoutFilm).toBe(1);
    expect(films.scored + films.rejectedByGate + films.unreadable).toBe(30);
    expect(gateRejections.n).toBe(30 - films.unreadable);
    expect(accuracy.n).toBe(films.scored);
    for (const label of validation.report.labels) {
      const { sensitivity, auc } = perClass[label];
      expect(sensitivity.n).toBeLessThanOrEqual(10);
      expect(sensitivity.low as number).toBeLessThanOrEqual(sensitivity.value as number);
      expect(sensitivity.high as number).toBeGreaterThanOrEqual(sensitivity.value as number);
      expect(auc.interval).toBe('bootstrap');
      expect(auc.low as number).toBeLessThanOrEqual(auc.value as number);
      expect(auc.high as number).toBeGreaterThanOrEqual(auc.value as number);
      // 10 films per class cannot settle a sensitivity: the figure says so.
      expect(sensitivity.warning).toMatch(/too few to conclude/);
    }
    expect(warnings.join('\n')).toMatch(/"other" is not a class of this model/);
  });

  it('chooses the COVID-19 threshold reaching a target sensitivity, with its interval', async () => {
    const scores = await readStoredScores(join(scratch, 'site', 'runs'), validation.report.runId);
    const choice = chooseOperatingPoint(scores.films, scores.labels, 'COVID-19', 0.8, 0.5);
    expect(choice).not.toBeNull();
    if (!choice) return;
    expect(choice.sensitivity.value as number).toBeGreaterThanOrEqual(0.8);
    // The highest such threshold: one step higher loses a positive below the target.
    const covid = scores.labels.indexOf('COVID-19');
    const positives = scores.films
      .filter((f) => f.truth === 'COVID-19')
      .map((f) => f.probabilities[covid]);
    expect(positives).toContain(choice.threshold);
    expect(positives.filter((p) => p > choice.threshold).length / positives.length).toBeLessThan(
      0.8,
    );
    expect(choice.thresholdInterval?.low as number).toBeLessThanOrEqual(choice.threshold);
    expect(choice.thresholdInterval?.high as number).toBeGreaterThanOrEqual(choice.threshold);
    expect(choice.positives + choice.negatives).toBe(validation.report.films.scored);
  });

  it('saves a named profile with the figures that chose it, applied only when active and to its model', async () => {
    const dir = join(scratch, 'site', 'profiles');
    const runsDir = join(scratch, 'site', 'runs');
    const store = await openSiteProfileStore(dir);
    const model = { sha256: engine.manifest.sha256, thresholds: engine.manifest.thresholds };
    const request = {
      name: 'Clinic A (90 pct)',
      runId: validation.report.runId,
      label: 'COVID-19',
      targetSensitivity: 0.9,
    };
    // 30 films of three classes: fewer than 30 COVID-19 films, so refused unless accepted.
    await expect(store.create(request, runsDir, model)).rejects.toThrow(
      /^Not saved: this profile rests on only \d+ COVID-19 films.*at least 30.*--accept-small-n/,
    );
    expect(store.state(model.sha256).profiles).toEqual([]);
    const profile = await store.create({ ...request, acceptSmallN: true }, runsDir, model);
    expect(profile.choice?.targetSensitivity).toBe(0.9);
    expect(profile.smallNWarning).toMatch(/^Small-n profile: chosen on only \d+ COVID-19 films/);
    expect(profile.validation.runId).toBe(validation.report.runId);
    // Saved, not applied: nothing is chosen silently.
    expect(store.activeOperatingPoint(model.sha256)).toBeNull();
    await store.setActive('Clinic A (90 pct)', model.sha256);
    expect(store.activeOperatingPoint(model.sha256)).toEqual({
      profileName: 'Clinic A (90 pct)',
      label: 'COVID-19',
      threshold: profile.threshold,
      calibration: null,
      smallNWarning: profile.smallNWarning,
    });
    // Another model: not applied, and the state says why.
    expect(store.activeOperatingPoint('0'.repeat(64))).toBeNull();
    expect(store.state('0'.repeat(64)).inactiveReason).toMatch(/not applied/);
    await expect(
      store.create(
        {
          name: 'Clinic A (90 pct)',
          runId: validation.report.runId,
          label: 'COVID-19',
          targetSensitivity: 0.8,
        },
        runsDir,
        model,
      ),
    ).rejects.toThrow(/already exists/);
    await expect(
      store.create(
        {
          name: 'bad/name',
          runId: validation.report.runId,
          label: 'COVID-19',
          targetSensitivity: 0.8,
        },
        runsDir,
        model,
      ),
    ).rejects.toThrow(/profile name/);

    // It survives a restart, beside the validation report that chose it; and switches off.
    const reopened = await openSiteProfileStore(dir);
    expect(reopened.activeOperatingPoint(model.sha256)?.profileName).toBe('Clinic A (90 pct)');
    const saved = JSON.parse(
      await readFile(join(dir, 'Clinic_A__90_pct_', 'site-validation.json'), 'utf8'),
    ) as {
      runId: string;
    };
    expect(saved.runId).toBe(validation.report.runId);
    await reopened.setActive(null, model.sha256);
    expect(reopened.activeOperatingPoint(model.sha256)).toBeNull();
    const onDisk = JSON.parse(await readFile(join(dir, PROFILES_FILE), 'utf8')) as {
      activeProfileName: string | null;
    };
    expect(onDisk.activeProfileName).toBeNull();
  });
});
