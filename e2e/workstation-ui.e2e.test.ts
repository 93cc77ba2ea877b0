/**
 * The workstation UI end to end: the built renderer in Chromium, `window.api` backed by the real
 * main-side handlers, real files from ../shared/data. Checks read the cornerstone canvas itself
 * (after `cornerstoneimagerendered`), not only the DOM. One browser for the whole file.
 *
 * Model: the bundled one (resources/models), or E2E_MODEL_DIR. Without either, the tests that
 * need predictions are skipped (and say so).
 */
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  rmSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listModelFolders } from '../src/main/base/resources';
import { launchWorkstation, type LaunchedWorkstation } from './harness';
import type { PageDocument, PageElement, PageImageData, PageWindow } from './harness/page-dom';

// Page-side callbacks below run in Chromium; this file is type-checked without the DOM lib.
declare const document: PageDocument;
declare const window: PageWindow;
declare const DataTransfer: new () => { items: { add(file: File): void } };

const repoRoot = resolve(__dirname, '..');
const dataDir = resolve(repoRoot, '../shared/data');
const dicomDir = join(dataDir, 'dicom');
const artifacts = join(repoRoot, 'e2e', 'artifacts');
const modelDir = process.env['E2E_MODEL_DIR'] || undefined;
const modelAvailable = modelDir !== undefined || listModelFolders().length > 0;
if (!modelAvailable) {
  console.warn(
    'workstation-ui e2e: no model (resources/models or E2E_MODEL_DIR); prediction tests skipped',
  );
}

const DX_MONO2 = join(dicomDir, 'nih_cxr_dx_mono2_8bit_explicit_le.dcm');
const CR_MONO1 = join(dicomDir, 'barre_cr_mono1_10bit_chest_explicit_le.dcm');
const TRUNCATED = join(dicomDir, 'odd_mr_truncated.dcm');

let app: LaunchedWorkstation;
let page: Page;
const work = mkdtempSync(join(tmpdir(), 'ui-e2e-'));

beforeAll(async () => {
  mkdirSync(artifacts, { recursive: true });
  app = await launchWorkstation({ modelDir });
  page = app.page;
  await page.setViewportSize({ width: 1440, height: 900 });
  await page.waitForSelector('.viewport-element');
});

afterAll(async () => {
  await app?.close();
  rmSync(work, { recursive: true, force: true });
});

// ---- helpers (run in the page) ----

const VIEWPORT = '.viewport-element';

interface ViewState {
  imageId: string;
  renderCount: number;
  scale: number;
  translationX: number;
  translationY: number;
  windowCenter: number;
  windowWidth: number;
  columns: number;
  rows: number;
  canvasWidth: number;
  canvasHeight: number;
}

async function viewState(): Promise<ViewState> {
  return page.evaluate((selector) => {
    const element = document.querySelector(selector);
    const canvas = element?.querySelector('canvas');
    if (!element || !canvas) throw new Error('no viewport');
    const d = element.dataset;
    return {
      imageId: d.imageId ?? '',
      renderCount: Number(d.renderCount ?? 0),
      scale: Number(d.scale),
      translationX: Number(d.translationX),
      translationY: Number(d.translationY),
      windowCenter: Number(d.windowCenter),
      windowWidth: Number(d.windowWidth),
      columns: Number(d.columns),
      rows: Number(d.rows),
      canvasWidth: canvas.width,
      canvasHeight: canvas.height,
    };
  }, VIEWPORT);
}

/** Runs `action` and waits for the next cornerstoneimagerendered on the viewport. */
async function afterRender(action: () => Promise<unknown>): Promise<void> {
  await page.evaluate((selector) => {
    const element = document.querySelector(selector);
    const w = window as unknown as { nextRender?: Promise<void> };
    w.nextRender = new Promise((resolve) =>
      element?.addEventListener('cornerstoneimagerendered', () => resolve(), { once: true }),
    );
  }, VIEWPORT);
  await action();
  await page.evaluate(() => (window as unknown as { nextRender?: Promise<void> }).nextRender);
}

/** Keeps a copy of the canvas pixels in the page under `name`. */
async function snapshot(name: string): Promise<void> {
  await page.evaluate(
    ({ selector, name }) => {
      const canvas = document.querySelector(`${selector} canvas`);
      const context = canvas?.getContext('2d');
      if (!canvas || !context) throw new Error('no canvas');
      const w = window as unknown as { snapshots?: Record<string, PageImageData> };
      w.snapshots ??= {};
      w.snapshots[name] = context.getImageData(0, 0, canvas.width, canvas.height);
    },
    { selector: VIEWPORT, name },
  );
}

interface Region {
  x0: number;
  y0: number;
  x1: number;
  y1: number;
}

/** Mean luminance and spread of a snapshot (optionally a canvas-pixel region). */
async function stats(name: string, region?: Region): Promise<{ mean: number; std: number }> {
  return page.evaluate(
    ({ name, region }) => {
      const image = (window as unknown as { snapshots: Record<string, PageImageData> }).snapshots[
        name
      ];
      const r = region ?? { x0: 0, y0: 0, x1: image.width, y1: image.height };
      let sum = 0;
      let sumSq = 0;
      let n = 0;
      for (let y = Math.max(0, Math.floor(r.y0)); y < Math.min(image.height, r.y1); y++) {
        for (let x = Math.max(0, Math.floor(r.x0)); x < Math.min(image.width, r.x1); x++) {
          const i = (y * image.width + x) * 4;
          const l = 0.299 * image.data[i] + 0.587 * image.data[i + 1] + 0.114 * image.data[i + 2];
          sum += l;
          sumSq += l * l;
          n++;
        }
      }
      const mean = sum / n;
      return { mean, std: Math.sqrt(Math.max(0, sumSq / n - mean * mean)) };
    },
    { name, region },
  );
}

/** Mean absolute difference and the difference-weighted centre (canvas px) of two snapshots. */
async function difference(
  a: string,
  b: string,
): Promise<{ meanAbs: number; cx: number; cy: number }> {
  return page.evaluate(
    ({ a, b }) => {
      const s = (window as unknown as { snapshots: Record<string, PageImageData> }).snapshots;
      const A = s[a];
      const B = s[b];
      let total = 0;
      let sx = 0;
      let sy = 0;
      for (let y = 0; y < A.height; y++) {
        for (let x = 0; x < A.width; x++) {
          const i = (y * A.width + x) * 4;
          const d =
            Math.abs(A.data[i] - B.data[i]) +
            Math.abs(A.data[i + 1] - B.data[i + 1]) +
            Math.abs(A.data[i + 2] - B.data[i + 2]);
          total += d;
          sx += d * x;
          sy += d * y;
        }
      }
      return { meanAbs: total / (A.width * A.height * 3), cx: sx / total, cy: sy / total };
    },
    { a, b },
  );
}

/** Image pixel -> canvas pixel with cornerstone's transform (no rotation or flip in this UI). */
function imageToCanvas(state: ViewState, x: number, y: number): { x: number; y: number } {
  return {
    x: state.canvasWidth / 2 + (x - state.columns / 2 + state.translationX) * state.scale,
    y: state.canvasHeight / 2 + (y - state.rows / 2 + state.translationY) * state.scale,
  };
}

async function shot(name: string): Promise<void> {
  await page.screenshot({ path: join(artifacts, `${name}.png`) });
}

const FILES_BY_FRAGMENT: Record<string, string> = {
  nih_cxr_dx: DX_MONO2,
  barre_cr_mono1: CR_MONO1,
};

/** The study-list id of a file; adds the file through the open dialog if it is not listed yet. */
async function imageIdByName(fragment: string): Promise<string> {
  const entries = page.locator(`[data-testid="study-image"][title*="${fragment}"]`);
  const path = FILES_BY_FRAGMENT[fragment];
  if ((await entries.count()) === 0 && path) {
    app.harness.setNextPick([path]);
    await page.keyboard.press('Control+o');
    await expect.poll(() => entries.count(), { timeout: 30_000 }).toBeGreaterThan(0);
  }
  const id = await entries.first().getAttribute('data-image-id');
  if (!id) throw new Error(`no study list entry for ${fragment}`);
  return id;
}

async function openFromList(fragment: string): Promise<void> {
  const id = await imageIdByName(fragment);
  await page.keyboard.press('v');
  await afterRender(() =>
    page.locator(`[data-testid="study-image"][data-image-id="${id}"]`).click(),
  );
  expect((await viewState()).imageId).toBe(id);
}

async function waitForPrediction(): Promise<void> {
  await page.waitForSelector(
    '.prediction-panel[data-state="done"], .prediction-panel[data-state="error"]',
    {
      timeout: 60_000,
    },
  );
  const state = await page.getAttribute('.prediction-panel', 'data-state');
  if (state === 'error') {
    throw new Error(
      `prediction failed: ${await page.textContent('[data-testid="prediction-status"]')}`,
    );
  }
}

// ---- tests ----

describe('viewer', () => {
  it('opens chest X-rays from the open dialog, lists them and the file that failed, and paints the first', async () => {
    app.harness.setNextPick([DX_MONO2, CR_MONO1, TRUNCATED]);
    await afterRender(() => page.keyboard.press('Control+o'));
    await snapshot('opened');
    const { mean, std } = await stats('opened');
    expect(std).toBeGreaterThan(20); // an image, not a blank canvas
    expect(mean).toBeGreaterThan(20);
    await expect.poll(() => page.locator('[data-testid="study-image"]').count()).toBe(2);
    const problems = await page.textContent('[data-testid="problems"]');
    expect(problems).toMatch(/odd_mr_truncated\.dcm/);
    expect(problems).toMatch(/incomplete/);
    expect(await page.textContent('[data-testid="overlay-wl"]')).toMatch(/W \d+\s+L \d+/);
    await expect
      .poll(() => page.locator('canvas.thumb[data-loaded="true"]').count(), { timeout: 20_000 })
      .toBe(2);
    await shot('01-opened');
  });

  it('changes window/level and the pixels with a left drag', async () => {
    await openFromList('nih_cxr_dx');
    const before = await viewState();
    await snapshot('before-drag');
    const box = await page.locator(VIEWPORT).boundingBox();
    if (!box) throw new Error('no viewport box');
    const x = box.x + box.width / 2;
    const y = box.y + box.height / 2;
    await page.mouse.move(x, y);
    await page.mouse.down();
    await page.mouse.move(x - 60, y + 40, { steps: 4 });
    await afterRender(() => page.mouse.move(x - 120, y + 80));
    await page.mouse.up();
    const after = await viewState();
    expect(after.windowWidth).toBeLessThan(before.windowWidth);
    expect(after.windowCenter).toBeGreaterThan(before.windowCenter);
    await snapshot('after-drag');
    expect((await difference('before-drag', 'after-drag')).meanAbs).toBeGreaterThan(5);
    expect(await page.textContent('[data-testid="overlay-wl"]')).toContain(
      `W ${Math.round(after.windowWidth)}`,
    );
  });

  it('window presets move the brightness the expected way', async () => {
    await afterRender(() => page.keyboard.press('2')); // lung: window low on the display axis
    await snapshot('lung');
    await afterRender(() => page.keyboard.press('4')); // bone: narrow window on the brightest part
    await snapshot('bone');
    await afterRender(() => page.keyboard.press('5')); // full range
    await snapshot('full');
    const lung = await stats('lung');
    const bone = await stats('bone');
    expect(lung.mean).toBeGreaterThan(bone.mean + 15);
    const state = await viewState();
    expect(state.windowWidth).toBeGreaterThan(250); // full 8-bit range
    await shot('02-preset-full');
  });

  it('shows MONOCHROME1 with bone bright: spine and mediastinum brighter than the lung fields', async () => {
    await openFromList('barre_cr_mono1');
    await afterRender(() => page.keyboard.press('1'));
    await snapshot('mono1');
    const s = await viewState();
    const rect = (fx0: number, fy0: number, fx1: number, fy1: number): Region => {
      const a = imageToCanvas(s, fx0 * s.columns, fy0 * s.rows);
      const b = imageToCanvas(s, fx1 * s.columns, fy1 * s.rows);
      return { x0: a.x, y0: a.y, x1: b.x, y1: b.y };
    };
    const mediastinum = await stats('mono1', rect(0.45, 0.25, 0.55, 0.6));
    const rightLung = await stats('mono1', rect(0.2, 0.3, 0.33, 0.55));
    const leftLung = await stats('mono1', rect(0.67, 0.3, 0.8, 0.55));
    expect(mediastinum.mean).toBeGreaterThan(rightLung.mean + 25);
    expect(mediastinum.mean).toBeGreaterThan(leftLung.mean + 25);
    await shot('03-mono1-bone-bright');
  });
  it('steps through a multi-frame image with PageDown/PageUp and lists shortcuts with ?', async () => {
    const multiframe = join(dicomDir, 'mr_multiframe10_j2k_lossless.dcm');
    app.harness.setNextPick([multiframe]);
    await page.keyboard.press('Control+o');
    await expect.poll(() => page.locator('[data-testid="study-image"]').count()).toBe(3);
    await openFromList('mr_multiframe10');
    expect(await page.textContent('[data-testid="frame-label"]')).toBe('1 / 10');
    await snapshot('frame1');
    await afterRender(() => page.keyboard.press('PageDown'));
    await expect.poll(() => page.textContent('[data-testid="frame-label"]')).toBe('2 / 10');
    await snapshot('frame2');
    expect((await difference('frame1', 'frame2')).meanAbs).toBeGreaterThan(0.5);
    await afterRender(() => page.keyboard.press('PageUp'));
    expect(await page.textContent('[data-testid="frame-label"]')).toBe('1 / 10');
    await page.keyboard.press('?');
    await expect.poll(() => page.isVisible('[data-testid="help"]')).toBe(true);
    expect(await page.textContent('[data-testid="help"]')).toMatch(/Window \/ level/);
    await shot('08-help');
    await page.keyboard.press('Escape');
    await expect.poll(() => page.isVisible('[data-testid="help"]')).toBe(false);
  });
  it('adds dropped files and shows a colour image in colour', async () => {
    const colour = join(dicomDir, 'sc_rgb_rle.dcm');
    await app.harness.setDroppedFilePaths({ 'sc_rgb_rle.dcm': colour });
    const dataTransfer = await page.evaluateHandle(() => {
      const transfer = new DataTransfer();
      transfer.items.add(new File(['-'], 'sc_rgb_rle.dcm'));
      return transfer;
    });
    await page.dispatchEvent('body', 'dragover', { dataTransfer });
    await page.dispatchEvent('body', 'drop', { dataTransfer });
    await expect.poll(() => page.locator('[data-testid="study-image"]').count()).toBe(4);
    await openFromList('sc_rgb_rle');
    await snapshot('colour');
    const saturation = await page.evaluate(() => {
      const image = (window as unknown as { snapshots: Record<string, PageImageData> }).snapshots[
        'colour'
      ];
      let sum = 0;
      for (let i = 0; i < image.data.length; i += 4) {
        const r = image.data[i];
        const g = image.data[i + 1];
        const b = image.data[i + 2];
        sum += Math.max(r, g, b) - Math.min(r, g, b);
      }
      return sum / (image.data.length / 4);
    });
    expect(saturation).toBeGreaterThan(5); // grey would be 0
    await shot('09-colour');
  });
  it('opens a DICOMDIR: its patients and images appear in the study list', async () => {
    const before = await page.locator('[data-testid="study-image"]').count();
    const patientsBefore = await page.locator('.patient').count();
    app.harness.setNextPick([join(dicomDir, 'dicomdir_set', 'DICOMDIR')]);
    await page.keyboard.press('Control+o');
    await expect
      .poll(() => page.locator('[data-testid="study-image"]').count(), { timeout: 30_000 })
      .toBeGreaterThan(before);
    expect(await page.locator('.patient').count()).toBeGreaterThan(patientsBefore);
    await shot('12-dicomdir');
  });
});

describe.skipIf(!modelAvailable)('model opinion', () => {
  it('shows three class probabilities that sum to 1, the label and the notice', async () => {
    await openFromList('nih_cxr_dx');
    await waitForPrediction();
    const probabilities = await page
      .locator('[data-testid="probability"]')
      .evaluateAll((rows) =>
        rows.map((row) => Number((row as unknown as PageElement).dataset.probability)),
      );
    expect(probabilities).toHaveLength(3);
    expect(probabilities.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 4);
    expect(await page.textContent('[data-testid="predicted-label"]')).toBeTruthy();
    await expect.poll(() => page.isVisible('[data-testid="research-notice"]')).toBe(true);
    expect(await page.textContent('[data-testid="research-notice"]')).toMatch(/not a diagnosis/i);
    await shot('04-prediction');
  });

  it('overlays the heatmap with H, and it stays registered after zoom and pan', async () => {
    await openFromList('nih_cxr_dx');
    await waitForPrediction();
    await afterRender(() => page.keyboard.press('f'));
    const imageId = (await viewState()).imageId;
    const label = await page.inputValue('#heatmap-label');
    const grid = await page.evaluate(
      async ({ imageId, label }) => {
        const result = await window.api.invoke('model:predict', {
          imageId,
          frame: 0,
          heatmap: true,
        });
        const h = result.ok && result.value.status === 'scored' && result.value.heatmaps?.[label];
        if (!h) throw new Error('no heatmap');
        return { ...h, values: Array.from(h.values) };
      },
      { imageId, label },
    );
    // The renderer's alpha ramp: transparent up to 0.2, opaque at 1.
    const alpha = grid.values.map((v) => (v <= 0.2 ? 0 : (v - 0.2) / 0.8));
    const hottest = alpha.indexOf(Math.max(...alpha));
    const hotSpot = {
      x: grid.originX + ((hottest % grid.gridWidth) + 0.5) * grid.cellWidth,
      y: grid.originY + (Math.floor(hottest / grid.gridWidth) + 0.5) * grid.cellHeight,
    };

    /**
     * Registration check: for every grid cell on screen, the mean on/off difference in the middle
     * of the cell's canvas rectangle should follow the cell's alpha. Returns the correlation for
     * the true placement and for the grid shifted by one and two cells (a misregistered overlay
     * correlates better with a shifted grid).
     */
    const agreement = async (
      tag: string,
    ): Promise<{ registered: number; shifted: number[]; cells: number }> => {
      const state = await viewState();
      const rects: { r: number; c: number; x0: number; y0: number; x1: number; y1: number }[] = [];
      for (let r = 0; r < grid.gridHeight; r++) {
        for (let c = 0; c < grid.gridWidth; c++) {
          const a = imageToCanvas(
            state,
            grid.originX + (c + 0.25) * grid.cellWidth,
            grid.originY + (r + 0.25) * grid.cellHeight,
          );
          const b = imageToCanvas(
            state,
            grid.originX + (c + 0.75) * grid.cellWidth,
            grid.originY + (r + 0.75) * grid.cellHeight,
          );
          rects.push({ r, c, x0: a.x, y0: a.y, x1: b.x, y1: b.y });
        }
      }
      const measured = await page.evaluate(
        ({ off, on, rects }) => {
          const s = (window as unknown as { snapshots: Record<string, PageImageData> }).snapshots;
          const A = s[off];
          const B = s[on];
          return rects.map((rect) => {
            const x0 = Math.max(0, Math.ceil(rect.x0));
            const y0 = Math.max(0, Math.ceil(rect.y0));
            const x1 = Math.min(A.width, Math.floor(rect.x1));
            const y1 = Math.min(A.height, Math.floor(rect.y1));
            if (x1 - x0 < 2 || y1 - y0 < 2) return null; // off screen
            let sum = 0;
            for (let y = y0; y < y1; y++) {
              for (let x = x0; x < x1; x++) {
                const i = (y * A.width + x) * 4;
                sum +=
                  Math.abs(A.data[i] - B.data[i]) +
                  Math.abs(A.data[i + 1] - B.data[i + 1]) +
                  Math.abs(A.data[i + 2] - B.data[i + 2]);
              }
            }
            return sum / ((x1 - x0) * (y1 - y0));
          });
        },
        { off: `${tag}-off`, on: `${tag}-on`, rects },
      );
      const correlation = (dr: number, dc: number): number => {
        const xs: number[] = [];
        const ys: number[] = [];
        rects.forEach((rect, index) => {
          const m = measured[index];
          const r = rect.r + dr;
          const c = rect.c + dc;
          if (m === null || r < 0 || c < 0 || r >= grid.gridHeight || c >= grid.gridWidth) return;
          xs.push(alpha[r * grid.gridWidth + c]);
          ys.push(m);
        });
        const mean = (v: number[]): number => v.reduce((a, b) => a + b, 0) / v.length;
        const mx = mean(xs);
        const my = mean(ys);
        let sxy = 0;
        let sxx = 0;
        let syy = 0;
        for (let i = 0; i < xs.length; i++) {
          sxy += (xs[i] - mx) * (ys[i] - my);
          sxx += (xs[i] - mx) ** 2;
          syy += (ys[i] - my) ** 2;
        }
        return sxx > 0 && syy > 0 ? sxy / Math.sqrt(sxx * syy) : 0;
      };
      return {
        registered: correlation(0, 0),
        shifted: [correlation(0, 2), correlation(2, 0), correlation(-2, -2), correlation(0, -2)],
        cells: measured.filter((m) => m !== null).length,
      };
    };

    const check = async (tag: string): Promise<void> => {
      await snapshot(`${tag}-off`);
      await afterRender(() => page.keyboard.press('h'));
      await snapshot(`${tag}-on`);
      await shot(`05-heatmap-${tag}`);
      await afterRender(() => page.keyboard.press('h'));
      expect((await difference(`${tag}-off`, `${tag}-on`)).meanAbs).toBeGreaterThan(0.5);
      const result = await agreement(tag);
      console.log(`heatmap registration (${tag}):`, JSON.stringify(result));
      expect(result.cells).toBeGreaterThan(8);
      expect(result.registered).toBeGreaterThan(0.5);
      for (const shifted of result.shifted) expect(result.registered).toBeGreaterThan(shifted);
    };

    await check('fit');
    // Zoom in about a point off the centre, then pan with Shift+drag.
    const box = await page.locator(VIEWPORT).boundingBox();
    if (!box) throw new Error('no viewport box');
    const before = await viewState();
    const point = imageToCanvas(before, hotSpot.x, hotSpot.y);
    await page.mouse.move(box.x + point.x + 40, box.y + point.y + 30);
    await afterRender(() => page.mouse.wheel(0, -300));
    await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
    await page.keyboard.down('Shift');
    await page.mouse.down();
    await afterRender(() =>
      page.mouse.move(box.x + box.width / 2 - 70, box.y + box.height / 2 - 50, { steps: 3 }),
    );
    await page.mouse.up();
    await page.keyboard.up('Shift');
    const moved = await viewState();
    expect(moved.scale).toBeGreaterThan(before.scale * 1.2);
    expect(moved.translationX).not.toBeCloseTo(before.translationX, 0);
    await check('zoomed-panned');
    // And after a window/level change.
    await afterRender(() => page.keyboard.press('2'));
    await check('lung-window');
  });
  it('re-explains the heatmap for another class, and shows the model card as text', async () => {
    const labels = await page
      .locator('#heatmap-label option')
      .evaluateAll((options) => options.map((o) => (o as unknown as { value: string }).value));
    const other = labels.find((label) => label !== 'normal') ?? labels[0];
    await page.selectOption('#heatmap-label', other);
    await waitForPrediction();
    await expect
      .poll(() => page.textContent('.heatmap-controls'))
      .toContain(`) for ${other}: where the model found evidence for ${other}`);
    const hasCard = (await page.locator('[data-testid="model-card-button"]').count()) > 0;
    if (hasCard) {
      await page.click('[data-testid="model-card-button"]');
      await expect.poll(() => page.isVisible('.model-card')).toBe(true);
      await expect
        .poll(async () => ((await page.textContent('.model-card')) ?? '').length)
        .toBeGreaterThan(50);
      await shot('11-model-card');
      await page.keyboard.press('Escape');
    }
  });
});

describe.skipIf(!modelAvailable)('batch screening', () => {
  it('screens a folder, shows a triage-sorted table, filters, and opens a clicked row', async () => {
    const folder = join(work, 'batch');
    mkdirSync(folder);
    for (const file of [
      DX_MONO2,
      CR_MONO1,
      TRUNCATED,
      join(dicomDir, 'siim_cxr_cr_mono2_8bit_explicit_le.dcm'),
    ]) {
      copyFileSync(file, join(folder, file.split('/').pop() as string));
    }
    const jpegs = readdirSync(join(dataDir, 'cxr', 'images')).slice(0, 2);
    for (const name of jpegs)
      copyFileSync(join(dataDir, 'cxr', 'images', name), join(folder, name));

    await page.keyboard.press('s');
    await page.waitForSelector('.screening-view:not([hidden])');
    app.harness.setNextPick([folder]);
    await page.getByRole('button', { name: 'Add folder…' }).click();
    await expect
      .poll(() => page.textContent('[data-testid="screening-folders"]'))
      .toContain('batch');
    await page.getByRole('button', { name: 'Start screening' }).click();
    await page.waitForSelector('.screening-view[data-state="finished"]', { timeout: 90_000 });
    await expect
      .poll(() => page.locator('[data-testid="screening-row"]').count(), { timeout: 10_000 })
      .toBe(6);
    expect(await page.textContent('[data-testid="screening-progress-text"]')).toMatch(/6 of 6/);

    const covidColumn = async (): Promise<(number | null)[]> =>
      page
        .locator('[data-testid="screening-row"]')
        .evaluateAll((rows) =>
          rows.map((row) =>
            (row as unknown as PageElement).dataset.covid
              ? Number((row as unknown as PageElement).dataset.covid)
              : null,
          ),
        );
    const triage = await covidColumn();
    // Triage order (src/shared/triage-order.ts): films that need a look, then confident calls of
    // another class, each by P(COVID-19) descending (e2e/verdict.e2e.test.ts checks the groups).
    const confidentOther = await page
      .locator('[data-testid="screening-row"] [data-testid="verdict-cell"]')
      .evaluateAll((cells) =>
        cells.map((cell) => {
          const c = cell as unknown as PageElement & { textContent: string | null };
          return c.dataset.kind === 'call' && c.textContent !== 'Call: COVID-19';
        }),
      );
    for (const group of [false, true]) {
      const scored = triage.filter(
        (p, i): p is number => p !== null && confidentOther[i] === group,
      );
      expect(scored).toEqual([...scored].sort((a, b) => b - a));
    }
    expect(triage[triage.length - 1]).toBeNull(); // the unreadable file, last
    await shot('06-screening-triage');

    await page.click('[data-testid="sort-covid"]');
    const ascending = (await covidColumn()).filter((p): p is number => p !== null);
    expect(ascending).toEqual([...ascending].sort((a, b) => a - b));
    await page.click('[data-testid="sort-covid"]');

    await page.selectOption('[data-testid="screening-filter"]', 'errors');
    await expect.poll(() => page.locator('[data-testid="screening-row"]').count()).toBe(1);
    expect(await page.textContent('[data-testid="screening-row"]')).toMatch(/incomplete/);
    await page.selectOption('[data-testid="screening-filter"]', 'all');

    const csvPath = join(work, 'triage.csv');
    app.harness.setNextSavePath(csvPath);
    await page.getByRole('button', { name: 'Export CSV…' }).click();
    // Poll the content, not only the file's existence: it can exist before it is written.
    await expect
      .poll(
        () =>
          existsSync(csvPath)
            ? readFileSync(csvPath, 'utf8').split(/\r?\n/).filter(Boolean).length
            : 0,
        { timeout: 10_000 },
      )
      .toBeGreaterThanOrEqual(7);
    await expect.poll(() => page.textContent('.screening-message')).toContain('Saved to');

    const firstRow = page.locator('[data-testid="screening-row"].openable').first();
    const rowImageId = await firstRow.getAttribute('data-image-id');
    expect(rowImageId).toBeTruthy();
    await afterRender(() => firstRow.click());
    await page.waitForSelector('.workspace:not([hidden])');
    expect((await viewState()).imageId).toBe(rowImageId);
    await snapshot('from-row');
    expect((await stats('from-row')).std).toBeGreaterThan(20);
    await shot('07-row-opened');
  });
  it('cancels a running batch and resumes it from the list of earlier batches', async () => {
    const folder = join(work, 'resume');
    mkdirSync(folder);
    const names = readdirSync(join(dataDir, 'cxr', 'images')).slice(10, 50);
    for (const name of names)
      copyFileSync(join(dataDir, 'cxr', 'images', name), join(folder, name));

    await page.keyboard.press('s');
    await page.getByRole('button', { name: 'Clear', exact: true }).click();
    app.harness.setNextPick([folder]);
    await page.getByRole('button', { name: 'Add folder…' }).click();
    await expect
      .poll(() => page.textContent('[data-testid="screening-folders"]'))
      .toContain('resume');
    await page.getByRole('button', { name: 'Start screening' }).click();
    await page.waitForFunction(() => {
      const text = document.querySelector('[data-testid="screening-progress-text"]');
      return /^[1-9]\d* of 40/.test(
        (text as unknown as { textContent: string } | null)?.textContent ?? '',
      );
    });
    await page.getByRole('button', { name: 'Cancel', exact: true }).click();
    await page.waitForSelector('.screening-view[data-state="cancelled"]', { timeout: 60_000 });
    const resume = page
      .locator('.job-list li', { hasText: 'resume' })
      .getByRole('button', { name: 'Resume' });
    await expect.poll(() => resume.count(), { timeout: 10_000 }).toBe(1);
    await resume.click();
    await page.waitForSelector('.screening-view[data-state="finished"]', { timeout: 90_000 });
    expect(await page.textContent('[data-testid="screening-progress-text"]')).toMatch(
      /40 of 40.*carried over/,
    );
    await expect.poll(() => page.locator('[data-testid="screening-row"]').count()).toBe(40);
    await shot('10-screening-resumed');
  });
});
