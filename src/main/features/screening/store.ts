/**
 * The screening store: one folder per job under `storeDir` (never inside the screened folders).
 *   job.json    the job manifest, replaced atomically (write temp, fsync, rename, fsync dir)
 *   rows.jsonl  one ScreeningRow per line, appended (one write per row) and fsync'd at least every
 *               200 ms: a kill loses nothing (the page cache survives it); a power cut loses at
 *               most the last 200 ms of rows, which a resume screens again (done = rows in the log)
 * A process killed at any moment leaves at most a torn last line, which `openRowLog` cuts off
 * before appending again; so resuming neither loses a written row nor duplicates one.
 */
import { createHash, randomBytes } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, open, readdir, readFile, stat, type FileHandle } from 'node:fs/promises';
import { cutTornTail, writeFileDurably } from '../../base/durable-file';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import type { ScreeningJobSummary, ScreeningRow, ScreeningState } from '../../../shared/screening';

export const JOB_FILE = 'job.json';
export const ROWS_FILE = 'rows.jsonl';

export interface JobManifest {
  jobId: string;
  /** Same folders + same model => same key; `--resume` looks jobs up by it. */
  key: string;
  folders: string[];
  modelId: string;
  modelSha256: string;
  labels: string[];
  createdAt: string;
  updatedAt: string;
  state: ScreeningState;
  total: number;
  done: number;
  errors: number;
}

/** The CLI's default store: ~/.covidnet-workstation/screening (the app passes its userData). */
export function defaultStoreDir(): string {
  return join(homedir(), '.covidnet-workstation', 'screening');
}

export function jobKey(folders: string[], modelSha256: string): string {
  const canonical = JSON.stringify({
    folders: folders.map((f) => resolve(f)).sort(),
    model: modelSha256.toLowerCase(),
  });
  return createHash('sha256').update(canonical).digest('hex').slice(0, 16);
}

/** Sortable, unique, and valid as an IPC opaque id: 20261125T173000Z-<key8>-<rand4>. */
export function newJobId(key: string, now = new Date()): string {
  const stamp = now
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d+Z$/, 'Z');
  return `${stamp}-${key.slice(0, 8)}-${randomBytes(2).toString('hex')}`;
}

export function jobDir(storeDir: string, jobId: string): string {
  if (!/^[A-Za-z0-9_-]+$/.test(jobId)) throw new RangeError(`invalid job id ${jobId}`);
  return join(storeDir, jobId);
}

export async function writeJobManifest(storeDir: string, job: JobManifest): Promise<void> {
  await writeFileDurably(
    join(jobDir(storeDir, job.jobId), JOB_FILE),
    `${JSON.stringify(job, null, 2)}\n`,
  );
}

export async function readJobManifest(
  storeDir: string,
  jobId: string,
): Promise<JobManifest | null> {
  try {
    return JSON.parse(
      await readFile(join(jobDir(storeDir, jobId), JOB_FILE), 'utf8'),
    ) as JobManifest;
  } catch {
    return null;
  }
}

export async function listJobManifests(storeDir: string): Promise<JobManifest[]> {
  let names: string[];
  try {
    names = await readdir(storeDir);
  } catch {
    return [];
  }
  const jobs: JobManifest[] = [];
  for (const name of names.sort()) {
    if (!/^[A-Za-z0-9_-]+$/.test(name)) continue;
    const job = await readJobManifest(storeDir, name);
    if (job) jobs.push(job);
  }
  return jobs;
}

/** The newest job with this key that has not finished, or null. */
export async function findResumableJob(storeDir: string, key: string): Promise<JobManifest | null> {
  const jobs = (await listJobManifests(storeDir)).filter(
    (j) => j.key === key && j.state !== 'finished',
  );
  return jobs.length > 0 ? jobs[jobs.length - 1] : null;
}

export function rowKey(row: Pick<ScreeningRow, 'path' | 'frame'>): string {
  return `${row.frame}:${row.path}`;
}

/** Streams the complete rows of a job (a torn last line is ignored; duplicates keep the first). */
export async function* readRows(storeDir: string, jobId: string): AsyncGenerator<ScreeningRow> {
  const path = join(jobDir(storeDir, jobId), ROWS_FILE);
  try {
    await stat(path);
  } catch {
    return;
  }
  const seen = new Set<string>();
  const lines = createInterface({
    input: createReadStream(path, { encoding: 'utf8' }),
    crlfDelay: Infinity,
  });
  for await (const line of lines) {
    if (line.length === 0) continue;
    let row: ScreeningRow;
    try {
      row = JSON.parse(line) as ScreeningRow;
    } catch {
      continue; // torn line from a kill mid-write
    }
    const key = rowKey(row);
    if (seen.has(key)) continue;
    seen.add(key);
    yield row;
  }
}

export async function readAllRows(storeDir: string, jobId: string): Promise<ScreeningRow[]> {
  const rows: ScreeningRow[] = [];
  for await (const row of readRows(storeDir, jobId)) rows.push(row);
  return rows;
}

/** Interval of the group commit: one fsync per row cost more than the model on small films. */
const SYNC_INTERVAL_MS = 200;

/** Append-only row log with group-committed fsyncs. */
export class RowLog {
  private lastSync = performance.now();
  private constructor(private readonly handle: FileHandle) {}

  /** Opens (creating) the log; cuts off a torn last line so the next append starts clean. */
  static async open(storeDir: string, jobId: string): Promise<RowLog> {
    const dir = jobDir(storeDir, jobId);
    await mkdir(dir, { recursive: true });
    const handle = await open(join(dir, ROWS_FILE), 'a+');
    await cutTornTail(handle);
    return new RowLog(handle);
  }

  async append(row: ScreeningRow): Promise<void> {
    // One write per row, so a kill can only tear this line (cut off on reopen).
    await this.handle.write(`${JSON.stringify(row)}\n`);
    if (performance.now() - this.lastSync >= SYNC_INTERVAL_MS) await this.sync();
  }

  private async sync(): Promise<void> {
    await this.handle.datasync();
    this.lastSync = performance.now();
  }

  async close(): Promise<void> {
    await this.sync();
    await this.handle.close();
  }
}

export function summarise(job: JobManifest, live: boolean): ScreeningJobSummary {
  const state: ScreeningJobSummary['state'] =
    !live && (job.state === 'running' || job.state === 'scanning') ? 'interrupted' : job.state;
  return {
    jobId: job.jobId,
    folders: job.folders,
    modelId: job.modelId,
    labels: job.labels,
    createdAt: job.createdAt,
    state,
    total: job.total,
    done: job.done,
    errors: job.errors,
  };
}
