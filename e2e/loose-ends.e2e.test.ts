/**
 * Loose ends of the viewer, in Chromium over the real handlers: the file the app is launched with
 * opens in the viewer (and one handed over while it runs, as a second launch or macOS open-file
 * does); a model card's link to a sibling card opens that card (Back returns), other links are
 * not followed; a file whose VOI LUT Function is SIGMOID is drawn as the sigmoid (canvas pixels
 * against DCMTK's dcm2pnm), also after a window change; a JPEG file whose pixel data is not
 * encapsulated is shown with the decoder's note.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ModelInfo } from '../src/shared/prediction';
import { buildDicom, imagePixelElements } from '../src/main/platform/dicom/test-dicom-writer';
import { parseDicomBytes } from '../src/main/platform/dicom/parse';
import { hasTool, readPnm } from '../src/main/platform/dicom/testing/test-support';
import { launchWorkstation, type LaunchedWorkstation } from './harness';
import type { PageDocument, PageWindow } from './harness/page-dom';

declare const document: PageDocument;
declare const window: PageWindow;

const repoRoot = resolve(__dirname, '..');
const dicomDir = resolve(repoRoot, '../shared/data/dicom');
const artifacts = join(repoRoot, 'e2e', 'artifacts');
const CHEST = join(dicomDir, 'siim_cxr_cr_mono2_8bit_jpegbaseline.dcm');
const LATER = join(dicomDir, 'nih_cxr_dx_mono2_8bit_explicit_le.dcm');
const VIEWPORT = '.viewport-element';
const HAS_DCMTK = hasTool('dcm2pnm');

/** Eight flat bands across 12 bits; window 2000/1500 with VOI LUT Function SIGMOID. */
const BAND_VALUES = [0, 800, 1400, 1800, 2000, 2300, 2900, 4095];
const BAND_WIDTH = 64;
const ROWS = 64;
const COLUMNS = BAND_VALUES.length * BAND_WIDTH;

function writeSigmoidFile(path: string): void {
  const pixels = new Uint16Array(ROWS * COLUMNS).map(
    (_, i) => BAND_VALUES[Math.floor((i % COLUMNS) / BAND_WIDTH)],
  );
  const elements = imagePixelElements({
    rows: ROWS,
    columns: COLUMNS,
    bitsAllocated: 16,
    bitsStored: 12,
    extra: [
      { tag: [0x0008, 0x0016], vr: 'UI', value: '1.2.840.10008.5.1.4.1.1.7' },
      { tag: [0x0008, 0x0018], vr: 'UI', value: '1.2.826.0.1.3680043.2.1143.15.6' },
      { tag: [0x0008, 0x0060], vr: 'CS', value: 'OT' },
      { tag: [0x0028, 0x1050], vr: 'DS', value: '2000' },
      { tag: [0x0028, 0x1051], vr: 'DS', value: '1500' },
      { tag: [0x0028, 0x1056], vr: 'CS', value: 'SIGMOID' },
    ],
  });
  writeFileSync(
    path,
    buildDicom({
      transferSyntaxUid: '1.2.840.10008.1.2.1',
      elements,
      pixels: new Uint8Array(pixels.buffer),
    }),
  );
}

const sigmoid8 = (x: number, c: number, w: number): number =>
  Math.round(255 / (1 + Math.exp((-4 * (x - c)) / w)));

let app: LaunchedWorkstation;
let page: Page;
let model: ModelInfo | null = null;
const work = mkdtempSync(join(tmpdir(), 'loose-ends-e2e-'));
const sigmoidFile = join(work, 'sigmoid-bands.dcm');
const bareJpegFile = join(work, 'jpeg-not-encapsulated.dcm');

/** The chest film's JPEG stream stored as defined-length Pixel Data under JPEG Baseline. */
function writeBareJpegFile(path: string): void {
  const file = parseDicomBytes(readFileSync(CHEST), CHEST);
  const [fragment] = file.dataSet.elements.x7fe00010.fragments ?? [];
  const stream = file.dataSet.byteArray.slice(
    fragment.position,
    fragment.position + fragment.length,
  );
  const elements = imagePixelElements({
    rows: 1024,
    columns: 1024,
    bitsAllocated: 8,
    extra: [
      { tag: [0x0008, 0x0016], vr: 'UI', value: '1.2.840.10008.5.1.4.1.1.7' },
      { tag: [0x0008, 0x0018], vr: 'UI', value: '1.2.826.0.1.3680043.2.1143.15.7' },
    ],
  });
  const pixels = stream.length % 2 ? new Uint8Array([...stream, 0]) : stream;
  writeFileSync(
    path,
    buildDicom({ transferSyntaxUid: '1.2.840.10008.1.2.4.50', elements, pixels }),
  );
}

beforeAll(async () => {
  mkdirSync(artifacts, { recursive: true });
  writeSigmoidFile(sigmoidFile);
  writeBareJpegFile(bareJpegFile);
  app = await launchWorkstation({ launchPaths: [CHEST] });
  page = app.page;
  await page.setViewportSize({ width: 1440, height: 900 });
  await page.waitForSelector(VIEWPORT);
  const info = await page.evaluate(() => window.api.invoke('app:getInfo', {}));
  model = info.ok ? info.value.model : null;
});

afterAll(async () => {
  await app?.close();
  rmSync(work, { recursive: true, force: true });
});

function entryFor(path: string) {
  const name = path.split('/').pop() as string;
  return page.locator(`[data-testid="study-image"][title*="${name}"]`);
}

async function shownImageId(): Promise<string | null> {
  return page.getAttribute(VIEWPORT, 'data-image-id');
}

describe('the launched-with file', () => {
  it('is listed and shown without any dialog', async () => {
    await expect.poll(() => entryFor(CHEST).count(), { timeout: 30_000 }).toBeGreaterThan(0);
    const id = await entryFor(CHEST).first().getAttribute('data-image-id');
    await expect.poll(shownImageId, { timeout: 30_000 }).toBe(id);
    await page.screenshot({ path: join(artifacts, 'loose-ends-01-launched-file.png') });
  });

  it('a file handed over while the app runs (second launch, open-file) is shown too', async () => {
    app.harness.openLaunchPaths([LATER]);
    await expect.poll(() => entryFor(LATER).count(), { timeout: 30_000 }).toBeGreaterThan(0);
    const id = await entryFor(LATER).first().getAttribute('data-image-id');
    await expect.poll(shownImageId, { timeout: 30_000 }).toBe(id);
  });
});

describe('model card links', () => {
  it('a link to the sibling segmenter card opens it; Back returns; nothing else is followed', async (context) => {
    if (!model?.hasModelCard || !model.segmenter) {
      context.skip('the loaded model has no card linking to a segmenter card');
      return;
    }
    await page.click('[data-testid="model-card-button"]');
    const link = page.locator('[data-testid="card-link"]');
    await expect.poll(() => link.count(), { timeout: 10_000 }).toBeGreaterThan(0);
    const modelId = await link.first().getAttribute('data-model-id');
    expect(modelId).toBe('lungseg-unet-v1');
    await page.screenshot({ path: join(artifacts, 'loose-ends-02-card-with-link.png') });
    const pageUrl = page.url();
    await link.first().click();
    await expect.poll(() => page.textContent('.model-card'), { timeout: 10_000 }).toMatch(/Dice/i);
    expect(await page.getAttribute('dialog.modal', 'aria-label')).toContain(model.segmenter.name);
    expect(page.url()).toBe(pageUrl); // the dialog changed, the page did not navigate
    await page.screenshot({ path: join(artifacts, 'loose-ends-03-sibling-card.png') });
    await page.click('[data-testid="model-card-back"]');
    await expect.poll(() => link.count(), { timeout: 10_000 }).toBeGreaterThan(0);
    await page.keyboard.press('Escape');
  });
});

/** Canvas gray at the centre of each band, through the viewport's own transform. */
async function bandGrays(): Promise<number[]> {
  return page.evaluate(
    ({ selector, bands, bandWidth, rows }) => {
      const element = document.querySelector(selector);
      const canvas = element?.querySelector('canvas');
      const context = canvas?.getContext('2d');
      if (!element || !canvas || !context) throw new Error('no canvas');
      const data = element.dataset;
      const scale = Number(data.scale);
      const tx = Number(data.translationX);
      const ty = Number(data.translationY);
      const columns = Number(data.columns);
      const image = context.getImageData(0, 0, canvas.width, canvas.height);
      const grays: number[] = [];
      for (let band = 0; band < bands; band++) {
        const x = band * bandWidth + bandWidth / 2;
        const cx = Math.round(canvas.width / 2 + scale * (tx + x - columns / 2));
        const cy = Math.round(canvas.height / 2 + scale * (ty + rows / 2 - rows / 2));
        grays.push(image.data[(cy * image.width + cx) * 4]);
      }
      return grays;
    },
    { selector: VIEWPORT, bands: BAND_VALUES.length, bandWidth: BAND_WIDTH, rows: ROWS },
  );
}

async function afterRender(action: () => Promise<unknown>): Promise<void> {
  await page.evaluate((selector) => {
    const element = document.querySelector(selector);
    const w = window as unknown as { nextRender?: Promise<void> };
    w.nextRender = new Promise((done) =>
      element?.addEventListener('cornerstoneimagerendered', () => done(), { once: true }),
    );
  }, VIEWPORT);
  await action();
  await page.evaluate(() => (window as unknown as { nextRender?: Promise<void> }).nextRender);
}

describe('VOI LUT Function SIGMOID', () => {
  it.skipIf(!HAS_DCMTK)(
    'is drawn as DCMTK draws it (not the linear window), and follows a window change',
    async () => {
      await afterRender(async () => {
        app.harness.setNextPick([sigmoidFile]);
        await page.keyboard.press('Control+o');
        await expect.poll(() => entryFor(sigmoidFile).count(), { timeout: 30_000 }).toBe(1);
        await entryFor(sigmoidFile).first().click();
      });
      const id = await entryFor(sigmoidFile).first().getAttribute('data-image-id');
      await expect.poll(shownImageId, { timeout: 30_000 }).toBe(id);
      await afterRender(() => page.keyboard.press('1')); // the file's own window
      const shown = await bandGrays();
      const out = join(work, 'dcmtk.pgm');
      execFileSync('dcm2pnm', ['+Wi', '1', '+op', sigmoidFile, out], { stdio: 'pipe' });
      const dcmtk = readPnm(out);
      const reference = BAND_VALUES.map(
        (_, band) => dcmtk.data[band * BAND_WIDTH + BAND_WIDTH / 2],
      );
      const linear = BAND_VALUES.map((v) =>
        Math.min(255, Math.max(0, Math.round(((v - 1999.5) / 1499 + 0.5) * 255))),
      );
      await page.screenshot({ path: join(artifacts, 'loose-ends-04-sigmoid.png') });
      for (let band = 0; band < BAND_VALUES.length; band++) {
        expect(Math.abs(shown[band] - reference[band]), `band ${band}`).toBeLessThanOrEqual(1);
      }
      const linearGap = Math.max(...shown.map((v, band) => Math.abs(v - linear[band])));
      expect(linearGap).toBeGreaterThan(20);

      await afterRender(() => page.keyboard.press('5')); // full data range
      const center = Number(await page.getAttribute(VIEWPORT, 'data-window-center'));
      const width = Number(await page.getAttribute(VIEWPORT, 'data-window-width'));
      expect([center, width]).not.toEqual([2000, 1500]);
      const after = await bandGrays();
      for (let band = 0; band < BAND_VALUES.length; band++) {
        expect(
          Math.abs(after[band] - sigmoid8(BAND_VALUES[band], center, width)),
          `band ${band} after the window change`,
        ).toBeLessThanOrEqual(1);
      }
    },
  );
});

describe('a JPEG Baseline file whose Pixel Data is not encapsulated', () => {
  it('is shown, with the decoder note saying what was read', async () => {
    app.harness.setNextPick([bareJpegFile]);
    await page.keyboard.press('Control+o');
    await expect.poll(() => entryFor(bareJpegFile).count(), { timeout: 30_000 }).toBe(1);
    await entryFor(bareJpegFile).first().click();
    const id = await entryFor(bareJpegFile).first().getAttribute('data-image-id');
    await expect.poll(shownImageId, { timeout: 30_000 }).toBe(id);
    const notes = page.locator('[data-testid="decode-notes"]');
    await expect.poll(() => notes.isVisible(), { timeout: 10_000 }).toBe(true);
    expect(await notes.textContent()).toMatch(/not encapsulated.*bare codestream/);
    await page.screenshot({ path: join(artifacts, 'loose-ends-05-decode-note.png') });
    // A standard file shows no note.
    await entryFor(CHEST).first().click();
    await expect.poll(() => notes.isVisible(), { timeout: 10_000 }).toBe(false);
  });
});
