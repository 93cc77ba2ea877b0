/**
 * Decode time per transfer syntax for the largest chest X-ray (WG-04 RG1, 1955x1841, 15-bit) and
 * the NIH 1024x1024 8-bit film: our openImage + decodeFrame(0) (read, parse, decode, modality
 * LUT), median of N runs in this process, next to DCMTK converting the same file to a 16-bit PGM
 * (whole process: dcm2pnm / dcmj2pnm / dcml2pnm +opw), median of N runs. DCMTK 3.6.7 has no
 * JPEG 2000 decoder: "n/a".
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { openImage } from '../src/main/imaging/index';

const DICOM_DIR = resolve(__dirname, '../../shared/data/dicom');
const RUNS = Number(process.env.BENCH_RUNS ?? 5);

interface Case {
  file: string;
  syntax: string;
  dcmtkTool?: string;
}

const CASES: Case[] = [
  {
    file: 'wg04_rg1_chest_cr_mono1_15bit_explicit_le.dcm',
    syntax: 'Explicit VR LE',
    dcmtkTool: 'dcm2pnm',
  },
  { file: 'wg04_rg1_chest_cr_mono1_15bit_rle.dcm', syntax: 'RLE Lossless', dcmtkTool: 'dcm2pnm' },
  {
    file: 'wg04_rg1_chest_cr_mono1_15bit_jpeg_lossless_sv1.dcm',
    syntax: 'JPEG Lossless SV1',
    dcmtkTool: 'dcmj2pnm',
  },
  { file: 'wg04_rg1_chest_cr_mono1_15bit_j2k_lossy.dcm', syntax: 'JPEG 2000 (lossy)' },
  { file: 'nih_cxr_dx_mono2_8bit_implicitvr.dcm', syntax: 'Implicit VR LE', dcmtkTool: 'dcm2pnm' },
  { file: 'nih_cxr_dx_mono2_8bit_explicit_le.dcm', syntax: 'Explicit VR LE', dcmtkTool: 'dcm2pnm' },
  { file: 'nih_cxr_dx_mono2_8bit_rle.dcm', syntax: 'RLE Lossless', dcmtkTool: 'dcm2pnm' },
  {
    file: 'nih_cxr_dx_mono2_8bit_jpeg_lossless_sv1.dcm',
    syntax: 'JPEG Lossless SV1',
    dcmtkTool: 'dcmj2pnm',
  },
  {
    file: 'nih_cxr_dx_mono2_8bit_jpegls_lossless.dcm',
    syntax: 'JPEG-LS Lossless',
    dcmtkTool: 'dcml2pnm',
  },
  { file: 'nih_cxr_dx_mono2_8bit_j2k_lossless.dcm', syntax: 'JPEG 2000 (lossless)' },
  {
    file: 'siim_cxr_cr_mono2_8bit_jpegbaseline.dcm',
    syntax: 'JPEG Baseline',
    dcmtkTool: 'dcmj2pnm',
  },
];

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

async function ourMs(path: string): Promise<number> {
  const start = performance.now();
  const image = await openImage(path);
  await image.decodeFrame(0);
  return performance.now() - start;
}

function dcmtkMs(tool: string, path: string, out: string): number {
  const start = performance.now();
  execFileSync(tool, ['--no-windowing', '+opw', path, out], { stdio: 'ignore' });
  return performance.now() - start;
}

export async function run(): Promise<void> {
  const hasDcmtk = spawnSync('which', ['dcm2pnm']).status === 0;
  const scratch = mkdtempSync(join(tmpdir(), 'decode-bench-'));
  const rows: string[][] = [];
  try {
    for (const c of CASES) {
      const path = join(DICOM_DIR, c.file);
      const image = await openImage(path);
      const size = `${image.metadata.columns}x${image.metadata.rows}x${image.metadata.bitsStored}b`;
      await ourMs(path); // warm-up: WASM instantiation, JIT
      const ours: number[] = [];
      for (let i = 0; i < RUNS; i++) ours.push(await ourMs(path));
      let theirs: number | undefined;
      if (hasDcmtk && c.dcmtkTool) {
        const times: number[] = [];
        for (let i = 0; i < RUNS; i++)
          times.push(dcmtkMs(c.dcmtkTool, path, join(scratch, 'out.pgm')));
        theirs = median(times);
      }
      const oursMedian = median(ours);
      rows.push([
        c.file.split('_').slice(0, 2).join('_'),
        size,
        c.syntax,
        oursMedian.toFixed(0),
        theirs === undefined ? 'n/a' : `${theirs.toFixed(0)} (${c.dcmtkTool})`,
        theirs === undefined ? 'n/a' : (oursMedian / theirs).toFixed(2),
      ]);
    }
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
  const header = [
    'image',
    'size',
    'transfer syntax',
    'ours ms',
    'DCMTK ms (whole process)',
    'ours/DCMTK',
  ];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: string[]): string =>
    cells.map((cell, i) => cell.padEnd(widths[i])).join(' | ');
  console.log(
    `decode: median of ${RUNS} runs (after one warm-up), ours in-process, DCMTK to 16-bit PGM`,
  );
  console.log(line(header));
  console.log(widths.map((w) => '-'.repeat(w)).join('-|-'));
  for (const row of rows) console.log(line(row));
}
