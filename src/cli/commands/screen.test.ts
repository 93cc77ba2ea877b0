/**
 * The CLI as a user runs it (a child process): a batch killed with SIGKILL part-way and resumed
 * loses and duplicates no row; the source files are byte-identical afterwards; and no network
 * connection is attempted in any thread (a --require preload traps net/dns/http/https/tls/fetch
 * in the main thread and in the inference worker, and logs every attempt).
 */
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PNG } from 'pngjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ScreeningRow } from '../../shared/screening';
import { CXR_IMAGES, DICOM_DIR, testModelDir } from '../../main/inference/test-support';
import { ScreeningSources, walkFiles } from '../../main/screening';
import { spawnCli } from '../test-support';

let scratch: string;
let trapLog: string;

function cli(args: string[]) {
  return spawnCli(args, { trapLog });
}

async function sha256Tree(root: string): Promise<Map<string, string>> {
  const sums = new Map<string, string>();
  for await (const file of walkFiles([root]))
    sums.set(
      file,
      createHash('sha256')
        .update(await readFile(file))
        .digest('hex'),
    );
  return sums;
}

async function rowsFileOf(storeDir: string): Promise<string | null> {
  if (!existsSync(storeDir)) return null;
  for (const job of await readdir(storeDir)) {
    const path = join(storeDir, job, 'rows.jsonl');
    if (existsSync(path)) return path;
  }
  return null;
}

async function countLines(path: string | null): Promise<number> {
  if (path === null) return 0;
  return (await readFile(path, 'utf8')).split('\n').filter(Boolean).length;
}

beforeAll(async () => {
  scratch = await mkdtemp(join(tmpdir(), 'covidnet-cli-'));
  trapLog = join(scratch, 'network-trap.jsonl');
});
afterAll(async () => {
  await rm(scratch, { recursive: true, force: true });
});

interface TrapEntry {
  pid: number;
  threadId: number;
  installed?: boolean;
  attempt?: string;
  local?: string;
}

async function trapEntries(): Promise<TrapEntry[]> {
  if (!existsSync(trapLog)) return [];
  return (await readFile(trapLog, 'utf8'))
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as TrapEntry);
}

describe('screen CLI', () => {
  it('resumes a batch killed with SIGKILL without losing or duplicating a row, and never writes the sources', async () => {
    const before = await sha256Tree(DICOM_DIR);
    const storeDir = join(scratch, 'store');
    const args = ['screen', DICOM_DIR, '--model', testModelDir(), '--store', storeDir];

    const first = cli([...args, '--out', join(scratch, 'first.csv')]);
    // Kill once 20 rows are on disk (polling the store, as a crash could come at any moment).
    let killedAt = 0;
    for (let i = 0; i < 1200; i++) {
      killedAt = await countLines(await rowsFileOf(storeDir));
      if (killedAt >= 20) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    first.kill();
    const killed = await first.done;
    expect(killed.signal).toBe('SIGKILL');
    expect(killedAt).toBeGreaterThanOrEqual(20);

    const second = await cli([...args, '--resume', '--out', join(scratch, 'resumed.csv')]).done;
    expect(second.code, second.stderr).toBe(0);
    expect(second.stdout).toMatch(/carried over/);

    // Every line of the row log is a complete row, each file exactly once.
    const lines = (await readFile((await rowsFileOf(storeDir)) as string, 'utf8'))
      .split('\n')
      .filter(Boolean);
    const rows = lines.map((l) => JSON.parse(l) as ScreeningRow);
    const paths = rows.map((r) => r.path);
    expect(new Set(paths).size).toBe(paths.length);
    // ...and nothing is missing: the rows are exactly what the walk yields.
    const sources = new ScreeningSources([DICOM_DIR]);
    const total = await sources.count();
    const expected: string[] = [];
    for await (const item of sources.items()) expected.push(item.path);
    expect(expected).toHaveLength(total);
    expect([...paths].sort()).toEqual([...expected].sort());

    const csv = (await readFile(join(scratch, 'resumed.csv'), 'utf8')).trim().split('\n');
    expect(csv).toHaveLength(total + 1);

    expect(await sha256Tree(DICOM_DIR)).toEqual(before);
  }, 600_000);

  it('rejects bad arguments with exit code 2', async () => {
    expect((await cli(['screen', DICOM_DIR]).done).code).toBe(2); // no --out
    expect(
      (await cli(['screen', join(scratch, 'missing'), '--out', join(scratch, 'x.csv')]).done).code,
    ).toBe(2);
    expect((await cli(['screen', DICOM_DIR, '--out', 'x.csv', '--bogus']).done).code).toBe(2);
  }, 120_000);
});

describe('predict CLI', () => {
  it('prints the prediction with the research notice and writes the heatmap PNG', async () => {
    const image = join(CXR_IMAGES, 'cohen-16745_4_1_png.jpg');
    const heatmap = join(scratch, 'heatmap.png');
    const text = await cli(['predict', image, '--model', testModelDir(), '--heatmap', heatmap])
      .done;
    expect(text.code, text.stderr).toBe(0);
    expect(text.stdout).toMatch(/research/i);
    // The result statement first: a call's class, or what the result hesitates between.
    expect(text.stdout).toMatch(
      /Result: +(Call: (normal|pneumonia|COVID-19)|Uncertain: [^\n]+ or \S+|Unfamiliar film)\n/,
    );
    expect(text.stdout).not.toMatch(/Prediction|Predicted/);
    // The film, then a legend band that names the class the heatmap explains.
    const png = PNG.sync.read(await readFile(heatmap));
    expect(png.width).toBe(440);
    expect(png.height).toBeGreaterThan(512);

    const json = await cli(['predict', image, '--model', testModelDir(), '--json']).done;
    expect(json.code, json.stderr).toBe(0);
    const result = JSON.parse(json.stdout) as {
      probabilities: number[];
      executionProvider: string;
      statement: { headline: string };
    };
    expect(result.probabilities).toHaveLength(3);
    // The text and the JSON say the same thing.
    expect(text.stdout).toContain(`Result:     ${result.statement.headline}\n`);
    expect(result.executionProvider).toBe('cpu');
  }, 120_000);
});

describe('network', () => {
  it('no connection was attempted by any CLI run, in the main thread or the inference worker', async () => {
    const entries = await trapEntries();
    expect(entries.filter((e) => e.attempt)).toEqual([]);
    // Local IPC only: tsx (the dev loader) talks to its parent over a Unix socket in tmpdir.
    for (const e of entries.filter((x) => x.local)) expect(e.local).toMatch(/tsx-\d+/);
    // The trap was live in every CLI process's main thread and in its worker threads (the
    // inference worker; with tsx also its module-hooks thread).
    const pids = [...new Set(entries.map((e) => e.pid))];
    expect(pids.length).toBeGreaterThanOrEqual(5);
    for (const pid of pids) {
      const threads = new Set(
        entries.filter((e) => e.pid === pid && e.installed).map((e) => e.threadId),
      );
      expect(threads.has(0)).toBe(true);
    }
    const withWorkers = pids.filter(
      (pid) => entries.filter((e) => e.pid === pid && e.installed && e.threadId > 0).length >= 1,
    );
    expect(withWorkers.length).toBeGreaterThanOrEqual(4);
  });
});
