import { writeFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { PNG } from 'pngjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RESEARCH_NOTICE } from '../src/shared/notice';
import { launchWorkstation, type LaunchedWorkstation } from './harness';

const dicomDir = resolve(__dirname, '../../shared/data/dicom');
const work = mkdtempSync(join(tmpdir(), 'harness-e2e-'));
let app: LaunchedWorkstation;

beforeAll(async () => {
  app = await launchWorkstation();
});
afterAll(async () => {
  await app?.close();
  rmSync(work, { recursive: true, force: true });
});

/** Runs `window.api.invoke` in the page and returns what the page saw (JSON-safe summary). */
function invokeInPage(channel: string, request: unknown): Promise<unknown> {
  return app.page.evaluate(
    `window.api.invoke(${JSON.stringify(channel)}, ${JSON.stringify(request)})`,
  );
}

describe('e2e harness', () => {
  it('serves the built renderer with the CSP and installs window.api', async () => {
    const response = await app.page.request.get(`${app.origin}/index.html`);
    expect(response.headers()['content-security-policy']).toMatch(/default-src 'self'/);
    const keys = await app.page.evaluate('Object.keys(window.api).sort()');
    expect(keys).toEqual(['invoke', 'on', 'pathsForDroppedFiles']);
  });

  it('answers app:getInfo from the real handlers', async () => {
    const result = (await invokeInPage('app:getInfo', {})) as {
      ok: boolean;
      value: { researchNotice: string; model: unknown; modelError: { code: string } | null };
    };
    expect(result.ok).toBe(true);
    expect(result.value.researchNotice).toBe(RESEARCH_NOTICE);
    // Either the bundled model loaded, or the reply says in a code why not.
    expect(result.value.model !== null || result.value.modelError?.code !== undefined).toBe(true);
  });

  it('rejects invalid requests and unknown channels with INVALID_REQUEST', async () => {
    expect(await invokeInPage('image:load', { imageId: '../etc/passwd', frame: 0 })).toMatchObject({
      ok: false,
      error: { code: 'INVALID_REQUEST' },
    });
    expect(await invokeInPage('shell:openExternal', { url: 'https://example.com' })).toMatchObject({
      ok: false,
      error: { code: 'INVALID_REQUEST' },
    });
  });

  it('opens picked files and delivers typed arrays to the page as typed arrays', async () => {
    const png = new PNG({ width: 8, height: 4 });
    png.data.fill(200);
    const pngPath = join(work, 'flat.png');
    writeFileSync(pngPath, PNG.sync.write(png));
    app.harness.setNextPick([join(dicomDir, 'mr_small_rle.dcm'), pngPath]);
    const seen = await app.page.evaluate(`(async () => {
      const opened = await window.api.invoke('library:open', { kind: 'files' });
      const images = opened.value.patients.flatMap((p) => p.studies.flatMap((s) => s.series.flatMap((x) => x.images)));
      const mr = images.find((i) => i.sourceKind === 'dicom');
      const loaded = await window.api.invoke('image:load', { imageId: mr.imageId, frame: 0 });
      const thumb = await window.api.invoke('image:thumbnail', { imageId: mr.imageId, maxSize: 32 });
      return {
        count: images.length,
        pixels: loaded.value.frame.modalityPixels.constructor.name,
        pixelCount: loaded.value.frame.modalityPixels.length,
        rows: loaded.value.frame.rows,
        thumb: [thumb.value.gray.constructor.name, thumb.value.width, thumb.value.gray.length],
      };
    })()`);
    expect(seen).toEqual({
      count: 2,
      pixels: 'Float32Array',
      pixelCount: 64 * 64,
      rows: 64,
      thumb: ['Uint8Array', 32, 32 * 32],
    });
  });

  it('pushes main-side events to listeners in the page', async () => {
    await app.page.evaluate(`(() => {
      window.__menuCommands = [];
      window.api.on('app:menuCommand', (payload) => window.__menuCommands.push(payload.command));
    })()`);
    app.harness.emit('app:menuCommand', { command: 'open-folder' });
    await app.page.waitForFunction('window.__menuCommands.length === 1');
    expect(await app.page.evaluate('window.__menuCommands')).toEqual(['open-folder']);
  });

  it('keeps the page offline', async () => {
    const outcome = await app.page.evaluate(
      `fetch('https://example.com/').then(() => 'reached', (error) => 'blocked: ' + error.name)`,
    );
    expect(outcome).toMatch(/^blocked/);
  });
});
