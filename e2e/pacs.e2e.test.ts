/**
 * The PACS tab end to end: the built renderer in Chromium over the real handlers, a real Orthanc
 * started here. The user starts the receiver (Inbox tab), enters and tests a PACS connection,
 * searches, retrieves a study (it appears in the study list and opens in the viewer), sends its
 * result and sees "Sent"; Orthanc then holds the SR in that study.
 * Screenshots go to e2e/artifacts/pacs-*.png.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HAVE_DCMTK } from '../src/main/platform/dicom-network/testing/test-support';
import { freePort, startOrthanc, type Orthanc } from '../src/main/features/pacs/testing/orthanc';
import { makeTestStudies, type TestStudy } from '../src/main/features/pacs/testing/test-studies';
import { listModelFolders } from '../src/main/base/resources';
import { launchWorkstation, type LaunchedWorkstation } from './harness';

const repoRoot = resolve(__dirname, '..');
const artifacts = join(repoRoot, 'e2e', 'artifacts');
const modelDir = process.env['E2E_MODEL_DIR'] || undefined;
const modelAvailable = modelDir !== undefined || listModelFolders().length > 0;

interface OrthancSeries {
  MainDicomTags: { Modality: string };
  Instances: string[];
}

describe.skipIf(!modelAvailable || !HAVE_DCMTK)('PACS query/retrieve/send', () => {
  const work = mkdtempSync(join(tmpdir(), 'pacs-e2e-'));
  let orthanc: Orthanc;
  let studies: TestStudy[];
  let receiverPort: number;
  let app: LaunchedWorkstation;
  let page: Page;

  beforeAll(async () => {
    mkdirSync(artifacts, { recursive: true });
    studies = await makeTestStudies(join(work, 'studies'), 3, 'E2E');
    receiverPort = await freePort();
    orthanc = await startOrthanc({
      modalities: { workstation: ['COVIDNET', '127.0.0.1', receiverPort] },
    });
    for (const study of studies) await orthanc.upload(readFileSync(study.path));
    // The store in its own folder: the inbox and the PACS settings go beside it.
    app = await launchWorkstation({ modelDir, storeDir: join(work, 'app', 'store') });
    page = app.page;
    await page.setViewportSize({ width: 1440, height: 900 });
    await app.harness.workstation.modelReady;
  });

  afterAll(async () => {
    await app?.close();
    await orthanc?.stop();
    rmSync(work, { recursive: true, force: true });
  });

  it('query, retrieve, see the study, send the result, status shown', async () => {
    // The receiver the PACS sends to (Inbox tab), open to the PACS's AE only.
    await page.click('button.tab:has-text("Inbox")');
    await page.fill('[aria-label="Port"]', String(receiverPort));
    await page.fill('[aria-label="AE title"]', 'COVIDNET');
    await page.fill('[aria-label="Allowed calling AE titles"]', 'ORTHANC');
    await page.click('text=Start receiver');
    await expect.poll(() => page.textContent('.inbox-status')).toMatch(/Receiving as COVIDNET/);

    // A connection, validated, saved and tested.
    await page.click('button.tab:has-text("PACS")');
    await page.fill('[data-testid="pacs-name"]', 'Test Orthanc');
    await page.fill('[data-testid="pacs-ae"]', 'ORTHANC');
    await page.fill('[data-testid="pacs-host"]', 'pacs.example.org');
    await page.fill('[data-testid="pacs-port"]', String(orthanc.dicomPort));
    await page.click('[data-testid="pacs-save"]');
    await expect
      .poll(() => page.textContent('[data-testid="pacs-connection-status"]'))
      .toMatch(/IP address/);
    await page.fill('[data-testid="pacs-host"]', '127.0.0.1');
    await page.click('[data-testid="pacs-save"]');
    await expect
      .poll(() => page.textContent('[data-testid="pacs-connection-status"]'))
      .toMatch(/Saved Test Orthanc/);
    await page.click('[data-testid="pacs-test"]');
    await expect
      .poll(() => page.textContent('[data-testid="pacs-connection-status"]'), { timeout: 20_000 })
      .toMatch(/answered \(C-ECHO\)/);

    // Query: all three, then by patient ID.
    await page.click('[data-testid="pacs-search"]');
    await expect.poll(() => page.locator('[data-testid="pacs-studies"] tr').count()).toBe(3);
    const target = studies[1];
    await page.fill('[data-testid="pacs-q-id"]', target.patientId);
    await page.click('[data-testid="pacs-search"]');
    await expect.poll(() => page.locator('[data-testid="pacs-studies"] tr').count()).toBe(1);
    await page.screenshot({ path: join(artifacts, 'pacs-01-query.png') });

    // Retrieve it: progress, then "Retrieved".
    await page.check('[data-testid="pacs-studies"] tr input[type="checkbox"]');
    await page.click('[data-testid="pacs-retrieve"]');
    await expect
      .poll(() => page.textContent('[data-testid="pacs-retrieve-status"]'), { timeout: 60_000 })
      .toMatch(/^Retrieved 1\/1 studies, 1 images/);
    await page.screenshot({ path: join(artifacts, 'pacs-02-retrieved.png') });

    // It is in the study list, and opens in the viewer.
    await page.click('button.tab:has-text("Viewer")');
    const patient = target.patientName.replace('^', ' ');
    await expect
      .poll(() => page.textContent('[data-testid="study-tree"]'), { timeout: 30_000 })
      .toContain(target.patientId);
    await page.click('[data-testid="study-image"]');
    await page.waitForSelector('.prediction-panel[data-state="done"]', { timeout: 120_000 });
    await page.screenshot({ path: join(artifacts, 'pacs-03-viewer.png') });

    // Send its result back; the status says Sent.
    await page.click('button.tab:has-text("PACS")');
    await page.click('text=Send results of retrieved studies');
    await expect
      .poll(() => page.textContent('[data-testid="pacs-send-status"]'), { timeout: 180_000 })
      .toMatch(/^1 of 1 results sent to Test Orthanc/);
    await expect.poll(() => page.textContent('[data-testid="pacs-outbox"]')).toMatch(/Sent/);
    expect(await page.textContent('[data-testid="pacs-outbox"]')).toContain(patient);
    await page.screenshot({ path: join(artifacts, 'pacs-04-sent.png') });

    // Orthanc holds one SR in that study.
    const [found] = await orthanc.rest<{ ID: string }[]>(
      'POST',
      '/tools/lookup',
      target.studyInstanceUid,
    );
    const series = await orthanc.rest<OrthancSeries[]>('GET', `/studies/${found.ID}/series`);
    expect(series.filter((s) => s.MainDicomTags.Modality === 'SR')).toHaveLength(1);
  }, 480_000);
});
