/**
 * Screening jobs as the app sees them: start (returns the job id as soon as the job exists),
 * cancel, list, results and export, over the screening module's `runScreening` and its store.
 */
import { writeFile } from 'node:fs/promises';
import { CodedError } from '../../shared/errors';
import type { ScreeningJobSummary, ScreeningProgress, ScreeningRow } from '../../shared/screening';
import type { OperatingPoint } from '../../shared/verdict';
import type { DecodePool } from '../decode-pool';
import type { InferenceEngine } from '../inference';
import {
  listJobManifests,
  readAllRows,
  readJobManifest,
  rowsToCsv,
  rowsToJson,
  runScreening,
  sortForTriage,
  summarise,
  type JobManifest,
} from '../screening';

export interface ScreeningJobs {
  start(
    folders: string[],
    options: {
      resumeJobId?: string;
      onProgress: (progress: ScreeningProgress) => void;
      /** Live folder: new paths to screen after the walk (see ScreeningOptions.follow). */
      follow?: AsyncIterable<string>;
      /** Each row once it is stored. */
      onRow?: (row: ScreeningRow) => void;
    },
  ): Promise<{ jobId: string; finished: Promise<ScreeningJobSummary> }>;
  cancel(jobId: string): boolean;
  listJobs(): Promise<ScreeningJobSummary[]>;
  results(jobId: string): Promise<{ labels: string[]; rows: ScreeningRow[] }>;
  exportCsv(jobId: string, path: string): Promise<void>;
  exportJson(jobId: string, path: string): Promise<void>;
  /** Cancels every running job and waits for them to stop. */
  dispose(): Promise<void>;
}

export function createScreeningJobs(options: {
  engine: InferenceEngine;
  storeDir: string;
  /** Shared decode workers (default: each job starts its own). */
  decodePool?: DecodePool;
  /** The active site profile's operating point when a job starts (UI and DICOM inbox alike). */
  operatingPoint?: () => Promise<OperatingPoint | null>;
}): ScreeningJobs {
  const { engine, storeDir, decodePool } = options;
  const running = new Map<string, { controller: AbortController; finished: Promise<unknown> }>();

  async function requireJob(jobId: string): Promise<JobManifest> {
    const job = await readJobManifest(storeDir, jobId);
    if (!job) throw new CodedError('INVALID_REQUEST', `No screening job ${jobId}`);
    return job;
  }

  return {
    async start(folders, { resumeJobId, onProgress, follow, onRow }) {
      const controller = new AbortController();
      const operatingPoint = (await options.operatingPoint?.()) ?? null;
      return new Promise((resolveStart, rejectStart) => {
        let jobId: string | null = null;
        const finished = runScreening({
          folders,
          storeDir,
          engine,
          decodePool,
          jobId: resumeJobId,
          follow,
          operatingPoint,
          onRow,
          signal: controller.signal,
          onProgress: (progress) => {
            if (jobId === null) {
              // The first progress event is sent once the job is stored: the id is now usable.
              jobId = progress.jobId;
              running.set(jobId, { controller, finished });
              resolveStart({ jobId, finished: finished.then((outcome) => outcome.job) });
            }
            onProgress(progress);
          },
        });
        finished.then(
          () => {
            if (jobId !== null) running.delete(jobId);
          },
          (error: unknown) => {
            if (jobId !== null) running.delete(jobId);
            rejectStart(error); // no effect once started
          },
        );
      });
    },
    cancel(jobId) {
      const job = running.get(jobId);
      if (!job) return false;
      job.controller.abort();
      return true;
    },
    async listJobs() {
      const jobs = await listJobManifests(storeDir);
      return jobs.map((job) => summarise(job, running.has(job.jobId)));
    },
    async results(jobId) {
      const job = await requireJob(jobId);
      return {
        labels: job.labels,
        rows: sortForTriage(await readAllRows(storeDir, jobId), job.labels),
      };
    },
    async exportCsv(jobId, path) {
      const job = await requireJob(jobId);
      await writeFile(path, rowsToCsv(await readAllRows(storeDir, jobId), job.labels), 'utf8');
    },
    async exportJson(jobId, path) {
      const job = await requireJob(jobId);
      const rows = await readAllRows(storeDir, jobId);
      const { jobId: id, modelId, labels, folders } = job;
      await writeFile(path, rowsToJson(rows, { jobId: id, modelId, labels, folders }), 'utf8');
    },
    async dispose() {
      const jobs = [...running.values()];
      for (const job of jobs) job.controller.abort();
      await Promise.allSettled(jobs.map((job) => job.finished));
    },
  };
}
