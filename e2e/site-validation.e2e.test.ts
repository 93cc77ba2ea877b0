/**
 * Reader feedback and site validation end to end: the built renderer in Chromium over the real
 * handlers. A reader records a reading of the film on screen (stored in the user-data journal,
 * exported as CSV); "Validate on our films" runs the pipeline over a small labelled folder of
 * shared films and shows the figures with n and warnings and the plots; a site operating point is
 * saved as a named profile, switched on (the engine's verdict then names it) and off again.
 * Screenshots go to e2e/artifacts/site-validation-*.png.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join, resolve } from 'node:path';
import { parse } from 'csv-parse/sync';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readJournal } from '../src/main/features/reader-readings';
import type { OperatingPoint } from '../src/shared/verdict';
import { listModelFolders } from '../src/main/base/resources';
import { launchWorkstation, type LaunchedWorkstation } from './harness';

const repoRoot = resolve(__dirname, '..');
const artifacts = join(repoRoot, 'e2e', 'artifacts');
const modelDir = process.env['E2E_MODEL_DIR'] || undefined;
const modelAvailable = modelDir !== undefined || listModelFolders().length > 0;
// User data of this run only (readings, runs, profiles live beside the screening store).
const userData = mkdtempSync(join(tmpdir(), 'site-validation-e2e-'));
const films = join(userData, 'our-films');
const labelsCsv = join(userData, 'labels.csv');

/** 4 films per class from the validation split, linked into a folder, with a labels CSV. */
function makeLabelledFolder(): string[] {
  const rows = parse(readFileSync(join(repoRoot, 'training/splits/val.csv'), 'utf8'), {
    columns: true,
  }) as Record<string, string>[];
  mkdirSync(films);
  const lines = ['path,label'];
  const paths: string[] = [];
  for (const label of ['normal', 'pneumonia', 'COVID-19']) {
    const ofLabel = rows.filter((r) => r.label === label);
    for (let i = 0; i < 4; i++) {
      const source = resolve(repoRoot, 'training/splits', ofLabel[i * 20].file);
      const linked = join(films, basename(source));
      symlinkSync(source, linked);
      lines.push(`our-films/${basename(source)},${label}`);
      paths.push(linked);
    }
  }
  writeFileSync(labelsCsv, `${lines.join('\n')}\n`);
  return paths;
}

/** The site operating point the engine applied to the first image in the library (null: none). */
async function predictionOf(page: Page): Promise<OperatingPoint | null | 'rejected'> {
  // A string, so the page's `window.api` needs no DOM types in this Node-side file.
  return (await page.evaluate(`(async () => {
    const list = await window.api.invoke('library:list', {});
    if (!list.ok) throw new Error(list.error.message);
    const imageId = list.value.patients[0].studies[0].series[0].images[0].imageId;
    const result = await window.api.invoke('model:predict', { imageId, frame: 0, heatmap: false });
    if (!result.ok) throw new Error(result.error.message);
    return result.value.status === 'scored' ? (result.value.verdict.operatingPoint ?? null) : 'rejected';
  })()`)) as OperatingPoint | null | 'rejected';
}

describe.skipIf(!modelAvailable)('reader readings and site validation', () => {
  let app: LaunchedWorkstation;
  let page: Page;
  let filmPaths: string[];
  beforeAll(async () => {
    mkdirSync(artifacts, { recursive: true });
    filmPaths = makeLabelledFolder();
    app = await launchWorkstation({ modelDir, storeDir: join(userData, 'screening') });
    page = app.page;
    await page.setViewportSize({ width: 1400, height: 1000 });
    await page.waitForSelector('.viewport-element');
  });
  afterAll(async () => {
    await app?.close();
    rmSync(userData, { recursive: true, force: true });
  });

  it('records a reading of the film on screen and exports the readings as CSV', async () => {
    const filmBytes = readFileSync(filmPaths[8]);
    app.harness.setNextPick([filmPaths[8]]); // a COVID-19 film
    await page.click('text=Open files');
    await page.waitForSelector('.prediction-panel[data-state="done"]', { timeout: 90_000 });
    await page.check('[data-testid="reading-COVID-19"]');
    await page.check('[data-testid="agreement-disagree"]');
    await page.fill('.reader-reading-panel textarea', 'bilateral peripheral opacities');
    await page.click('[data-testid="save-reading"]');
    await expect
      .poll(() => page.textContent('[data-testid="reading-status"]'), { timeout: 10_000 })
      .toMatch(/^Saved .*COVID-19 \(disagrees with the AI\)/);
    await page.screenshot({ path: join(artifacts, 'site-validation-01-reading.png') });

    // Durable in the user-data journal, never in the film.
    const { records } = await readJournal(join(userData, 'reader-readings'));
    expect(records).toHaveLength(1);
    expect(records[0]).toMatchObject({
      path: filmPaths[8],
      reading: 'COVID-19',
      agreement: 'disagree',
      note: 'bilateral peripheral opacities',
    });
    expect(records[0].ai?.modelId).toBeTruthy();
    expect(readFileSync(filmPaths[8]).equals(filmBytes)).toBe(true);

    const csv = join(userData, 'readings.csv');
    app.harness.setNextSavePath(csv);
    await page.click('text=Export readings (CSV)…');
    await expect
      .poll(() => page.textContent('[data-testid="reading-status"]'), { timeout: 10_000 })
      .toMatch(/^Exported 1 readings/);
    const exported = parse(readFileSync(csv, 'utf8'), { columns: true }) as Record<
      string,
      string
    >[];
    expect(exported[0]).toMatchObject({
      path: filmPaths[8],
      label: 'COVID-19',
      agreement_with_ai: 'disagree',
    });
  }, 180_000);

  it('validates on a labelled folder, shows the figures and plots, saves and switches a site profile', async () => {
    await page.click('text=Validate on our films');
    app.harness.setNextPick([films]);
    await page.click('.validation-view >> text=Add folder…');
    await expect
      .poll(() => page.textContent('[data-testid="validation-folders"]'))
      .toContain('our-films');
    app.harness.setNextPick([labelsCsv]);
    await page.click('text=Choose CSV…');
    await expect
      .poll(() => page.textContent('[data-testid="labels-file"]'))
      .toContain('labels.csv');
    await page.click('[data-testid="run-validation"]');
    await page.waitForSelector('[data-testid="validation-figures"]', { timeout: 180_000 });

    const filmsText = (await page.textContent('[data-testid="validation-films"]')) ?? '';
    expect(filmsText).toMatch(/^12 films found; 12 labelled with a model class/);
    const figures = (await page.textContent('[data-testid="validation-figures"]')) ?? '';
    expect(figures).toContain('COVID-19 AUC (one vs rest)');
    // 4 films per class: every per-class figure says it is too few to conclude.
    expect(figures).toMatch(/too few to conclude/);
    // The plots evaluate wrote are drawn (an <img> of each SVG with a real size).
    for (const plot of ['roc.svg', 'confusion_matrix.svg']) {
      const width = await page.evaluate(
        `document.querySelector('[data-testid="plot-${plot}"] img').naturalWidth`,
      );
      expect(width).toBeGreaterThan(100);
    }
    await page.screenshot({
      path: join(artifacts, 'site-validation-02-report.png'),
      fullPage: true,
    });

    await page.fill('[data-testid="target-sensitivity"]', '75');
    await page.click('[data-testid="choose-threshold"]');
    await expect
      .poll(() => page.textContent('[data-testid="chosen-threshold"]'), { timeout: 10_000 })
      .toMatch(/^COVID-19 threshold 0\.\d{1,4} \(95% bootstrap interval/);
    await page.fill('[data-testid="profile-name"]', 'Our ED test');
    // Too few films: the app asks before saving, and saves only on an explicit yes.
    const confirmations: string[] = [];
    page.once('dialog', (dialog) => {
      confirmations.push(dialog.message());
      void dialog.accept();
    });
    await page.click('[data-testid="save-profile"]');
    await page.waitForSelector('[data-testid="profile-option-Our ED test"]');
    expect(confirmations[0]).toMatch(/rests on only \d+ COVID-19 film.*Save it anyway\?/s);
    // Saved, not used: nothing is chosen silently.
    expect(await page.textContent('[data-testid="profile-in-use"]')).toMatch(
      /^No site profile in use/,
    );
    expect(await predictionOf(page)).toBeNull();

    await page.check('[data-testid="profile-option-Our ED test"]');
    await expect
      .poll(() => page.textContent('[data-testid="profile-in-use"]'))
      .toMatch(/^In use: "Our ED test" — COVID-19 called at P ≥ 0\.\d{3}/);
    const applied = await predictionOf(page);
    expect(applied).toMatchObject({ profileName: 'Our ED test', label: 'COVID-19' });
    await page.screenshot({
      path: join(artifacts, 'site-validation-03-profile-on.png'),
      fullPage: true,
    });

    // The viewer's panel is asked again with the profile in use.
    await page.click('.tabs >> text=Viewer');
    await expect
      .poll(() => page.textContent('.prediction-panel [data-testid="site-profile"]'), {
        timeout: 90_000,
      })
      .toMatch(/Site profile ["“]Our ED test["”]: COVID-19 is called at or above/);
    // Saved from 4 COVID-19 films (accepted): its small-n warning is in the panel that names it.
    expect(await page.textContent('.prediction-panel [data-testid="site-profile"]')).toContain(
      'Small-n profile: chosen on only 4 COVID-19 films',
    );
    await page.evaluate(`document.querySelector('.side-column').scrollTop = 0`);
    await page.screenshot({ path: join(artifacts, 'site-validation-04-viewer-with-profile.png') });

    await page.click('text=Validate on our films');
    await page.check('[data-testid="profile-option-none"]');
    await expect
      .poll(() => page.textContent('[data-testid="profile-in-use"]'))
      .toMatch(/^No site profile in use/);
    expect(await predictionOf(page)).toBeNull();
    // The viewer was asked again: its panel no longer names a profile.
    await expect
      .poll(() => page.$('.prediction-panel [data-testid="site-profile"]'), { timeout: 90_000 })
      .toBeNull();
    await page.screenshot({ path: join(artifacts, 'site-validation-05-profile-off.png') });
  }, 400_000);
});
