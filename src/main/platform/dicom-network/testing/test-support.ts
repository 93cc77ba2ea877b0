/**
 * DCMTK helpers shared by the receiver tests and the receive bench: distinct instances made from
 * the shared files, a storescu profile that sends each file in its own transfer syntax, storescu.
 */
import { execFile, spawnSync } from 'node:child_process';
import { chmod, copyFile, mkdir, writeFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { promisify } from 'node:util';
import { ACCEPTED_TRANSFER_SYNTAXES } from '../transfer-syntaxes';

export const run = promisify(execFile);

export const HAVE_DCMTK = [
  'echoscu',
  'storescu',
  'dcmodify',
  'dcmdump',
  'dcmcjpeg',
  'dcmcjpls',
].every((tool) => spawnSync(tool, ['--version']).status === 0);

/** Small shared files covering every accepted transfer syntax (plus no-pixel SR and RT). */
export const CORPUS_SOURCES: readonly string[] = [
  'ct_small_explicit_le.dcm', // explicit LE
  'mr_small_explicit_big_endian.dcm', // explicit BE
  'nopixels_rtplan.dcm', // implicit LE
  'nopixels_sr.dcm',
  'mr_small_rle.dcm', // RLE
  'sc_rgb_rle.dcm',
  'us_palette_color_rle.dcm',
  'siim_cxr_cr_mono2_8bit_jpegbaseline.dcm', // JPEG baseline
  'nm_jpeg_extended_12bit.dcm', // JPEG extended
  'us_jpeg_lossless_sv1_8bit.dcm', // JPEG lossless SV1
  'mr_small_jpegls_lossless.dcm', // JPEG-LS lossless
  'barre_cr_mono1_10bit_chest_jpegls_lossless.dcm',
  'ct_16bit_j2k_lossless.dcm', // J2K lossless
  'mr_multiframe10_j2k_lossless.dcm',
  'wg04_rg3_extremity_cr_mono1_10bit_j2k_lossy.dcm', // J2K
];

/** One attribute of many files, read by dcmdump (a few processes, not one per file). */
export async function dumpValues(files: string[], tag: string): Promise<string[]> {
  const values: string[] = [];
  for (let i = 0; i < files.length; i += 200) {
    const chunk = files.slice(i, i + 200);
    const { stdout } = await run('dcmdump', ['-q', '-Un', '+F', '+P', tag, ...chunk], {
      maxBuffer: 16 << 20,
    });
    const sections = stdout.split(/^# dcmdump \(\d+\/\d+\): .*$/m).slice(1);
    if (sections.length !== chunk.length)
      throw new Error(`dcmdump printed ${sections.length} of ${chunk.length} files`);
    for (const section of sections) values.push(/\[([^\]]*)\]/.exec(section)?.[1] ?? '');
  }
  return values;
}

/** Copies `sources` (paths) to `dir` as `count` files (cycling), each with a new SOP Instance UID. */
export async function makeInstances(
  dir: string,
  sources: readonly string[],
  count: number,
): Promise<string[]> {
  await mkdir(dir, { recursive: true });
  const files: string[] = [];
  for (let i = 0; i < count; i++) {
    const source = sources[i % sources.length];
    const file = join(dir, `${String(i).padStart(4, '0')}-${basename(source)}`);
    await copyFile(source, file);
    await chmod(file, 0o644);
    files.push(file);
  }
  for (let i = 0; i < files.length; i += 200)
    await run('dcmodify', ['-nb', '-q', '-gin', ...files.slice(i, i + 200)]);
  return files;
}

/**
 * A storescu profile with one presentation context per (SOP class, transfer syntax) pair, so each
 * file travels in its own transfer syntax (storescu's default profile would convert some).
 */
export async function writeProfile(files: string[], path: string): Promise<void> {
  const classes = new Set(await dumpValues(files, '0008,0016'));
  const syntaxes = [...ACCEPTED_TRANSFER_SYNTAXES.keys()];
  const lines = ['[[TransferSyntaxes]]'];
  syntaxes.forEach((uid, i) => lines.push(`[TS${i}]`, `TransferSyntax1 = ${uid}`));
  lines.push('[[PresentationContexts]]', '[Each]');
  let n = 0;
  for (const sopClass of classes)
    syntaxes.forEach((_, i) => lines.push(`PresentationContext${++n} = ${sopClass}\\TS${i}`));
  lines.push('[[Profiles]]', '[Each]', 'PresentationContexts = Each');
  await writeFile(path, `${lines.join('\n')}\n`);
}

export function storescu(port: number, calledAe: string, files: string[], extra: string[] = []) {
  return run('storescu', ['-aec', calledAe, ...extra, '127.0.0.1', String(port), ...files], {
    maxBuffer: 16 << 20,
  }).then(
    (r) => ({ code: 0, stderr: r.stderr }),
    (e: { code: number; stderr: string }) => ({ code: e.code, stderr: e.stderr }),
  );
}
