/**
 * Decode time per transfer syntax for the largest chest X-ray (WG-04 RG1, 1955x1841, 15-bit) and
 * the NIH 1024x1024 8-bit film: our openImage + decodeFrame(0) (read, parse, decode, modality
 * LUT), median of N runs in this process, next to DCMTK converting the same file to a 16-bit PGM
 * (whole process: dcm2pnm / dcmj2pnm / dcml2pnm +opw), median of N runs. DCMTK 3.6.7 has no
 * JPEG 2000 decoder: "n/a". Goal: ours <= 0.5x DCMTK.
 *
 * Then the 1955x1841 film in explicit LE: a plain read of its pixel bytes (fresh buffer, one
 * pread) next to our native decode (stored samples only, and the whole openImage + decodeFrame).
 * Goal: within 3x of the read and <= 0.1x DCMTK's whole process. And JPEG 2000 at reduced
 * resolution (DecodeOptions.minDimension, for thumbnails and the model) next to full resolution.
 * The machine is shared with training and other work: figures are noisy; run with nice.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, readFileSync, readSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { decodeStoredFrame } from '../src/main/platform/dicom/decode';
import { describeDicomImage } from '../src/main/platform/dicom/metadata';
import { parseDicomBytes } from '../src/main/platform/dicom/parse';
import { openImage, type DecodeOptions } from '../src/main/platform/imaging/index';

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

async function ourMs(path: string, options?: DecodeOptions): Promise<number> {
  const start = performance.now();
  const image = await openImage(path);
  await image.decodeFrame(0, options);
  return performance.now() - start;
}

async function medianMs(measure: () => Promise<number> | number): Promise<number> {
  await measure(); // warm-up
  const times: number[] = [];
  for (let i = 0; i < RUNS; i++) times.push(await measure());
  return median(times);
}

/** Big film: plain read of the pixel bytes vs our native decode. */
async function nativeVersusRead(hasDcmtk: boolean, scratch: string): Promise<void> {
  const name = 'wg04_rg1_chest_cr_mono1_15bit_explicit_le.dcm';
  const path = join(DICOM_DIR, name);
  const file = parseDicomBytes(new Uint8Array(readFileSync(path)), path);
  const { metadata, pixel } = describeDicomImage(file, path);
  const { dataOffset, length } = pixel.pixelElement;
  const readMs = await medianMs(() => {
    const start = performance.now();
    const fd = openSync(path, 'r');
    try {
      readSync(fd, Buffer.allocUnsafe(length), 0, length, dataOffset);
    } finally {
      closeSync(fd);
    }
    return performance.now() - start;
  });
  const storedMs = await medianMs(async () => {
    const start = performance.now();
    await decodeStoredFrame(file, metadata, pixel, 0);
    return performance.now() - start;
  });
  const wholeMs = await medianMs(() => ourMs(path));
  const dcmtk = hasDcmtk
    ? await medianMs(() => dcmtkMs('dcm2pnm', path, join(scratch, 'out.pgm')))
    : undefined;
  const ratio = (ms: number): string =>
    `${(ms / readMs).toFixed(1)}x read${dcmtk ? `, ${(ms / dcmtk).toFixed(2)}x DCMTK` : ''}`;
  console.log(
    `\nnative decode, ${metadata.columns}x${metadata.rows} ${metadata.bitsStored}-bit explicit LE ` +
      `(${(length / 2 ** 20).toFixed(1)} MiB of pixel bytes), median of ${RUNS}:`,
  );
  console.log(`  plain read of the pixel bytes (pread):        ${readMs.toFixed(1)} ms`);
  console.log(`  decodeStoredFrame (samples, from the bytes):  ${storedMs.toFixed(1)} ms`);
  console.log(
    `  openImage + decodeFrame (read, parse, Float32 modality values): ${wholeMs.toFixed(1)} ms (${ratio(wholeMs)})`,
  );
  if (dcmtk) console.log(`  DCMTK dcm2pnm whole process:                  ${dcmtk.toFixed(0)} ms`);
}

/** JPEG 2000 at full and reduced resolution. */
async function j2kReduced(): Promise<void> {
  console.log('\nJPEG 2000 reduced resolution (decodeFrame(0, { minDimension })), median of runs:');
  for (const name of [
    'wg04_rg1_chest_cr_mono1_15bit_j2k_lossy.dcm',
    'nih_cxr_dx_mono2_8bit_j2k_lossless.dcm',
  ]) {
    const path = join(DICOM_DIR, name);
    const full = await medianMs(() => ourMs(path));
    const cells = [`full ${full.toFixed(0)} ms`];
    for (const minDimension of [512, 256]) {
      const frame = await (await openImage(path)).decodeFrame(0, { minDimension });
      const ms = await medianMs(() => ourMs(path, { minDimension }));
      cells.push(
        `min ${minDimension}: ${frame.columns}x${frame.rows} ${ms.toFixed(0)} ms (${(full / ms).toFixed(1)}x faster)`,
      );
    }
    console.log(`  ${name.split('_').slice(0, 2).join('_')}: ${cells.join(' | ')}`);
  }
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
    printTable(rows);
    await nativeVersusRead(hasDcmtk, scratch);
    await j2kReduced();
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}

function printTable(rows: string[][]): void {
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
