/**
 * The lung pipeline from the command line (as a user runs it): `segment` writes a mask of the
 * image's own size that lines up with the film, `predict --heatmap-raw` a 16-bit PGM of the image's
 * size registered through the lung crop, a non-chest film is reported as not scored, and
 * `evaluate --probe` writes the lung probes and the within-source figures.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { PNG } from 'pngjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CXR_IMAGES, DICOM_DIR, REPO_ROOT } from '../../main/inference/test-support';
import { writeSubsetManifest } from '../../main/evaluation/test-support';
import { runCli } from '../test-support';

const FILM = join(DICOM_DIR, 'wg04_rg1_chest_cr_mono1_15bit_rle.dcm'); // 1841 wide x 1955 high
const PORTRAIT = join(CXR_IMAGES, 'cohen-16745_4_1_png.jpg');

let scratch: string;

async function cli(args: string[]): Promise<{ stdout: string; stderr: string }> {
  const exit = await runCli(args);
  if (exit.code !== 0) throw new Error(`covidnet ${args[0]} exited ${exit.code}:\n${exit.stderr}`);
  return exit;
}

function readPgm16(bytes: Buffer): { width: number; height: number; values: Uint16Array } {
  const header = bytes.subarray(0, 64).toString('latin1');
  const match = /^P5\s+(\d+)\s+(\d+)\s+(\d+)\s/.exec(header);
  if (!match) throw new Error('not a binary PGM');
  const [, w, h, maxval] = match;
  expect(Number(maxval)).toBe(65535);
  const body = bytes.subarray(match[0].length);
  const width = Number(w);
  const height = Number(h);
  expect(body.length).toBe(width * height * 2);
  const values = new Uint16Array(width * height);
  for (let i = 0; i < values.length; i++) values[i] = body.readUInt16BE(2 * i);
  return { width, height, values };
}

beforeAll(async () => {
  scratch = await mkdtemp(join(tmpdir(), 'covidnet-lungcli-'));
});
afterAll(async () => rm(scratch, { recursive: true, force: true }));

describe('segment', () => {
  it('writes a mask of the image size with two lung fields inside the reported box', async () => {
    const out = join(scratch, 'mask.png');
    const { stdout } = await cli(['segment', FILM, '--out', out, '--json']);
    const json = JSON.parse(stdout) as {
      width: number;
      height: number;
      lungPixels: number;
      lungs: unknown[];
      lungBox: { x: number; y: number; width: number; height: number };
      gate: { accepted: boolean };
    };
    const png = PNG.sync.read(await readFile(out));
    expect([png.width, png.height]).toEqual([json.width, json.height]);
    expect([png.width, png.height]).toEqual([1841, 1955]);
    let inside = 0;
    let outsideBox = 0;
    let notBinary = 0;
    const { x, y, width, height } = json.lungBox;
    // The outline is drawn from P(lung) at the image's resolution, so it may pass the box (made
    // of segmenter cells) by up to one cell.
    const cx = Math.ceil(png.width / 256);
    const cy = Math.ceil(png.height / 256);
    for (let py = 0; py < png.height; py++) {
      for (let px = 0; px < png.width; px++) {
        const v = png.data[(py * png.width + px) * 4];
        if (v !== 0 && v !== 255) notBinary++;
        if (v === 255) {
          inside++;
          if (px < x - cx || px >= x + width + cx || py < y - cy || py >= y + height + cy)
            outsideBox++;
        }
      }
    }
    expect(notBinary).toBe(0);
    expect(inside).toBe(json.lungPixels);
    expect(inside / (png.width * png.height)).toBeGreaterThan(0.15);
    expect(outsideBox).toBe(0);
    expect(json.lungs).toHaveLength(2);
    expect(json.gate.accepted).toBe(true);
  }, 120_000);
});

describe('predict --heatmap-raw', () => {
  it('writes a 16-bit PGM of the image size, zero outside the lung crop', async () => {
    const out = join(scratch, 'heat.pgm');
    // The map is asked for the model's top class: its centred logit, the CAM cells' mean, is positive,
    // so some cell has positive evidence whichever model is bundled (another class may have none).
    const first = JSON.parse((await cli(['predict', PORTRAIT, '--json'])).stdout) as {
      predictedLabel: string;
    };
    const { stdout } = await cli([
      'predict',
      PORTRAIT,
      '--heatmap-raw',
      out,
      '--heatmap-class',
      first.predictedLabel,
      '--json',
    ]);
    const result = JSON.parse(stdout) as {
      status: string;
      heatmap: {
        label: string;
        originX: number;
        originY: number;
        cellWidth: number;
        gridWidth: number;
        cellHeight: number;
        gridHeight: number;
        imageWidth: number;
        imageHeight: number;
      };
    };
    expect(result.status).toBe('scored');
    expect(result.heatmap.label).toBe(first.predictedLabel);
    const pgm = readPgm16(await readFile(out));
    expect([pgm.width, pgm.height]).toEqual([
      result.heatmap.imageWidth,
      result.heatmap.imageHeight,
    ]);
    const h = result.heatmap;
    const x0 = Math.max(0, Math.floor(h.originX));
    const x1 = Math.min(pgm.width, Math.ceil(h.originX + h.cellWidth * h.gridWidth));
    const y0 = Math.max(0, Math.floor(h.originY));
    const y1 = Math.min(pgm.height, Math.ceil(h.originY + h.cellHeight * h.gridHeight));
    let max = 0;
    let outsideCrop = 0;
    for (let y = 0; y < pgm.height; y++) {
      for (let x = 0; x < pgm.width; x++) {
        const v = pgm.values[y * pgm.width + x];
        max = Math.max(max, v);
        if ((x < x0 || x >= x1 || y < y0 || y >= y1) && v !== 0) outsideCrop++;
      }
    }
    expect(outsideCrop).toBe(0);
    // Scaled so the strongest cell is full scale (sampled between cell centres, so just below).
    expect(max).toBeGreaterThan(0.95 * 65535);
  }, 120_000);

  it('reports a CT as not scored, with the reason', async () => {
    const { stdout } = await cli([
      'predict',
      join(DICOM_DIR, 'ct_small_explicit_le.dcm'),
      '--json',
    ]);
    const result = JSON.parse(stdout) as {
      status: string;
      gate: { code: string; reason: string };
      probabilities?: unknown;
    };
    expect(result.status).toBe('rejected');
    expect(result.gate.code).toBe('NOT_A_FRONTAL_CHEST_XRAY');
    expect(result.gate.reason).toMatch(/CT/);
    expect(result.probabilities).toBeUndefined();
  }, 60_000);
});

describe('evaluate --probe', () => {
  it('writes lungs_out, heatmap_in_lungs, the within-source AUCs and the segmenter Dice', async () => {
    const masks = join(REPO_ROOT, 'training/splits/lungs_val.csv');
    const masked = new Set(
      (await readFile(masks, 'utf8'))
        .split('\n')
        .slice(1)
        .map((line) => line.split(',')[0]),
    );
    const folder = await mkdtemp(join(scratch, 'subset-'));
    await writeSubsetManifest(folder, (all) => {
      const pick = (test: (r: Record<string, string>) => boolean, n: number) =>
        all.filter(test).slice(0, n);
      const nih = (label: string) => (r: Record<string, string>) =>
        r.source === 'nih-chestxray14' && r.label === label;
      return [
        ...pick(nih('normal'), 3),
        ...pick(nih('pneumonia'), 3),
        ...pick((r) => masked.has(basename(r.file)), 3), // COVID-19 films with reference masks
        ...pick((r) => r.source === 'cohen-covid-chestxray-dataset' && r.label === 'pneumonia', 2),
      ];
    });
    const manifest = join(folder, 'manifest.csv');
    const out = join(scratch, 'eval');
    await cli(['evaluate', '--manifest', manifest, '--out', out, '--probe', '--lung-masks', masks]);
    const metrics = JSON.parse(await readFile(join(out, 'metrics.json'), 'utf8')) as Record<
      string,
      unknown
    >;
    const lungsOut = metrics.lungs_out as Record<string, unknown>;
    expect(Object.keys(lungsOut).sort()).toEqual(
      [
        'accuracy',
        'covid_auc',
        'mean_delta_p_covid',
        'n',
        'nih_normal_vs_pneumonia_auc',
        'rsna_normal_vs_pneumonia_auc',
      ].sort(),
    );
    expect(lungsOut.n).toBeGreaterThan(0);
    const share = (metrics.heatmap_in_lungs as { mean: number }).mean;
    expect(share).toBeGreaterThan(0);
    expect(share).toBeLessThanOrEqual(1);
    const within = metrics.within_source as Record<string, unknown>;
    expect(within).toHaveProperty('nih_normal_vs_pneumonia_auc');
    expect(within).toHaveProperty('cohen_covid_vs_other_auc');
    expect(within.nih_n).toBeGreaterThan(0);
    const segmenter = metrics.segmenter as { n: number; dice: number };
    expect(segmenter.n).toBe(3);
    expect(segmenter.dice).toBeGreaterThan(0.8);
  }, 600_000);
});
