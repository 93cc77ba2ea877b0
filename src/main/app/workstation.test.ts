import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { IpcEvents } from '../../shared/ipc/contract';
import type { ScreeningProgress } from '../../shared/screening';
import { testModelDir } from '../inference/test-support';
import { createDirectTransport } from '../ipc/direct-transport';
import { registerIpcHandlers } from '../ipc/register';
import type { Platform } from './platform';
import { RESEARCH_NOTICE } from '../../shared/notice';
import { createWorkstation } from './workstation';

const dicomDir = resolve(__dirname, '../../../../shared/data/dicom');
const work = mkdtempSync(join(tmpdir(), 'workstation-test-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

/** Scripted dialogs; emitted events recorded. */
function scriptedPlatform() {
  const picks: (string[] | null)[] = [];
  const saves: (string | null)[] = [];
  const events: { event: keyof IpcEvents; payload: unknown }[] = [];
  const platform: Platform = {
    appVersion: '9.9.9',
    platform: 'test',
    pickFiles: async () => picks.shift() ?? null,
    pickFolder: async () => picks.shift()?.[0] ?? null,
    pickSavePath: async () => saves.shift() ?? null,
    emit: (event, payload) => events.push({ event, payload }),
  };
  return { platform, picks, saves, events };
}

function start(modelDir?: string) {
  const scripted = scriptedPlatform();
  const storeDir = mkdtempSync(join(work, 'store-'));
  const workstation = createWorkstation(scripted.platform, {
    storeDir,
    modelDir,
    intraOpThreads: 1,
  });
  const transport = createDirectTransport();
  registerIpcHandlers(transport, workstation.handlers);
  return { ...scripted, workstation, transport };
}

/** The bundled model (or COVIDNET_TEST_MODEL_DIR), if there is one. */
function availableModelDir(): string | null {
  try {
    const dir = testModelDir();
    return existsSync(join(dir, 'model.json')) ? dir : null;
  } catch {
    return null;
  }
}
const modelDir = availableModelDir();

describe('workstation without a model', () => {
  const app = start(join(work, 'no-model-here'));
  afterAll(() => app.workstation.dispose());

  it('still starts: app:getInfo carries the coded model error and the research notice', async () => {
    const result = await app.transport.invoke('app:getInfo', {});
    expect(result).toMatchObject({
      ok: true,
      value: {
        appVersion: '9.9.9',
        platform: 'test',
        researchNotice: RESEARCH_NOTICE,
        model: null,
      },
    });
    if (!result.ok) return;
    const info = result.value as { modelError: { code: string } | null };
    expect(info.modelError?.code).toMatch(/^MODEL_/);
  });

  it('answers model and screening channels with that coded error', async () => {
    for (const [channel, request] of [
      ['model:getInfo', {}],
      ['model:getCard', {}],
      ['model:getSegmenterCard', {}],
      ['screening:listJobs', {}],
    ] as const) {
      const result = await app.transport.invoke(channel, request);
      expect(result.ok).toBe(false);
      if (!result.ok) expect(result.error.code).toMatch(/^MODEL_/);
    }
  });

  it('opens what the user picks, and nothing when the dialog is cancelled', async () => {
    app.picks.push(null);
    expect(await app.transport.invoke('library:open', { kind: 'files' })).toEqual({
      ok: true,
      value: { patients: [], problems: [] },
    });
    app.picks.push([join(dicomDir, 'dicomdir_set')]);
    const opened = await app.transport.invoke('library:open', { kind: 'folder' });
    expect(opened.ok && opened.value.patients.map((p) => p.patientId)).toEqual([
      '77654033',
      '98890234',
    ]);
    const listed = await app.transport.invoke('library:list', {});
    expect(listed).toEqual(opened);
  });

  it('takes dropped paths only when absolute', async () => {
    const relative = await app.transport.invoke('library:addDropped', {
      paths: ['some/relative.dcm'],
    });
    expect(relative).toMatchObject({ ok: false, error: { code: 'INVALID_REQUEST' } });
    const dropped = await app.transport.invoke('library:addDropped', {
      paths: [join(dicomDir, 'odd_mr_truncated.dcm')],
    });
    expect(dropped.ok && dropped.value.problems.map((p) => p.error.code)).toContain('TRUNCATED');
  });

  it('gives picked screening folders opaque ids and refuses ids it never gave', async () => {
    app.picks.push([dicomDir]);
    const picked = await app.transport.invoke('screening:pickFolder', {});
    expect(picked).toMatchObject({ ok: true, value: { displayPath: dicomDir } });
    expect(picked.ok && picked.value?.folderId).toMatch(/^[0-9a-f]{32}$/);
    app.picks.push(null);
    expect(await app.transport.invoke('screening:pickFolder', {})).toEqual({
      ok: true,
      value: null,
    });
    const unknown = await app.transport.invoke('screening:start', { folderIds: ['abcdef'] });
    expect(unknown).toMatchObject({ ok: false, error: { code: 'INVALID_REQUEST' } });
  });
});

describe.skipIf(modelDir === null)(
  'workstation with the bundled model (skipped while resources/models has none)',
  () => {
    it('predicts, screens a folder with progress events, opens result rows and exports', async () => {
      const app = start(modelDir as string);
      try {
        const info = await app.transport.invoke('app:getInfo', {});
        expect(info.ok && info.value.modelError).toBeNull();
        expect(info.ok && info.value.model?.labels).toContain('COVID-19');
        const segmenter = info.ok ? info.value.model?.segmenter : undefined;
        const segmenterCard = await app.transport.invoke('model:getSegmenterCard', {});
        if (segmenter?.hasModelCard) {
          expect(segmenterCard.ok && segmenterCard.value.markdown.length).toBeGreaterThan(100);
        } else {
          expect(!segmenterCard.ok && segmenterCard.error.code).toBe('FILE_NOT_FOUND');
        }

        app.picks.push([join(dicomDir, 'nih_cxr_dx_mono2_8bit_rle.dcm')]);
        const opened = await app.transport.invoke('library:open', { kind: 'files' });
        const imageId = opened.ok
          ? opened.value.patients[0].studies[0].series[0].images[0].imageId
          : '';
        const prediction = await app.transport.invoke('model:predict', {
          imageId,
          frame: 0,
          heatmap: true,
        });
        expect(prediction.ok).toBe(true);
        if (prediction.ok) {
          if (prediction.value.status !== 'scored')
            throw new Error(prediction.value.gate.reason ?? '');
          expect(prediction.value.probabilities.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 5);
          const maps = prediction.value.heatmaps ?? {};
          expect(Object.keys(maps)).toEqual(prediction.value.labels);
          for (const map of Object.values(maps)) expect(map.values).toBeInstanceOf(Float32Array);
        }

        const folder = join(work, 'to-screen');
        mkdirSync(folder, { recursive: true });
        copyFileSync(
          join(dicomDir, 'siim_cxr_cr_mono2_8bit_jpegbaseline.dcm'),
          join(folder, 'a.dcm'),
        );
        copyFileSync(join(dicomDir, 'odd_mr_truncated.dcm'), join(folder, 'b.dcm'));
        copyFileSync(join(dicomDir, 'ct_small_explicit_le.dcm'), join(folder, 'c.dcm'));
        app.picks.push([folder]);
        const picked = await app.transport.invoke('screening:pickFolder', {});
        const folderId = picked.ok && picked.value ? picked.value.folderId : '';
        const started = await app.transport.invoke('screening:start', { folderIds: [folderId] });
        expect(started.ok).toBe(true);
        const jobId = started.ok ? started.value.jobId : '';
        const progress = () =>
          app.events
            .filter((e) => e.event === 'screening:progress')
            .map((e) => e.payload as ScreeningProgress);
        await expect
          .poll(() => progress().some((p) => p.state === 'finished'), { timeout: 60_000 })
          .toBe(true);

        const results = await app.transport.invoke('screening:results', { jobId });
        expect(results.ok).toBe(true);
        if (!results.ok) return;
        // Triage order: scored, then the CT the chest gate turned away, then the broken file.
        expect(results.value.rows.map((r) => r.status)).toEqual(['ok', 'rejected', 'error']);
        const [okRow, rejectedRow, errorRow] = results.value.rows;
        expect(errorRow.imageId).toBeNull();
        expect(rejectedRow.errorCode).toBe('NOT_A_FRONTAL_CHEST_XRAY');
        // A rejected film can still be opened in the viewer.
        const rejectedImage = await app.transport.invoke('image:load', {
          imageId: rejectedRow.imageId as string,
          frame: 0,
        });
        expect(rejectedImage.ok).toBe(true);
        const rowImage = await app.transport.invoke('image:load', {
          imageId: okRow.imageId as string,
          frame: 0,
        });
        expect(rowImage.ok).toBe(true);

        const csvPath = join(work, 'export.csv');
        app.saves.push(csvPath);
        expect(await app.transport.invoke('screening:export', { jobId, format: 'csv' })).toEqual({
          ok: true,
          value: { savedTo: csvPath },
        });
        expect(readFileSync(csvPath, 'utf8')).toContain('a.dcm');
        app.saves.push(null);
        expect(await app.transport.invoke('screening:export', { jobId, format: 'json' })).toEqual({
          ok: true,
          value: { savedTo: null },
        });
        const jobs = await app.transport.invoke('screening:listJobs', {});
        expect(jobs.ok && jobs.value.map((j) => j.jobId)).toEqual([jobId]);
      } finally {
        await app.workstation.dispose();
      }
    });
  },
);
