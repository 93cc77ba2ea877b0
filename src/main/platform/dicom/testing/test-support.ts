/** Helpers for tests: the shared (read-only) data folder, DCMTK and PIL references. */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

/** `../shared/data` next to the repository root; never written to. */
export function sharedDataDir(...parts: string[]): string {
  return resolve(__dirname, '../../../../../../shared/data', ...parts);
}

export function dicomPath(name: string): string {
  return sharedDataDir('dicom', name);
}

export function hasTool(name: string): boolean {
  return spawnSync('which', [name]).status === 0;
}

export function withTempDir<T>(fn: (dir: string) => T): T {
  const dir = mkdtempSync(join(tmpdir(), 'covidnet-test-'));
  const cleanup = (): void => rmSync(dir, { recursive: true, force: true });
  let result: T;
  try {
    result = fn(dir);
  } catch (error) {
    cleanup();
    throw error;
  }
  if (result instanceof Promise) return result.finally(cleanup) as T;
  cleanup();
  return result;
}

/** PGM/PPM (P2/P3 ASCII, P5/P6 binary) -> samples (16-bit big-endian when maxval > 255). */
export function readPnm(path: string): {
  width: number;
  height: number;
  maxval: number;
  channels: number;
  data: number[];
} {
  const bytes = readFileSync(path);
  const tokens: string[] = [];
  let pos = 0;
  while (tokens.length < 4) {
    while (/\s/.test(String.fromCharCode(bytes[pos]))) pos++;
    if (bytes[pos] === 0x23) {
      while (bytes[pos] !== 0x0a) pos++;
      continue;
    }
    let token = '';
    while (!/\s/.test(String.fromCharCode(bytes[pos]))) token += String.fromCharCode(bytes[pos++]);
    tokens.push(token);
  }
  pos++;
  const [magic, w, h, m] = tokens;
  const width = Number(w);
  const height = Number(h);
  const maxval = Number(m);
  const channels = magic === 'P6' || magic === 'P3' ? 3 : 1;
  const n = width * height * channels;
  if (magic === 'P2' || magic === 'P3') {
    const values = bytes.toString('latin1', pos).trim().split(/\s+/).map(Number);
    return { width, height, maxval, channels, data: values.slice(0, n) };
  }
  const data = new Array<number>(n);
  for (let i = 0; i < n; i++)
    data[i] = maxval > 255 ? bytes.readUInt16BE(pos + 2 * i) : bytes[pos + i];
  return { width, height, maxval, channels, data };
}

/** Runs a DCMTK tool and returns the PNM it wrote. */
export function dcmtkToPnm(
  tool: string,
  args: string[],
  input: string,
): ReturnType<typeof readPnm> {
  return withTempDir((dir) => {
    const out = join(dir, 'out.pnm');
    execFileSync(tool, [...args, input, out], { stdio: 'pipe' });
    return readPnm(out);
  });
}

/** Decompresses with DCMTK (dcmdjpeg/dcmdjpls/dcmdrle) into a temp file and hands its path to `fn`. */
export function dcmtkDecompressed<T>(
  tool: string,
  input: string,
  fn: (path: string) => Promise<T>,
): Promise<T> {
  const dir = mkdtempSync(join(tmpdir(), 'covidnet-dcmtk-'));
  const out = join(dir, 'out.dcm');
  execFileSync(tool, [input, out], { stdio: 'pipe' });
  return fn(out).finally(() => rmSync(dir, { recursive: true, force: true }));
}

/** PIL's decode of an image to 8-bit gray ("L"), as the training side does. */
export function pilGray(
  path: string,
): { width: number; height: number; data: Uint8Array } | undefined {
  if (!existsSync('/usr/bin/python3')) return undefined;
  const script =
    'import sys; from PIL import Image; im = Image.open(sys.argv[1]).convert("L"); ' +
    'sys.stdout.write("%d %d\\n" % im.size); sys.stdout.flush(); sys.stdout.buffer.write(im.tobytes())';
  const result = spawnSync('/usr/bin/python3', ['-c', script, path], { maxBuffer: 1 << 28 });
  if (result.status !== 0) return undefined;
  const out = result.stdout;
  const newline = out.indexOf(0x0a);
  const [width, height] = out.subarray(0, newline).toString().split(' ').map(Number);
  return { width, height, data: new Uint8Array(out.subarray(newline + 1)) };
}
