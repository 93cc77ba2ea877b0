import { appendFile, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ScreeningRow } from '../../../shared/screening';
import {
  jobKey,
  readAllRows,
  RowLog,
  ROWS_FILE,
  writeJobManifest,
  findResumableJob,
  newJobId,
  type JobManifest,
} from './store';

let storeDir: string;
beforeAll(async () => {
  storeDir = await mkdtemp(join(tmpdir(), 'covidnet-store-'));
});
afterAll(async () => {
  await rm(storeDir, { recursive: true, force: true });
});

function row(path: string): ScreeningRow {
  return {
    path,
    frame: 0,
    status: 'ok',
    errorCode: null,
    errorMessage: null,
    probabilities: [0.2, 0.3, 0.5],
    prediction: 'COVID-19',
    modelId: 'm',
    executionProvider: 'cpu',
    ms: 1,
  };
}

describe('RowLog', () => {
  it('cuts a torn last line before appending, so no row is lost or duplicated', async () => {
    const jobId = 'job-torn';
    const log = await RowLog.open(storeDir, jobId);
    await log.append(row('/a'));
    await log.append(row('/b'));
    await log.close();
    // A kill in the middle of writing the third row.
    await appendFile(join(storeDir, jobId, ROWS_FILE), JSON.stringify(row('/c')).slice(0, 25));
    expect((await readAllRows(storeDir, jobId)).map((r) => r.path)).toEqual(['/a', '/b']);

    const resumed = await RowLog.open(storeDir, jobId);
    await resumed.append(row('/c'));
    await resumed.close();
    const text = await readFile(join(storeDir, jobId, ROWS_FILE), 'utf8');
    expect(
      text
        .split('\n')
        .filter(Boolean)
        .map((l) => (JSON.parse(l) as ScreeningRow).path),
    ).toEqual(['/a', '/b', '/c']);
  });

  it('reads duplicate rows once', async () => {
    const log = await RowLog.open(storeDir, 'job-dup');
    await log.append(row('/a'));
    await log.append(row('/a'));
    await log.close();
    expect(await readAllRows(storeDir, 'job-dup')).toHaveLength(1);
  });
});

describe('job manifests', () => {
  it('finds the newest unfinished job for the same folders and model', async () => {
    const key = jobKey(['/data/x', '/data/y'], 'AB'.repeat(32));
    expect(jobKey(['/data/y', '/data/x'], 'ab'.repeat(32))).toBe(key);
    const base: Omit<JobManifest, 'jobId' | 'state'> = {
      key,
      folders: ['/data/x', '/data/y'],
      modelId: 'm',
      modelSha256: 'ab'.repeat(32),
      labels: ['a', 'b'],
      createdAt: '',
      updatedAt: '',
      total: 0,
      done: 0,
      errors: 0,
    };
    const older = newJobId(key, new Date('2026-01-01T00:00:00Z'));
    const newer = newJobId(key, new Date('2026-01-02T00:00:00Z'));
    const finished = newJobId(key, new Date('2026-01-03T00:00:00Z'));
    await writeJobManifest(storeDir, { ...base, jobId: older, state: 'running' });
    await writeJobManifest(storeDir, { ...base, jobId: newer, state: 'cancelled' });
    await writeJobManifest(storeDir, { ...base, jobId: finished, state: 'finished' });
    expect((await findResumableJob(storeDir, key))?.jobId).toBe(newer);
    expect(await findResumableJob(storeDir, jobKey(['/other'], 'ab'.repeat(32)))).toBeNull();
  });
});
