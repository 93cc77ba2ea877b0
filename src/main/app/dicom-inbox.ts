/**
 * The DICOM inbox: a receiver (src/main/dicom-network) that stores instances in a folder and,
 * with screening on, a screening job over that folder that follows it (the same service, store
 * and resume as a folder batch). The network side never touches the store: each stored path is
 * handed to the job's feed. One job per inbox folder and model: a restart continues it, and its
 * catch-up walk screens whatever arrived while the job was not running.
 */
import { resolve } from 'node:path';
import type { ScreeningJobSummary, ScreeningProgress, ScreeningRow } from '../../shared/screening';
import {
  startReceiver,
  type DicomReceiver,
  type ReceiverEvent,
  type ReceiverOptions,
} from '../dicom-network';
import { jobKey, listJobManifests } from '../screening';
import type { ScreeningJobs } from './screening-jobs';

/** An unbounded async queue of paths: `push` never waits, iteration ends after `end`. */
export class PathFeed implements AsyncIterable<string> {
  private readonly items: string[] = [];
  private ended = false;
  private wake: (() => void) | null = null;

  push(path: string): void {
    if (this.ended) return;
    this.items.push(path);
    this.wake?.();
  }

  end(): void {
    this.ended = true;
    this.wake?.();
  }

  async *[Symbol.asyncIterator](): AsyncGenerator<string> {
    for (;;) {
      const next = this.items.shift();
      if (next !== undefined) {
        yield next;
        continue;
      }
      if (this.ended) return;
      await new Promise<void>((wake) => (this.wake = wake));
      this.wake = null;
    }
  }
}

export interface DicomInboxOptions extends Omit<ReceiverOptions, 'onEvent'> {
  /** Screen each stored instance; needs `screening` (and its store). */
  screening?: {
    jobs: ScreeningJobs;
    storeDir: string;
    modelSha256: string;
    onProgress?: (progress: ScreeningProgress) => void;
    /** Each film's row once it is stored (the receiver's log line, its CSV). */
    onRow?: (row: ScreeningRow) => void;
  };
  onEvent?: (event: ReceiverEvent) => void;
}

export interface DicomInbox {
  receiver: DicomReceiver;
  inbox: string;
  /** The screening job following the inbox, or null without screening. */
  jobId: string | null;
  /** Stops receiving, lets the job screen what was already stored, and returns its summary. */
  stop(): Promise<ScreeningJobSummary | null>;
}

/** The newest job (finished or not) over exactly this inbox with this model. */
async function inboxJobId(storeDir: string, inbox: string, modelSha256: string) {
  const key = jobKey([inbox], modelSha256);
  const jobs = (await listJobManifests(storeDir)).filter((job) => job.key === key);
  return jobs.length > 0 ? jobs[jobs.length - 1].jobId : undefined;
}

export async function startDicomInbox(options: DicomInboxOptions): Promise<DicomInbox> {
  const inbox = resolve(options.inbox);
  const feed = new PathFeed();
  const receiver = await startReceiver({
    ...options,
    inbox,
    onEvent: (event) => {
      if (event.type === 'stored') feed.push(event.instance.path);
      options.onEvent?.(event);
    },
  });
  if (!options.screening) {
    feed.end();
    return { receiver, inbox, jobId: null, stop: async () => (await receiver.close(), null) };
  }
  const { jobs, storeDir, modelSha256, onProgress, onRow } = options.screening;
  let started: { jobId: string; finished: Promise<ScreeningJobSummary> };
  try {
    started = await jobs.start([inbox], {
      resumeJobId: await inboxJobId(storeDir, inbox, modelSha256),
      follow: feed,
      onProgress: (progress) => onProgress?.(progress),
      onRow,
    });
  } catch (error) {
    await receiver.close();
    throw error;
  }
  return {
    receiver,
    inbox,
    jobId: started.jobId,
    async stop() {
      await receiver.close();
      feed.end();
      return started.finished;
    },
  };
}
