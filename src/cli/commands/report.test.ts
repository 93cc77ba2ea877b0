/**
 * `covidnet report` and `screen --reports` as a user runs them (child processes under the network
 * trap): the SR's probabilities are exactly those `predict --json` prints for the same file, the
 * patient and study UIDs are the source's, a JPEG without a supplied patient/study is refused
 * with a clear message, and a screened folder gets reports for every scored file.
 */
import { copyFile, mkdir, mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CXR_IMAGES, DICOM_DIR } from '../../main/platform/inference/testing/test-support';
import {
  dciodvfyErrors,
  dcmdumpValues,
  srFloatingPointValues,
} from '../../main/platform/reporting/testing/test-support';
import { runCli } from '../testing/test-support';

let scratch: string;
let trapLog: string;

function cli(args: string[]) {
  return runCli(args, { trapLog });
}

beforeAll(async () => {
  scratch = await mkdtemp(join(tmpdir(), 'report-cli-'));
  trapLog = join(scratch, 'network-trap.log');
});
afterAll(async () => {
  // The trap logs that it is installed, and every attempted connection: reporting makes none.
  const entries = (await readFile(trapLog, 'utf8'))
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => JSON.parse(line) as { installed?: boolean; attempt?: string });
  await rm(scratch, { recursive: true, force: true });
  expect(entries.some((e) => e.installed)).toBe(true);
  expect(entries.filter((e) => e.attempt)).toEqual([]);
});

describe.each([
  'nih_cxr_dx_mono2_8bit_explicit_le.dcm',
  'barre_cr_mono1_10bit_chest_explicit_le.dcm',
])('report %s', (name) => {
  it('writes an SR whose probabilities equal predict --json and whose UIDs are the source’s', async () => {
    const source = join(DICOM_DIR, name);
    const sr = join(scratch, `${name}.sr.dcm`);
    const [predicted, reported] = await Promise.all([
      cli(['predict', source, '--json']),
      cli(['report', source, '--sr', sr, '--pdf', join(scratch, `${name}.pdf`)]),
    ]);
    expect(predicted.code, predicted.stderr).toBe(0);
    expect(reported.code, reported.stderr).toBe(0);
    const json = JSON.parse(predicted.stdout) as { labels: string[]; probabilities: number[] };
    // Read as stored (dcmdump's 17-digit print of an FD can be 1 ulp off); JSON round-trips doubles.
    expect(srFloatingPointValues(sr)).toEqual(json.probabilities);
    expect(dciodvfyErrors(sr)).toEqual([]);
    for (const tag of ['0020,000d', '0010,0020']) {
      expect(dcmdumpValues(sr, tag)[0]).toBe(dcmdumpValues(source, tag)[0] ?? '');
    }
    expect(dcmdumpValues(sr, '0008,1155')).toContain(dcmdumpValues(source, '0008,0018')[0]);
  }, 180_000);
});

describe('report of a JPEG', () => {
  const jpegName = async (): Promise<string> =>
    join(
      CXR_IMAGES,
      (await readdir(CXR_IMAGES)).find((f) => f.endsWith('.jpg'))!,
    );

  it('refuses the SR without --patient-id/--study-uid and writes it with them', async () => {
    const jpeg = await jpegName();
    const sr = join(scratch, 'jpeg.sr.dcm');
    const refused = await cli(['report', jpeg, '--sr', sr]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('REPORT_PATIENT_STUDY_REQUIRED');
    expect(refused.stderr).toContain('--patient-id and --study-uid');

    const made = await cli([
      'report',
      jpeg,
      '--sr',
      sr,
      '--patient-id',
      'RURAL-12',
      '--study-uid',
      '2.25.987654321',
    ]);
    expect(made.code, made.stderr).toBe(0);
    expect(dciodvfyErrors(sr)).toEqual([]);
    expect(dcmdumpValues(sr, '0020,000d')[0]).toBe('2.25.987654321');
    expect(dciodvfyErrors(join(scratch, 'jpeg.sr.film.dcm'))).toEqual([]);
  }, 180_000);
});

describe('screen --reports', () => {
  it('writes the reports of every scored file into the folder', async () => {
    const folder = join(scratch, 'films');
    await mkdir(folder);
    for (const name of [
      'nih_cxr_dx_mono2_8bit_implicitvr.dcm',
      'siim_cxr_cr_mono2_8bit_explicit_le.dcm',
    ]) {
      await copyFile(join(DICOM_DIR, name), join(folder, name));
    }
    const reports = join(scratch, 'reports');
    const run = await cli([
      'screen',
      folder,
      '--out',
      join(scratch, 'rows.csv'),
      '--store',
      join(scratch, 'store'),
      '--reports',
      reports,
    ]);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toContain('Reports: 2 files');
    const written = (await readdir(reports)).sort();
    expect(written.filter((f) => f.endsWith('.sr.dcm'))).toHaveLength(2);
    expect(written.filter((f) => f.endsWith('.heatmap.dcm'))).toHaveLength(2);
    expect(written.filter((f) => f.endsWith('.pdf'))).toHaveLength(2);
    expect(written.filter((f) => f.endsWith('.pdf.dcm'))).toHaveLength(2);
    for (const file of written.filter((f) => f.endsWith('.dcm'))) {
      expect(dciodvfyErrors(join(reports, file)), file).toEqual([]);
    }
  }, 240_000);
});
