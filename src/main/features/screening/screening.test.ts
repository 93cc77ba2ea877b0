/**
 * A real batch: the whole shared DICOM folder (good, odd and broken files, a DICOMDIR set) plus
 * all 1,449 shared chest X-ray JPEGs, linked into a temp folder (half of them one level down)
 * together with a non-image file and a symlink loop.
 */
import { mkdir, mkdtemp, readdir, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join, relative } from 'node:path';
import dns from 'node:dns';
import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it, vi, type MockInstance } from 'vitest';
import type { ScreeningProgress, ScreeningRow } from '../../../shared/screening';
import { createInferenceEngine, type InferenceEngine } from '../../platform/inference';
import { CXR_IMAGES, DICOM_DIR, testModelDir } from '../../platform/inference/testing/test-support';
import { parse } from 'csv-parse/sync';
import { CSV_COLUMNS, rowsToCsv } from './export';
import { runScreening } from './service';
import { readAllRows } from './store';

let scratch: string;
let cxrFolder: string;
let engine: InferenceEngine;
let rows: ScreeningRow[];
let cxrNames: string[];
const progress: ScreeningProgress[] = [];
// Network trap in this (test) process; the worker thread is trapped in the CLI tests.
let networkSpies: MockInstance[] = [];

beforeAll(async () => {
  scratch = await mkdtemp(join(tmpdir(), 'covidnet-screen-'));
  cxrFolder = join(scratch, 'cxr');
  await mkdir(join(cxrFolder, 'nested'), { recursive: true });
  cxrNames = (await readdir(CXR_IMAGES)).filter((n) => n.endsWith('.jpg')).sort();
  for (const [i, name] of cxrNames.entries()) {
    await symlink(join(CXR_IMAGES, name), join(cxrFolder, i % 2 ? 'nested' : '', name));
  }
  await writeFile(join(cxrFolder, 'notes.txt'), 'not an image');
  await symlink(cxrFolder, join(cxrFolder, 'nested', 'loop')); // a symlink loop
  const refuse = (): never => {
    throw new Error('network access attempted');
  };
  networkSpies = [
    vi.spyOn(net.Socket.prototype, 'connect').mockImplementation(refuse),
    vi.spyOn(dns, 'lookup').mockImplementation(refuse),
    vi.spyOn(http, 'request').mockImplementation(refuse),
    vi.spyOn(https, 'request').mockImplementation(refuse),
    vi.spyOn(globalThis, 'fetch').mockImplementation(refuse),
  ];
  engine = await createInferenceEngine({ modelDir: testModelDir(), providers: ['cpu'] });
  const outcome = await runScreening({
    folders: [DICOM_DIR, cxrFolder],
    storeDir: join(scratch, 'store'),
    engine,
    onProgress: (p) => progress.push(p),
  });
  expect(outcome.job.state).toBe('finished');
  rows = await readAllRows(join(scratch, 'store'), outcome.job.jobId);
  // The job's rows come back with it, exactly as stored (the CLI does not read them back).
  expect(outcome.rows).toEqual(rows);
}, 600_000);

afterAll(async () => {
  for (const spy of networkSpies) spy.mockRestore();
  await engine?.dispose();
  await rm(scratch, { recursive: true, force: true });
});

const dicomRow = (name: string): ScreeningRow | undefined =>
  rows.find((r) => relative(DICOM_DIR, r.path) === name);

describe('batch screening of the shared DICOM folder and all shared chest X-rays', () => {
  it('gives every chest X-ray probabilities (except the films the chest gate turns away)', () => {
    expect(cxrNames).toHaveLength(1449);
    // The two shared chest films the gate does not accept (gate-shared-data.test.ts says why).
    const turnedAway = ['hannover-242a639e_png.jpg', 'hannover-cb60786c_png.jpg'];
    for (const name of cxrNames) {
      const row = rows.find((r) => basename(r.path) === name);
      expect(row, name).toBeDefined();
      if (turnedAway.includes(name)) {
        expect(row?.status, name).toBe('rejected');
        continue;
      }
      expect(row?.status, name).toBe('ok');
      expect(row?.probabilities?.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 4);
    }
    const chestDicoms = [
      'barre_cr_mono1_10bit_chest_explicit_le.dcm',
      'barre_cr_mono1_10bit_chest_j2k_lossless.dcm',
      'barre_cr_mono1_10bit_chest_jpegls_lossless.dcm',
      'barre_cr_mono1_10bit_chest_nometa_implicitvr.dcm',
      'barre_cr_mono1_10bit_chest_rle.dcm',
      'nih_cxr_dx_mono2_8bit_explicit_le.dcm',
      'nih_cxr_dx_mono2_8bit_implicitvr.dcm',
      'nih_cxr_dx_mono2_8bit_j2k_lossless.dcm',
      'nih_cxr_dx_mono2_8bit_jpeg_lossless_sv1.dcm',
      'nih_cxr_dx_mono2_8bit_jpegls_lossless.dcm',
      'nih_cxr_dx_mono2_8bit_rle.dcm',
      'siim_cxr_cr_mono2_8bit_explicit_le.dcm',
      'siim_cxr_cr_mono2_8bit_jpegbaseline.dcm',
      'wg04_rg1_chest_cr_mono1_15bit_explicit_le.dcm',
      'wg04_rg1_chest_cr_mono1_15bit_j2k_lossy.dcm',
      'wg04_rg1_chest_cr_mono1_15bit_jpeg_lossless_sv1.dcm',
      'wg04_rg1_chest_cr_mono1_15bit_rle.dcm',
    ];
    for (const name of chestDicoms) {
      expect(dicomRow(name)?.status, name).toBe('ok');
      expect(dicomRow(name)?.probabilities).toHaveLength(3);
    }
    // The same pixels in six transfer syntaxes give the same answer.
    const nih = chestDicoms
      .filter((n) => n.startsWith('nih_'))
      .map((n) => dicomRow(n)?.probabilities?.[2]);
    for (const p of nih) expect(p).toBeCloseTo(nih[0] as number, 5);
  });

  it('gives every broken or non-image DICOM an error row with its code', () => {
    const expected: Record<string, string[]> = {
      'nopixels_rtplan.dcm': ['NO_PIXEL_DATA'],
      'nopixels_sr.dcm': ['NO_PIXEL_DATA'],
      'odd_meta_missing_transfer_syntax.dcm': ['MISSING_TRANSFER_SYNTAX'],
      'odd_mr_truncated.dcm': ['TRUNCATED'],
      'dicomdir_set/DICOMDIR-nooffset': ['DICOMDIR_INVALID', 'MALFORMED_DICOM'],
    };
    for (const [name, codes] of Object.entries(expected)) {
      const row = dicomRow(name);
      expect(row?.status, name).toBe('error');
      expect(codes, name).toContain(row?.errorCode);
      expect(row?.probabilities).toBeNull();
    }
  });

  it('turns away decodable films that are not frontal chest X-rays, with the reason, unscored', () => {
    const turnedAway: Record<string, RegExp> = {
      'ct_small_explicit_le.dcm': /Modality is CT/,
      'mr_multiframe10_j2k_lossless.dcm': /Modality is MR/,
      'us_multiframe_ybr_jpeg_baseline.dcm': /Modality is US/,
      'wg04_rg3_extremity_cr_mono1_10bit_j2k_lossy.dcm': /./,
      // A chest image whose photometric was edited to MONOCHROME1: it shows inverted, no lungs found.
      'odd_siim_cxr_fake_monochrome1_jpegbaseline.dcm': /./,
      'ot_modality_lut_sequence.dcm': /./,
    };
    for (const [name, reason] of Object.entries(turnedAway)) {
      const row = dicomRow(name);
      expect(row?.status, name).toBe('rejected');
      expect(row?.errorCode, name).toBe('NOT_A_FRONTAL_CHEST_XRAY');
      expect(row?.errorMessage, name).toMatch(reason);
      expect(row?.probabilities).toBeNull();
    }
  });

  it('follows the DICOMDIR set once and skips non-images, hidden files and the symlink loop', () => {
    const paths = rows.map((r) => r.path);
    expect(new Set(paths).size).toBe(paths.length);
    // 7 DICOMDIR variants reference the same files: each file is one row.
    const cr1 = rows.filter((r) => r.path.endsWith(join('77654033', 'CR1', '6154')));
    expect(cr1).toHaveLength(1);
    expect(
      paths.some(
        (p) => p.endsWith('README.md') || p.endsWith('README.txt') || p.endsWith('notes.txt'),
      ),
    ).toBe(false);
    expect(paths.filter((p) => p.includes(`${join('nested', 'loop')}`))).toEqual([]);
    expect(rows.filter((r) => r.path.startsWith(cxrFolder))).toHaveLength(cxrNames.length);
  });

  it('attempted no network connection from this process', () => {
    for (const spy of networkSpies) expect(spy).not.toHaveBeenCalled();
  });

  it('reports progress up to done == total and writes the triage CSV', () => {
    const last = progress[progress.length - 1];
    expect(last.state).toBe('finished');
    expect(last.done).toBe(rows.length);
    expect(last.total).toBe(rows.length);
    expect(progress.some((p) => p.state === 'running' && p.etaSeconds !== null)).toBe(true);
    const csv = rowsToCsv(rows, engine.manifest.labels).trim().split('\n');
    expect(csv[0]).toBe(
      'path,status,error_code,p_normal,p_pneumonia,p_covid19,result,model_id,execution_provider,ms,verdict,highest_probability_class,verdict_reason,site_profile,reason',
    );
    expect(csv[0].split(',')).toEqual([...CSV_COLUMNS]);
    expect(csv).toHaveLength(rows.length + 1);
    // Triage order (src/shared/triage-order.ts), read back from the CSV itself: films that need a
    // look, then confident calls of another class, each by P(COVID-19) descending.
    const records = parse(csv.join('\n'), { columns: true }) as Record<string, string>[];
    const scoredGroups = [0, 1].map((group) =>
      records
        .filter((r) => r.status === 'ok')
        .filter((r) => Number(r.verdict === 'call' && r.result !== 'COVID-19') === group),
    );
    const okInCsv = records.filter((r) => r.status === 'ok');
    expect(okInCsv).toEqual([...scoredGroups[0], ...scoredGroups[1]]);
    for (const group of scoredGroups) {
      const p = group.map((r) => Number(r.p_covid19));
      expect([...p].sort((a, b) => b - a)).toEqual(p);
    }
    const covid = csv.slice(1).map((line) => line.split(','));
    // Scored rows first, then the films the gate turned away, then errors.
    const firstRejected = covid.findIndex((c) => c[1] === 'rejected');
    const firstError = covid.findIndex((c) => c[1] === 'error');
    expect(firstRejected).toBeGreaterThan(0);
    expect(covid.slice(0, firstRejected).every((c) => c[1] === 'ok')).toBe(true);
    expect(covid.slice(firstRejected, firstError).every((c) => c[1] === 'rejected')).toBe(true);
    expect(covid.slice(firstError).every((c) => c[1] === 'error')).toBe(true);
  });
});
