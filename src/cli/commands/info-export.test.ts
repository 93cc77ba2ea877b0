import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openImage } from '../../main/platform/imaging/index';
import {
  dicomPath,
  pilGray,
  readPnm,
  withTempDir,
} from '../../main/platform/dicom/testing/test-support';
import { runCli } from '../main';

async function cli(args: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await runCli(args, { out: (t) => (out += `${t}\n`), err: (t) => (err += `${t}\n`) });
  return { code, out, err };
}

describe('covidnet info / export', () => {
  it('info prints metadata JSON; a DICOMDIR lists its entries', async () => {
    const info = await cli(['info', dicomPath('wg04_rg1_chest_cr_mono1_15bit_rle.dcm')]);
    expect(info.code).toBe(0);
    expect(JSON.parse(info.out)).toMatchObject({
      modality: 'CR',
      rows: 1955,
      photometricInterpretation: 'MONOCHROME1',
    });
    const dir = await cli(['info', dicomPath('dicomdir_set/DICOMDIR')]);
    expect(JSON.parse(dir.out).entries).toHaveLength(31);
  });

  it('export --raw writes modality values (shifted when negative); default writes the display image', () =>
    withTempDir(async (dir) => {
      const raw = join(dir, 'ct.pgm');
      const result = await cli([
        'export',
        dicomPath('ct_small_explicit_le.dcm'),
        '--out',
        raw,
        '--raw',
      ]);
      expect(result.code).toBe(0);
      expect(result.out).toContain('shifted by +896');
      const pnm = readPnm(raw);
      expect([pnm.width, pnm.height, pnm.maxval]).toEqual([128, 128, 2063]);
      expect(pnm.data[0]).toBe(-849 + 896);
      const png = join(dir, 'film.png');
      expect(
        (
          await cli([
            'export',
            dicomPath('nih_cxr_dx_mono2_8bit_rle.dcm'),
            '--out',
            png,
            '--frame',
            '0',
          ])
        ).code,
      ).toBe(0);
      expect(readFileSync(png).subarray(1, 4).toString()).toBe('PNG');
      const pgm = join(dir, 'mono1.pgm');
      expect(
        (await cli(['export', dicomPath('barre_cr_mono1_10bit_chest_rle.dcm'), '--out', pgm])).code,
      ).toBe(0);
      expect(readPnm(pgm).maxval).toBe(255);
    }));

  it('export --raw: the PGM sample size follows maxval (1 byte below 256), as PIL reads it', () =>
    withTempDir(async (dir) => {
      const name = 'nih_cxr_dx_mono2_8bit_rle.dcm';
      const out = join(dir, 'raw8.pgm');
      expect((await cli(['export', dicomPath(name), '--out', out, '--raw'])).code).toBe(0);
      const pnm = readPnm(out);
      expect(pnm.maxval).toBeLessThan(256);
      const header = `P5\n${pnm.width} ${pnm.height}\n${pnm.maxval}\n`;
      expect(readFileSync(out).length).toBe(header.length + pnm.width * pnm.height);
      const frame = await (await openImage(dicomPath(name))).decodeFrame(0);
      expect(pnm.data).toEqual(Array.from(frame.modalityPixels ?? []));
      // Pillow (9.4 here) reads maxval < 255 scaled to 0..255: a correct read is within rounding.
      const pil = pilGray(out);
      if (pil) {
        const worst = pnm.data.reduce(
          (w, v, i) => Math.max(w, Math.abs(pil.data[i] - (v * 255) / pnm.maxval)),
          0,
        );
        expect(worst).toBeLessThanOrEqual(0.5);
      }
    }));

  it('bad arguments exit 2 with usage; input errors exit 1 with their code; --help exits 0', async () => {
    expect((await cli([])).code).toBe(2);
    expect((await cli(['nope'])).code).toBe(2);
    expect((await cli(['export', dicomPath('mr_small_rle.dcm')])).code).toBe(2);
    expect((await cli(['export', dicomPath('mr_small_rle.dcm'), '--out', 'x.bmp'])).code).toBe(2);
    expect(
      (await cli(['export', dicomPath('mr_small_rle.dcm'), '--out', 'x.pgm', '--frame', '-1']))
        .code,
    ).toBe(2);
    expect((await cli(['info', 'a', 'b'])).code).toBe(2);
    const missing = await cli(['info', dicomPath('odd_meta_missing_transfer_syntax.dcm')]);
    expect([missing.code, missing.err]).toEqual([
      1,
      expect.stringContaining('MISSING_TRANSFER_SYNTAX'),
    ]);
    const help = await cli(['export', '--help']);
    expect([help.code, help.out]).toEqual([0, expect.stringContaining('--raw')]);
    expect((await cli(['--help'])).out).toContain('info');
  });
});
