/** Shared e2e step: add a file through the open dialog (once), show it, wait for the model's answer. */
import { basename } from 'node:path';
import type { Page } from 'playwright-core';
import { expect } from 'vitest';
import type { LaunchedWorkstation } from './launch';

const VIEWPORT = '.viewport-element';

/** Returns the shown image's id; throws when the prediction panel ends in an error. */
export async function openAndAnalyse(
  app: LaunchedWorkstation,
  page: Page,
  path: string,
  timeoutMs = 120_000,
): Promise<string> {
  const entry = page.locator(`[data-testid="study-image"][title*="${basename(path)}"]`);
  if ((await entry.count()) === 0) {
    app.harness.setNextPick([path]);
    await page.keyboard.press('Control+o');
    await expect.poll(() => entry.count(), { timeout: 30_000 }).toBeGreaterThan(0);
  }
  const id = (await entry.first().getAttribute('data-image-id')) as string;
  await entry.first().click();
  await expect
    .poll(() => page.getAttribute(VIEWPORT, 'data-image-id'), { timeout: 30_000 })
    .toBe(id);
  await page.waitForSelector(
    '.prediction-panel[data-state="done"], .prediction-panel[data-state="error"]',
    { timeout: timeoutMs },
  );
  if ((await page.getAttribute('.prediction-panel', 'data-state')) === 'error') {
    throw new Error(`prediction failed: ${await page.textContent('.prediction-panel')}`);
  }
  return id;
}
