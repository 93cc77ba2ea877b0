/**
 * Launches the real Electron app (built main + preload + renderer) with Playwright's _electron,
 * when an Electron binary is installed. Here it usually is not: Electron 42+ downloads its binary
 * on first use and downloads are blocked, so the suite is skipped with that reason.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { _electron as electron } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { ensureBuiltRenderer } from './harness';

const repoRoot = resolve(__dirname, '..');

/** Path of the Electron executable if one is installed, else null. */
function electronBinary(): string | null {
  const packageDir = join(repoRoot, 'node_modules', 'electron');
  const pathFile = join(packageDir, 'path.txt');
  if (!existsSync(pathFile)) return null;
  const binary = join(packageDir, 'dist', readFileSync(pathFile, 'utf8').trim());
  return existsSync(binary) ? binary : null;
}

const binary = electronBinary();
if (binary === null) {
  console.warn(
    'electron-app e2e: no Electron binary is installed (its download is blocked here), so the ' +
      'real-app tests (window + preload, opening the launched-with file) are skipped',
  );
}

describe.skipIf(binary === null)(
  'real Electron app (skipped when no Electron binary is installed: its download is blocked here)',
  () => {
    it('opens the window and answers app:getInfo through the preload', async () => {
      ensureBuiltRenderer();
      const app = await electron.launch({
        executablePath: binary as string,
        args: [join(repoRoot, 'out', 'main', 'index.js')],
        cwd: dirname(join(repoRoot, 'out')),
      });
      try {
        const page = await app.firstWindow();
        const info = (await page.evaluate(`window.api.invoke('app:getInfo', {})`)) as {
          ok: boolean;
        };
        expect(info.ok).toBe(true);
        const invalid = await page.evaluate(
          `window.api.invoke('image:load', { imageId: '', frame: -1 })`,
        );
        expect(invalid).toMatchObject({ ok: false, error: { code: 'INVALID_REQUEST' } });
        expect(await page.evaluate('typeof require')).toBe('undefined');
      } finally {
        await app.close();
      }
    });

    it('opens the file it is launched with (argv), as a double-clicked .dcm starts it', async () => {
      ensureBuiltRenderer();
      const film = resolve(
        repoRoot,
        '../shared/data/dicom/siim_cxr_cr_mono2_8bit_jpegbaseline.dcm',
      );
      const app = await electron.launch({
        executablePath: binary as string,
        args: [join(repoRoot, 'out', 'main', 'index.js'), film],
        cwd: dirname(join(repoRoot, 'out')),
      });
      try {
        const page = await app.firstWindow();
        const entry = page.locator('[data-testid="study-image"][title*="siim_cxr_cr_mono2"]');
        await expect.poll(() => entry.count(), { timeout: 30_000 }).toBeGreaterThan(0);
        const id = await entry.first().getAttribute('data-image-id');
        await expect
          .poll(() => page.getAttribute('.viewport-element', 'data-image-id'), { timeout: 30_000 })
          .toBe(id);
      } finally {
        await app.close();
      }
    });
  },
);
