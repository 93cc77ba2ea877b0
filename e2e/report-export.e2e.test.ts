/**
 * "Export report…" end to end: the built renderer in Chromium over the real handlers; the folder
 * comes from the (scripted) platform dialog, the page never names a path; the files it reports
 * are in that folder and the SR passes dciodvfy.
 */
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listModelFolders } from '../src/main/base/resources';
import { dciodvfyErrors } from '../src/main/platform/reporting/testing/test-support';
import { launchWorkstation, type LaunchedWorkstation } from './harness';

const DX_MONO2 = resolve(
  __dirname,
  '../../shared/data/dicom/nih_cxr_dx_mono2_8bit_explicit_le.dcm',
);
const modelDir = process.env['E2E_MODEL_DIR'] || undefined;
const modelAvailable = modelDir !== undefined || listModelFolders().length > 0;
const work = mkdtempSync(join(tmpdir(), 'report-export-e2e-'));

describe.skipIf(!modelAvailable)('report export from the prediction panel', () => {
  let app: LaunchedWorkstation;
  let page: Page;
  beforeAll(async () => {
    app = await launchWorkstation({ modelDir });
    page = app.page;
    await page.waitForSelector('.viewport-element');
  });
  afterAll(async () => {
    await app?.close();
    rmSync(work, { recursive: true, force: true });
  });

  it('writes the reports of the film on screen into the folder picked in the dialog', async () => {
    app.harness.setNextPick([DX_MONO2]);
    await page.click('text=Open files');
    await page.waitForSelector('.prediction-panel[data-state="done"]', { timeout: 90_000 });

    app.harness.setNextPick([work]);
    await page.click('[data-testid="export-report"]');
    await expect
      .poll(() => page.textContent('[data-testid="export-report-message"]'), { timeout: 90_000 })
      .toMatch(/^Saved 4 files to /);
    const written = readdirSync(work).sort();
    const message = (await page.textContent('[data-testid="export-report-message"]')) ?? '';
    for (const file of written) expect(message).toContain(file);
    expect(written.map((f) => f.replace(/^.*?_[0-9a-f]{8}/, ''))).toEqual([
      '.heatmap.dcm',
      '.pdf',
      '.pdf.dcm',
      '.sr.dcm',
    ]);
    const sr = join(work, written.find((f) => f.endsWith('.sr.dcm')) as string);
    expect(dciodvfyErrors(sr)).toEqual([]);
  }, 240_000);
});
