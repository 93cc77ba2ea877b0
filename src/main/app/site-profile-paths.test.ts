/**
 * A site profile reaches the engine on every workstation path, through the IPC handlers as the
 * renderer calls them: validated on a small labelled folder (the DICOM film labelled COVID-19),
 * a profile for 100% COVID-19 sensitivity is saved (not yet used), made active, and then changes
 * the viewer's call, is named in the exported SR (dciodvfy, dsrdump and PixelMed clean) and in
 * the screening rows' verdicts; switched off, the model's own call is back.
 */
import {
  copyFileSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join, resolve } from 'node:path';
import { parse } from 'csv-parse/sync';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { IpcChannel, IpcEvents, IpcReply, IpcRequest } from '../../shared/ipc/contract';
import type { ScreeningProgress } from '../../shared/screening';
import { DICOM_DIR, REPO_ROOT, testModelDir } from '../platform/inference/testing/test-support';
import { createDirectTransport } from '../base/ipc/direct-transport';
import { registerIpcHandlers } from '../base/ipc/register';
import {
  dciodvfyErrors,
  pixelmedSrErrors,
  runTool,
} from '../platform/reporting/testing/test-support';
import type { Platform } from './platform';
import { createWorkstation, type Workstation } from './workstation';

const DICOM_FILM = join(DICOM_DIR, 'nih_cxr_dx_mono2_8bit_explicit_le.dcm');
const PROFILE = 'Site test (all COVID)';
const work = mkdtempSync(join(tmpdir(), 'site-profile-paths-'));
const films = join(work, 'site-films');
const labelsCsv = join(work, 'labels.csv');
const picks: string[] = [];
const events: { event: keyof IpcEvents; payload: unknown }[] = [];
let workstation: Workstation;
let imageId: string;
const transport = createDirectTransport();

async function invoke<C extends IpcChannel>(
  channel: C,
  request: IpcRequest<C>,
): Promise<IpcReply<C>> {
  const result = await transport.invoke(channel, request);
  if (!result.ok) throw new Error(`${channel}: ${result.error.code} ${result.error.message}`);
  return result.value as IpcReply<C>;
}

async function verdictOnScreen() {
  const result = await invoke('model:predict', { imageId, frame: 0, heatmap: false });
  if (result.status !== 'scored') throw new Error('the film was not scored');
  return result.verdict;
}

beforeAll(async () => {
  // The DICOM film (labelled COVID-19 by the site), 2 more COVID-19 films and 2 normal ones.
  mkdirSync(films);
  copyFileSync(DICOM_FILM, join(films, basename(DICOM_FILM)));
  const rows = parse(readFileSync(join(REPO_ROOT, 'training/splits/val.csv'), 'utf8'), {
    columns: true,
  }) as Record<string, string>[];
  const lines = ['path,label', `site-films/${basename(DICOM_FILM)},COVID-19`];
  for (const label of ['COVID-19', 'normal']) {
    for (const row of rows.filter((r) => r.label === label).slice(0, 2)) {
      const source = resolve(REPO_ROOT, 'training/splits', row.file);
      symlinkSync(source, join(films, basename(source)));
      lines.push(`site-films/${basename(source)},${label}`);
    }
  }
  writeFileSync(labelsCsv, `${lines.join('\n')}\n`);

  const platform: Platform = {
    appVersion: '9.9.9',
    platform: 'test',
    pickFiles: async () => {
      const pick = picks.shift();
      return pick ? [pick] : null;
    },
    pickFolder: async () => picks.shift() ?? null,
    pickSavePath: async () => null,
    emit: (event, payload) => events.push({ event, payload }),
  };
  workstation = createWorkstation(platform, {
    storeDir: join(work, 'user-data', 'screening'),
    modelDir: testModelDir(),
    intraOpThreads: 1,
  });
  registerIpcHandlers(transport, workstation.handlers);
  picks.push(join(films, basename(DICOM_FILM)));
  const opened = await invoke('library:open', { kind: 'files' });
  imageId = opened.patients[0].studies[0].series[0].images[0].imageId;
}, 120_000);

afterAll(async () => {
  await workstation?.dispose();
  rmSync(work, { recursive: true, force: true });
});

describe('the active site profile on every path', () => {
  it('is saved from a validation run without being used, then changes the call once active', async () => {
    const before = await verdictOnScreen();
    expect(before.operatingPoint).toBeNull();
    expect(before.kind === 'call' && before.label === 'COVID-19').toBe(false);

    picks.push(films);
    const folder = await invoke('screening:pickFolder', {});
    picks.push(labelsCsv);
    const labels = await invoke('siteValidation:pickLabels', {});
    if (!folder || !labels) throw new Error('dialogs not answered');
    const report = await invoke('siteValidation:run', {
      folderIds: [folder.folderId],
      labels: { kind: 'labels-csv', labelsId: labels.labelsId },
    });
    expect(report.films).toMatchObject({ found: 5, labelled: 5 });
    expect(events.some((e) => e.event === 'siteValidation:progress')).toBe(true);
    const state = await invoke('siteProfiles:save', {
      runId: report.runId,
      name: PROFILE,
      label: 'COVID-19',
      targetSensitivity: 1,
      acceptSmallN: true,
    });
    expect(state.activeProfileName).toBeNull();
    const profile = state.profiles[0];
    // 100% sensitivity on films that include this one: its P(COVID-19) reaches the threshold.
    expect(profile.choice?.sensitivity.value).toBe(1);
    expect((await verdictOnScreen()).operatingPoint).toBeNull();

    const active = await invoke('siteProfiles:setActive', { name: PROFILE });
    expect(active.activeProfileName).toBe(PROFILE);
    expect(active.inactiveReason).toBeNull();
    const after = await verdictOnScreen();
    expect(after).toMatchObject({
      kind: 'call',
      label: 'COVID-19',
      operatingPoint: { profileName: PROFILE, label: 'COVID-19', threshold: profile.threshold },
    });
  }, 240_000);

  it('is named in the exported SR, which dciodvfy, dsrdump and PixelMed accept', async () => {
    const out = join(work, 'reports');
    mkdirSync(out);
    picks.push(out);
    const exported = await invoke('report:export', { imageId, frame: 0, kinds: ['sr'] });
    expect(exported.files).toHaveLength(1);
    const sr = join(out, readdirSync(out).find((f) => f.endsWith('.sr.dcm')) as string);
    expect(dciodvfyErrors(sr)).toEqual([]);
    const dump = runTool('dsrdump', ['+Pl', sr]);
    expect(dump.status, dump.stderr).toBe(0);
    // The first coded finding is the profile's call; the profile and its small-n warning are named.
    expect(dump.stdout).toContain('<contains CODE:(,,"AI result")=(840539006,SCT,"COVID-19")>');
    expect(dump.stdout).toContain(`Site profile "${PROFILE}": COVID-19 is called at or above`);
    expect(dump.stdout).toContain('Small-n profile');
    const pixelmed = pixelmedSrErrors(sr);
    expect(pixelmed.errors, pixelmed.output).toEqual([]);
  }, 180_000);

  it('reaches screening (the UI and the DICOM inbox start jobs the same way)', async () => {
    picks.push(films);
    const folder = await invoke('screening:pickFolder', {});
    if (!folder) throw new Error('dialog not answered');
    const { jobId } = await invoke('screening:start', { folderIds: [folder.folderId] });
    await expect
      .poll(
        () =>
          events.some(
            (e) =>
              e.event === 'screening:progress' &&
              (e.payload as ScreeningProgress).jobId === jobId &&
              (e.payload as ScreeningProgress).state === 'finished',
          ),
        { timeout: 120_000, interval: 200 },
      )
      .toBe(true);
    const { rows } = await invoke('screening:results', { jobId });
    const scoredRows = rows.filter((r) => r.status === 'ok');
    expect(scoredRows.length).toBeGreaterThan(0);
    for (const row of scoredRows) expect(row.verdict?.operatingPoint?.profileName).toBe(PROFILE);
  }, 180_000);

  it('switched off, the model decides with its own thresholds again', async () => {
    const off = await invoke('siteProfiles:setActive', { name: null });
    expect(off.activeProfileName).toBeNull();
    const verdict = await verdictOnScreen();
    expect(verdict.operatingPoint).toBeNull();
    expect(verdict.kind === 'call' && verdict.label === 'COVID-19').toBe(false);
  }, 60_000);
});
