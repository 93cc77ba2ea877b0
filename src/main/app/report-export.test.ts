/**
 * Report export from the UI, through the IPC handlers as the renderer calls them: the folder comes
 * from the platform's (scripted) dialog, never from the request; the files are the CLI's (same
 * analysis, dciodvfy-clean DICOM, SR probabilities equal to `model:predict`); a PNG/JPEG gets the
 * PDF only and the reply says why; a screening job gets reports for every scored row.
 */
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { IpcChannel, IpcEvents, IpcRequest } from '../../shared/ipc/contract';
import type { ScreeningProgress } from '../../shared/screening';
import {
  CXR_IMAGES,
  DICOM_DIR,
  scored,
  testModelDir,
} from '../platform/inference/testing/test-support';
import { createDirectTransport } from '../base/ipc/direct-transport';
import { registerIpcHandlers } from '../base/ipc/register';
import {
  dciodvfyErrors,
  dcmdumpValues,
  srFloatingPointValues,
} from '../platform/reporting/testing/test-support';
import type { Platform } from './platform';
import { createWorkstation } from './workstation';

const DICOM_FILM = join(DICOM_DIR, 'nih_cxr_dx_mono2_8bit_explicit_le.dcm');
const work = mkdtempSync(join(tmpdir(), 'report-export-test-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

/** Folder dialogs answered from a script; counts how often a dialog was shown. */
function start(modelDir: string) {
  const picks: (string | null)[] = [];
  const shown = { folders: 0, files: 0 };
  const events: { event: keyof IpcEvents; payload: unknown }[] = [];
  const platform: Platform = {
    appVersion: '9.9.9',
    platform: 'test',
    pickFiles: async () => {
      shown.files++;
      const pick = picks.shift();
      return pick ? [pick] : null;
    },
    pickFolder: async () => {
      shown.folders++;
      return picks.shift() ?? null;
    },
    pickSavePath: async () => null,
    emit: (event, payload) => events.push({ event, payload }),
  };
  const workstation = createWorkstation(platform, {
    storeDir: mkdtempSync(join(work, 'store-')),
    modelDir,
    intraOpThreads: 1,
  });
  const transport = createDirectTransport();
  registerIpcHandlers(transport, workstation.handlers);
  const invoke = <C extends IpcChannel>(channel: C, request: IpcRequest<C>) =>
    transport.invoke(channel, request);
  /** Opens one file through the (scripted) open dialog; returns its library image id. */
  async function open(path: string): Promise<string> {
    picks.push(path);
    const opened = await invoke('library:open', { kind: 'files' });
    if (!opened.ok) throw new Error(opened.error.message);
    const images = opened.value.patients.flatMap((p) =>
      p.studies.flatMap((s) => s.series.flatMap((series) => series.images)),
    );
    const image = images.find(
      (candidate) => workstation.library.pathOf(candidate.imageId) === path,
    );
    if (!image) throw new Error(`not opened: ${path}`);
    return image.imageId;
  }
  return { picks, shown, events, workstation, transport, invoke, open };
}

function availableModelDir(): string | null {
  try {
    const dir = testModelDir();
    return existsSync(join(dir, 'model.json')) ? dir : null;
  } catch {
    return null;
  }
}
const modelDir = availableModelDir();

describe('report export requests', () => {
  // Validation runs before any handler: a missing model folder is fine here.
  const app = start(join(work, 'no-model-here'));
  afterAll(() => app.workstation.dispose());

  it('carry no path: a request naming a folder or file is rejected before any dialog', async () => {
    for (const [channel, request] of [
      ['report:export', { imageId: 'abc', frame: 0, kinds: ['pdf'], folder: work }],
      ['report:export', { imageId: 'abc', frame: 0, kinds: ['pdf'], path: join(work, 'x.pdf') }],
      ['report:export', { imageId: 'abc', frame: 0, kinds: [] }],
      ['report:export', { imageId: 'abc', frame: 0, kinds: ['sr', 'png'] }],
      ['report:export', { imageId: '../../etc/passwd', frame: 0, kinds: ['pdf'] }],
      ['screening:exportReports', { jobId: 'job', folder: work }],
    ] as const) {
      const reply = await app.transport.invoke(channel, request as never);
      expect(reply, JSON.stringify(request)).toMatchObject({
        ok: false,
        error: { code: 'INVALID_REQUEST' },
      });
    }
    expect(app.shown.folders).toBe(0);
  });
});

describe.skipIf(modelDir === null)(
  'report export with the bundled model (skipped while resources/models has none)',
  () => {
    const app = start(modelDir as string);
    beforeAll(() => app.workstation.modelReady);
    afterAll(() => app.workstation.dispose());

    it('writes SR, heatmap SC, PDF and Encapsulated PDF of a DICOM film into the picked folder', async () => {
      const imageId = await app.open(DICOM_FILM);
      const predicted = await app.invoke('model:predict', { imageId, frame: 0, heatmap: false });
      if (!predicted.ok) throw new Error(predicted.error.message);

      const folder = join(work, 'dicom-reports');
      mkdirSync(folder);
      app.picks.push(folder);
      const exported = await app.invoke('report:export', {
        imageId,
        frame: 0,
        kinds: ['sr', 'sc', 'pdf', 'encapsulated-pdf'],
      });
      if (!exported.ok) throw new Error(`${exported.error.code}: ${exported.error.message}`);
      const { files, omitted } = exported.value;
      expect(exported.value.folder).toBe(folder);
      expect(omitted).toBeNull();
      // Bare names inside the picked folder, and exactly the files that are there.
      expect(files.every((file) => file === basename(file))).toBe(true);
      expect([...files].sort()).toEqual(readdirSync(folder).sort());
      const named = (suffix: string) => join(folder, files.find((f) => f.endsWith(suffix)) ?? '-');
      const sr = named('.sr.dcm');
      for (const dicom of [sr, named('.heatmap.dcm'), named('.pdf.dcm')]) {
        expect(existsSync(dicom), dicom).toBe(true);
        expect(dciodvfyErrors(dicom), dicom).toEqual([]);
      }
      expect(existsSync(named('.pdf')) && named('.pdf').endsWith('.pdf')).toBe(true);
      // The same analysis as the prediction panel shows.
      // Read as stored: dcmdump's 17-digit print of an FD can be 1 ulp off.
      expect(srFloatingPointValues(sr)).toEqual(scored(predicted.value).probabilities);
      expect(dcmdumpValues(sr, '0020,000d')[0]).toBe(dcmdumpValues(DICOM_FILM, '0020,000d')[0]);
    }, 240_000);

    it('writes nothing when the folder dialog is cancelled', async () => {
      const imageId = await app.open(DICOM_FILM);
      const before = await readdir(work);
      app.picks.push(null);
      const shownBefore = app.shown.folders;
      expect(await app.invoke('report:export', { imageId, frame: 0, kinds: ['pdf'] })).toEqual({
        ok: true,
        value: { folder: null, files: [], omitted: null },
      });
      expect(app.shown.folders).toBe(shownBefore + 1);
      expect(await readdir(work)).toEqual(before);
    });

    it('gives a JPEG the PDF only and says why; asked for the SR alone it refuses', async () => {
      const jpeg = join(
        CXR_IMAGES,
        readdirSync(CXR_IMAGES).find((f) => f.endsWith('.jpg'))!,
      );
      const imageId = await app.open(jpeg);
      const folder = join(work, 'jpeg-reports');
      mkdirSync(folder);
      app.picks.push(folder);
      const exported = await app.invoke('report:export', {
        imageId,
        frame: 0,
        kinds: ['sr', 'sc', 'pdf', 'encapsulated-pdf'],
      });
      if (!exported.ok) throw new Error(`${exported.error.code}: ${exported.error.message}`);
      expect(exported.value.files).toHaveLength(1);
      expect(exported.value.files[0]).toMatch(/\.pdf$/);
      expect(readdirSync(folder)).toEqual(exported.value.files);
      expect(exported.value.omitted).toMatchObject({
        kinds: ['sr', 'sc', 'encapsulated-pdf'],
        reason: { code: 'REPORT_PATIENT_STUDY_REQUIRED' },
      });

      app.picks.push(folder);
      expect(await app.invoke('report:export', { imageId, frame: 0, kinds: ['sr'] })).toMatchObject(
        { ok: false, error: { code: 'REPORT_PATIENT_STUDY_REQUIRED' } },
      );
      expect(readdirSync(folder)).toEqual(exported.value.files);
    }, 240_000);

    it('writes the reports of every scored row of a screening job (a broken file has none)', async () => {
      const films = join(work, 'films');
      mkdirSync(films);
      copyFileSync(DICOM_FILM, join(films, 'a.dcm'));
      copyFileSync(join(DICOM_DIR, 'odd_mr_truncated.dcm'), join(films, 'b.dcm'));
      const jpeg = readdirSync(CXR_IMAGES).find((f) => f.endsWith('.jpg'))!;
      copyFileSync(join(CXR_IMAGES, jpeg), join(films, 'c.jpg'));
      app.picks.push(films);
      const picked = await app.invoke('screening:pickFolder', {});
      const folderId = picked.ok && picked.value ? picked.value.folderId : '';
      const started = await app.invoke('screening:start', { folderIds: [folderId] });
      if (!started.ok) throw new Error(started.error.message);
      const { jobId } = started.value;
      await expect
        .poll(
          () =>
            app.events.some(
              (e) =>
                e.event === 'screening:progress' &&
                (e.payload as ScreeningProgress).jobId === jobId &&
                (e.payload as ScreeningProgress).state === 'finished',
            ),
          { timeout: 120_000 },
        )
        .toBe(true);

      const reports = join(work, 'batch-reports');
      mkdirSync(reports);
      app.picks.push(reports);
      const exported = await app.invoke('screening:exportReports', { jobId });
      if (!exported.ok) throw new Error(`${exported.error.code}: ${exported.error.message}`);
      expect(exported.value).toEqual({
        folder: reports,
        reported: 2,
        pdfOnly: 1,
        notScored: 1,
        failed: [],
      });
      const written = readdirSync(reports).sort();
      // DICOM film: SR, SC, PDF, Encapsulated PDF; JPEG: the PDF only.
      expect(written.filter((f) => f.startsWith('a_'))).toHaveLength(4);
      expect(written.filter((f) => f.startsWith('c_'))).toEqual([expect.stringMatching(/\.pdf$/)]);
      expect(written.some((f) => f.startsWith('b_'))).toBe(false);
      for (const file of written.filter((f) => f.endsWith('.dcm'))) {
        expect(dciodvfyErrors(join(reports, file)), file).toEqual([]);
      }
    }, 300_000);
  },
);
