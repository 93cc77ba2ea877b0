/**
 * The drift view end to end: the built renderer in Chromium over the real handlers. Films are
 * screened through the Screening view as a user would; "Check recent films" in "Validate on our
 * films" then compares the recent screened films with the model's reference films. Shared films
 * like the reference films (their sources, in their proportions) read "Similar"; after a batch of
 * inverted films (a wrong-polarity export) the newest films read "Different" and the chart shows
 * the shift.
 * Screenshots: e2e/artifacts/drift-01-similar.png, drift-02-different.png.
 */
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join, resolve } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeForModel } from '../src/main/platform/decode-pool';
import { filmsLikeReference } from '../src/main/features/drift/testing/test-support';
import { encodeGrayPng } from '../src/main/platform/inference/heatmap-image';
import { listModelFolders } from '../src/main/base/resources';
import { launchWorkstation, type LaunchedWorkstation } from './harness';

const repoRoot = resolve(__dirname, '..');
const artifacts = join(repoRoot, 'e2e', 'artifacts');
const modelDir = process.env['E2E_MODEL_DIR'] || undefined;
const modelAvailable = modelDir !== undefined || listModelFolders().length > 0;
const userData = mkdtempSync(join(tmpdir(), 'drift-e2e-'));
const shared = join(userData, 'shared-films');
const inverted = join(userData, 'inverted-films');

/** About 40 shared films like the reference films (linked), and 40 inverted copies as PNG. */
async function makeFolders(): Promise<void> {
  mkdirSync(shared);
  mkdirSync(inverted);
  for (const [i, source] of filmsLikeReference(40).entries()) {
    symlinkSync(source, join(shared, basename(source)));
    const image = await decodeForModel(source);
    const bytes = new Uint8Array(image.gray.length);
    for (let p = 0; p < bytes.length; p++) {
      bytes[p] = 255 - Math.max(0, Math.min(255, Math.round(image.gray[p])));
    }
    writeFileSync(
      join(inverted, `inverted-${i}.png`),
      encodeGrayPng(bytes, image.width, image.height),
    );
  }
}

/** Finished screening jobs, read through the page's API (the view's state lags a new job). */
async function finishedJobs(page: Page): Promise<number> {
  return (await page.evaluate(`(async () => {
    const jobs = await window.api.invoke('screening:listJobs', {});
    if (!jobs.ok) throw new Error(jobs.error.message);
    return jobs.value.filter((job) => job.state === 'finished').length;
  })()`)) as number;
}

async function screen(app: LaunchedWorkstation, page: Page, folder: string): Promise<void> {
  await page.keyboard.press('s');
  await page.waitForSelector('.screening-view:not([hidden])');
  app.harness.setNextPick([folder]);
  await page.getByRole('button', { name: 'Add folder…' }).click();
  await expect
    .poll(() => page.textContent('[data-testid="screening-folders"]'))
    .toContain(basename(folder));
  const before = await finishedJobs(page);
  await page.getByRole('button', { name: 'Start screening' }).click();
  await expect
    .poll(() => finishedJobs(page), { timeout: 300_000, interval: 1000 })
    .toBe(before + 1);
}

async function checkDrift(page: Page): Promise<string> {
  await page.click('text=Validate on our films');
  await page.click('[data-testid="check-drift"]');
  await expect
    .poll(() => page.textContent('[data-testid="drift-verdict"]'), { timeout: 60_000 })
    .toMatch(/^(Similar|Different)/);
  await page.locator('[data-testid="drift-report"]').scrollIntoViewIfNeeded();
  return (await page.textContent('[data-testid="drift-verdict"]')) ?? '';
}

describe.skipIf(!modelAvailable)('the drift view', () => {
  let app: LaunchedWorkstation;
  let page: Page;
  beforeAll(async () => {
    mkdirSync(artifacts, { recursive: true });
    await makeFolders();
    app = await launchWorkstation({ modelDir, storeDir: join(userData, 'screening') });
    page = app.page;
    await page.setViewportSize({ width: 1400, height: 1100 });
    await page.waitForSelector('.viewport-element');
  }, 180_000);
  afterAll(async () => {
    await app?.close();
    rmSync(userData, { recursive: true, force: true });
  });

  it('calls recently screened shared films similar, with each signal and a chart', async () => {
    await screen(app, page, shared);
    const verdict = await checkDrift(page);
    expect(verdict).toBe('Similar to the reference films.');
    const signals = await page.locator('[data-testid="drift-signals"] tbody tr').count();
    expect(signals).toBeGreaterThanOrEqual(5);
    expect(await page.textContent('[data-testid="drift-signals"]')).toContain('Fisher exact');
    expect(await page.locator('[data-testid="drift-chart"] img').count()).toBe(2);
    await page.locator('[data-testid="drift-report"]').screenshot({
      path: join(artifacts, 'drift-01-similar.png'),
    });
  }, 420_000);

  it('calls the newest films different after a batch of inverted films, and says why', async () => {
    await screen(app, page, inverted);
    const verdict = await checkDrift(page);
    expect(verdict).toMatch(/^Different: .*turned away by the chest gate/);
    expect(await page.locator('.drift-different').count()).toBeGreaterThan(0);
    await page.locator('[data-testid="drift-report"]').screenshot({
      path: join(artifacts, 'drift-02-different.png'),
    });
  }, 420_000);
});
