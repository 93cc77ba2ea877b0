/**
 * The chest gate and the lung outline in the UI, end to end: the built renderer in Chromium over
 * the real handlers. A CT is turned away by the header check (every model runs it) and the panel
 * says so in plain words while the viewer keeps showing it; with a model that has a lung
 * segmenter, L toggles the lung outline, drawn on the segmenter's cell boundaries through zoom.
 *
 * Model: E2E_MODEL_DIR, or the default one. The outline test skips (and says why) when the model
 * names no segmenter.
 */
import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ModelInfo } from '../src/shared/prediction';
import type { LungOutlineGrid } from '../src/shared/analysis';
import { listModelFolders } from '../src/main/resources';
import { lungOutlineSegments, type OutlineSegment } from '../src/shared/lung-outline';
import { launchWorkstation, type LaunchedWorkstation } from './harness';
import { openAndAnalyse as openAndAnalyseIn } from './harness/open-and-analyse';
import type { PageDocument, PageImageData, PageWindow } from './harness/page-dom';

declare const document: PageDocument;
declare const window: PageWindow;

const repoRoot = resolve(__dirname, '..');
const dicomDir = resolve(repoRoot, '../shared/data/dicom');
const artifacts = join(repoRoot, 'e2e', 'artifacts');
const CT = join(dicomDir, 'ct_small_explicit_le.dcm');
const CHEST = join(dicomDir, 'nih_cxr_dx_mono2_8bit_explicit_le.dcm');
const modelDir = process.env['E2E_MODEL_DIR'] || undefined;
const modelAvailable = modelDir !== undefined || listModelFolders().length > 0;
if (!modelAvailable) console.warn('lung-gate e2e: no model (resources/models or E2E_MODEL_DIR)');

const VIEWPORT = '.viewport-element';
let app: LaunchedWorkstation;
let page: Page;
let model: ModelInfo | null = null;

beforeAll(async () => {
  mkdirSync(artifacts, { recursive: true });
  app = await launchWorkstation({ modelDir });
  page = app.page;
  await page.setViewportSize({ width: 1440, height: 900 });
  await page.waitForSelector(VIEWPORT);
  const info = await page.evaluate(() => window.api.invoke('app:getInfo', {}));
  model = info.ok ? info.value.model : null;
});

afterAll(async () => {
  await app?.close();
});

const openAndAnalyse = (path: string): Promise<string> => openAndAnalyseIn(app, page, path, 90_000);

/** Runs `action` and waits for the viewport's next paint. */
async function afterRender(action: () => Promise<unknown>): Promise<void> {
  await page.evaluate((selector) => {
    const w = window as unknown as { nextRender?: Promise<void> };
    w.nextRender = new Promise((done) =>
      document
        .querySelector(selector)
        ?.addEventListener('cornerstoneimagerendered', () => done(), { once: true }),
    );
  }, VIEWPORT);
  await action();
  await page.evaluate(() => (window as unknown as { nextRender?: Promise<void> }).nextRender);
}

/** Canvas pixels now, kept in the page under `name`. */
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

async function viewport(): Promise<{
  scale: number;
  tx: number;
  ty: number;
  columns: number;
  rows: number;
  width: number;
  height: number;
}> {
  return page.evaluate((selector) => {
    const element = document.querySelector(selector);
    const canvas = element?.querySelector('canvas');
    if (!element || !canvas) throw new Error('no viewport');
    const d = element.dataset;
    return {
      scale: Number(d.scale),
      tx: Number(d.translationX),
      ty: Number(d.translationY),
      columns: Number(d.columns),
      rows: Number(d.rows),
      width: canvas.width,
      height: canvas.height,
    };
  }, VIEWPORT);
}

/**
 * Where switching the outline on changed the canvas, against where the traced cell boundaries
 * land on it: the share of changed pixels within 3 canvas px of a boundary segment, and of
 * boundary sample points that have a changed pixel within 3 px (both near 1 when registered).
 */
async function outlineRegistration(
  on: string,
  off: string,
  segments: OutlineSegment[],
): Promise<{ changed: number; nearBoundary: number; boundaryCovered: number }> {
  const v = await viewport();
  const toCanvas = (x: number, y: number): [number, number] => [
    v.width / 2 + (x - v.columns / 2 + v.tx) * v.scale,
    v.height / 2 + (y - v.rows / 2 + v.ty) * v.scale,
  ];
  const mapped = segments.map((s) => [...toCanvas(s.x0, s.y0), ...toCanvas(s.x1, s.y1)]);
  return page.evaluate(
    ({ on, off, mapped }) => {
      const s = (window as unknown as { snapshots: Record<string, PageImageData> }).snapshots;
      const A = s[on];
      const B = s[off];
      const changedAt = new Uint8Array(A.width * A.height);
      const changedPixels: [number, number][] = [];
      for (let i = 0; i < changedAt.length; i++) {
        const d =
          Math.abs(A.data[i * 4] - B.data[i * 4]) +
          Math.abs(A.data[i * 4 + 1] - B.data[i * 4 + 1]) +
          Math.abs(A.data[i * 4 + 2] - B.data[i * 4 + 2]);
        if (d > 30) {
          changedAt[i] = 1;
          changedPixels.push([i % A.width, Math.floor(i / A.width)]);
        }
      }
      const distance = (px: number, py: number, [x0, y0, x1, y1]: number[]): number => {
        const dx = x1 - x0;
        const dy = y1 - y0;
        const t = Math.max(0, Math.min(1, ((px - x0) * dx + (py - y0) * dy) / (dx * dx + dy * dy)));
        return Math.hypot(px - (x0 + t * dx), py - (y0 + t * dy));
      };
      const near = changedPixels.filter(([x, y]) => mapped.some((m) => distance(x, y, m) <= 3));
      // Sample the boundary every 4 canvas px (only where it is on the canvas).
      let samples = 0;
      let covered = 0;
      for (const [x0, y0, x1, y1] of mapped) {
        const steps = Math.max(1, Math.floor(Math.hypot(x1 - x0, y1 - y0) / 4));
        for (let k = 0; k <= steps; k++) {
          const x = Math.round(x0 + ((x1 - x0) * k) / steps);
          const y = Math.round(y0 + ((y1 - y0) * k) / steps);
          if (x < 3 || y < 3 || x >= A.width - 3 || y >= A.height - 3) continue;
          samples++;
          let hit = false;
          for (let yy = y - 3; yy <= y + 3 && !hit; yy++)
            for (let xx = x - 3; xx <= x + 3 && !hit; xx++)
              hit = changedAt[yy * A.width + xx] === 1;
          if (hit) covered++;
        }
      }
      return {
        changed: changedPixels.length,
        nearBoundary: changedPixels.length ? near.length / changedPixels.length : 0,
        boundaryCovered: samples ? covered / samples : 0,
      };
    },
    { on, off, mapped },
  );
}

describe.skipIf(!modelAvailable)('chest gate and lung outline in the UI', () => {
  it('says in plain words that a CT was not scored, with the reason, and keeps showing it', async () => {
    await openAndAnalyse(CT);
    const panel = page.locator('.prediction-panel');
    expect(await panel.getAttribute('data-result')).toBe('rejected');
    const text = (await page.textContent('[data-testid="rejected-film"]')) ?? '';
    expect(text).toMatch(/not scored/i);
    expect(text).toMatch(/not a frontal chest X-ray/i);
    expect(text).toMatch(/You can still view it/);
    expect(text).toMatch(/Reason \(from the DICOM header\): .*CT/);
    console.log('rejected-film panel:', text);
    // No scores, no heatmap; the image is still on screen and can be windowed.
    expect(await page.locator('[data-testid="probability"]').count()).toBe(0);
    expect(await page.getAttribute(VIEWPORT, 'data-heatmap-visible')).toBe('false');
    await snapshot('ct-before');
    await afterRender(() => page.keyboard.press('4'));
    await snapshot('ct-bone');
    const changed = await outlineRegistration('ct-bone', 'ct-before', []);
    expect(changed.changed).toBeGreaterThan(1000);
    expect(await page.isVisible('[data-testid="research-notice"]')).toBe(true);
    await page.screenshot({ path: join(artifacts, 'lung-gate-01-rejected-ct.png') });
  });

  it('toggles the lung outline with L on a chest film, registered to the lung cells through zoom', async (context) => {
    if (!model?.segmenter) {
      context.skip(
        `the loaded model (${model?.id ?? 'none'}) has no lung segmenter, so there is no outline to draw; set E2E_MODEL_DIR to a lung-crop model`,
      );
    }
    const imageId = await openAndAnalyse(CHEST);
    expect(await page.getAttribute('.prediction-panel', 'data-result')).toBe('scored');
    const lungs = await page.evaluate(async (imageId) => {
      const result = await window.api.invoke('model:predict', {
        imageId,
        frame: 0,
        heatmap: false,
      });
      if (!result.ok || !result.value.lungs) throw new Error('no lungs in the result');
      return { ...result.value.lungs, cells: Array.from(result.value.lungs.cells) };
    }, imageId);
    const grid: LungOutlineGrid = { ...lungs, cells: Uint8Array.from(lungs.cells) };
    const segments = lungOutlineSegments(grid);
    expect(segments.length).toBeGreaterThan(4);
    expect(await page.textContent('.prediction-panel')).toMatch(/lungs \d+/);
    // On by default for a result with lungs; heatmap off so only the outline differs.
    await expect.poll(() => page.getAttribute(VIEWPORT, 'data-lungs-visible')).toBe('true');
    expect(await page.isChecked('[data-testid="lungs-toggle"]')).toBe(true);
    if ((await page.getAttribute(VIEWPORT, 'data-heatmap-visible')) === 'true') {
      await afterRender(() => page.keyboard.press('h'));
    }
    await afterRender(() => page.keyboard.press('f'));

    for (const tag of ['fit', 'zoomed']) {
      await snapshot(`${tag}-on`);
      await page.screenshot({ path: join(artifacts, `lung-gate-02-outline-${tag}.png`) });
      await afterRender(() => page.keyboard.press('l'));
      expect(await page.getAttribute(VIEWPORT, 'data-lungs-visible')).toBe('false');
      expect(await page.isChecked('[data-testid="lungs-toggle"]')).toBe(false);
      await snapshot(`${tag}-off`);
      const registration = await outlineRegistration(`${tag}-on`, `${tag}-off`, segments);
      console.log(`lung outline registration (${tag}):`, JSON.stringify(registration));
      expect(registration.changed).toBeGreaterThan(200);
      expect(registration.nearBoundary).toBeGreaterThan(0.95);
      expect(registration.boundaryCovered).toBeGreaterThan(0.9);
      // Control: the same outline two cells to the right matches the drawing far worse.
      const shift = (2 * grid.imageWidth) / grid.gridWidth;
      const shifted = segments.map((s) => ({ ...s, x0: s.x0 + shift, x1: s.x1 + shift }));
      const control = await outlineRegistration(`${tag}-on`, `${tag}-off`, shifted);
      expect(control.nearBoundary).toBeLessThan(registration.nearBoundary - 0.3);
      await afterRender(() => page.keyboard.press('l'));
      expect(await page.getAttribute(VIEWPORT, 'data-lungs-visible')).toBe('true');
      // Zoom in twice and pan a little for the second round.
      await afterRender(() => page.keyboard.press('+'));
      await afterRender(() => page.keyboard.press('+'));
      const box = await page.locator(VIEWPORT).boundingBox();
      if (!box) throw new Error('no viewport box');
      await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
      await page.keyboard.down('Shift');
      await page.mouse.down();
      await afterRender(() =>
        page.mouse.move(box.x + box.width / 2 + 40, box.y + box.height / 2 + 25),
      );
      await page.mouse.up();
      await page.keyboard.up('Shift');
    }
  });

  it('lists L in the shortcut help and names the segmenter in the model panel', async () => {
    await page.keyboard.press('?');
    const help = (await page.textContent('[data-testid="help"]')) ?? '';
    expect(help).toMatch(/L\s*Show or hide the lung outline/);
    await page.keyboard.press('Escape');
    const modelText = (await page.textContent('[data-testid="model-info"]')) ?? '';
    if (model?.segmenter) {
      expect(modelText).toContain(`${model.segmenter.name} ${model.segmenter.version}`);
      if (model.segmenter.hasModelCard) {
        await page.click('[data-testid="segmenter-card-button"]');
        await expect
          .poll(() => page.textContent('.model-card'), { timeout: 10_000 })
          .toMatch(/Dice/i);
        await page.keyboard.press('Escape');
      }
    } else {
      expect(modelText).not.toContain('Lung segmenter');
    }
  });
});
