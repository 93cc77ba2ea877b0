/**
 * `covidnet drift` as a user runs it, against the bundled model's reference films
 * (drift-reference.json, made from training/splits/calib.csv through the app's pipeline):
 * about 60 shared films the model never trained or calibrated on, from the reference split's
 * sources in its proportions (filmsLikeReference), are `similar`; the same films inverted
 * (white lungs, a film loaded with the wrong polarity) and the same films heavily degraded
 * (shrunk to 32 px and blown back up) are `different`, and the report says why.
 */
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeForModel } from '../../main/platform/decode-pool';
import { encodeGrayPng } from '../../main/platform/inference/heatmap-image';
import { filmsLikeReference } from '../../main/features/drift/testing/test-support';
import type { DriftReport } from '../../shared/drift';
import { runCli } from '../testing/test-support';

const work = mkdtempSync(join(tmpdir(), 'covidnet-drift-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));
const FILMS = 60;

function toBytes(gray: Float32Array): Uint8Array {
  const out = new Uint8Array(gray.length);
  for (let i = 0; i < gray.length; i++) out[i] = Math.max(0, Math.min(255, Math.round(gray[i])));
  return out;
}

/** Nearest-neighbour down to `small` px on the long side and back: detail gone, blocks left. */
function blockDegrade(gray: Uint8Array, width: number, height: number, small: number): Uint8Array {
  const step = Math.max(width, height) / small;
  const out = new Uint8Array(gray.length);
  for (let y = 0; y < height; y++) {
    const sy = Math.min(height - 1, Math.floor(Math.floor(y / step) * step + step / 2));
    for (let x = 0; x < width; x++) {
      const sx = Math.min(width - 1, Math.floor(Math.floor(x / step) * step + step / 2));
      out[y * width + x] = gray[sy * width + sx];
    }
  }
  return out;
}

const folders = {
  shared: join(work, 'shared'),
  inverted: join(work, 'inverted'),
  degraded: join(work, 'degraded'),
};

beforeAll(async () => {
  for (const folder of Object.values(folders)) mkdirSync(folder);
  const picked = filmsLikeReference(FILMS);
  for (const [i, source] of picked.entries()) {
    symlinkSync(source, join(folders.shared, basename(source)));
    const image = await decodeForModel(source);
    const gray = toBytes(image.gray);
    const inverted = gray.map((v) => 255 - v);
    writeFileSync(
      join(folders.inverted, `film-${i}.png`),
      encodeGrayPng(inverted, image.width, image.height),
    );
    const degraded = blockDegrade(gray, image.width, image.height, 32);
    writeFileSync(
      join(folders.degraded, `film-${i}.png`),
      encodeGrayPng(degraded, image.width, image.height),
    );
  }
}, 120_000);

async function drift(folder: string): Promise<DriftReport> {
  const run = await runCli(['drift', folder, '--json']);
  expect(run.code, run.stderr).toBe(0);
  return JSON.parse(run.stdout) as DriftReport;
}

function summary(name: string, report: DriftReport): string {
  return `${name}: ${report.verdict} | ${report.signals
    .map((s) => `${s.name} stat=${s.statistic?.toFixed(3)} p=${s.pValue?.toExponential(2)}`)
    .join(', ')}`;
}

describe('covidnet drift', () => {
  it('calls shared films from the reference sources similar', async () => {
    const report = await drift(folders.shared);
    console.log(summary('shared', report));
    expect(report.recent.films).toBe(filmsLikeReference(FILMS).length);
    // The model's calibration split, whichever bundled model is the default.
    expect(report.reference.source).toMatch(/^training\/splits\/.*calib\.csv$/);
    expect(report.reference.films).toBeGreaterThan(100);
    expect(report.verdict).toBe('similar');
    for (const signal of report.signals) {
      expect(signal.pValue).not.toBeNull();
      expect(signal.statistic).not.toBeNull();
    }
    expect(report.signals.map((s) => s.name)).toEqual(
      expect.arrayContaining([
        'gate-rejections',
        'unfamiliar',
        'score:COVID-19',
        'feature-distance',
      ]),
    );
  }, 300_000);

  it('calls inverted films and heavily degraded films different, and says why', async () => {
    const inverted = await drift(folders.inverted);
    console.log(summary('inverted', inverted));
    expect(inverted.verdict).toMatch(/^different: /);
    const degraded = await drift(folders.degraded);
    console.log(summary('degraded', degraded));
    expect(degraded.verdict).toMatch(/^different: /);
    for (const report of [inverted, degraded]) {
      expect(report.signals.filter((s) => s.different).length).toBeGreaterThan(0);
      for (const s of report.signals.filter((x) => x.different)) {
        expect(s.pValue as number).toBeLessThan(report.alpha);
      }
    }
    // The text form leads with the verdict.
    const text = await runCli(['drift', folders.inverted]);
    expect(text.stdout).toMatch(/^Drift: different: /);
  }, 600_000);
});
