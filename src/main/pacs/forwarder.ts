/**
 * Headless nodes: follows a screening job and sends each scored or rejected film's results to one
 * PACS through the outbox. At start it sends what an earlier run left queued; afterwards each
 * screening progress event queues the rows not yet handled, and failed entries are retried on a
 * timer. The outbox knows which films were handled (by source path), so a restart neither loses
 * nor repeats one; and the stable result UIDs make a repeat harmless anyway.
 */
import { toErrorInfo } from '../../shared/errors';
import type { OutboxEntry } from '../../shared/pacs';
import type { ScreeningRow } from '../../shared/screening';
import type { InferenceEngine } from '../inference';
import type { ReportDevice } from '../reporting';
import type { PacsPeer } from './client';
import type { Outbox } from './outbox';
import type { PacsResultKind } from './results';
import type { OperatingPoint } from '../../shared/verdict';
import { queueFilmResults } from './send';

export interface ResultForwarder {
  /** Call on each screening progress event (cheap: work is coalesced). */
  poke(): void;
  /** Queues and sends whatever is left, then stops the retry timer. */
  finish(): Promise<void>;
}

export function createResultForwarder(options: {
  engine: InferenceEngine;
  outbox: Outbox;
  peer: PacsPeer;
  connectionId: string;
  kinds: readonly PacsResultKind[];
  device: ReportDevice;
  /** The site profile the films were screened with (named in the SR and PDF sent). */
  operatingPoint?: OperatingPoint | null;
  /** The job's rows so far. */
  rows: () => Promise<ScreeningRow[]>;
  retryEveryMs?: number;
  onEntry?: (entry: OutboxEntry) => void;
  onProblem?: (message: string) => void;
}): ResultForwarder {
  const handled = new Set<string>();
  let loaded = false;
  let running: Promise<void> | null = null;
  let again = false;

  async function pass(): Promise<void> {
    if (!loaded) {
      for (const entry of await options.outbox.list()) handled.add(entry.sourcePath);
      loaded = true;
    }
    const fresh = (await options.rows().catch(() => [])).filter(
      (row) => (row.status === 'ok' || row.status === 'rejected') && !handled.has(row.path),
    );
    for (const row of fresh) {
      handled.add(row.path);
      try {
        await queueFilmResults({ ...options, path: row.path, frameIndex: row.frame });
      } catch (error) {
        options.onProblem?.(`results of ${row.path}: ${toErrorInfo(error).message}`);
      }
    }
    for (const entry of await options.outbox.sendPending()) options.onEntry?.(entry);
  }

  function poke(): void {
    if (running) {
      again = true;
      return;
    }
    running = (async () => {
      do {
        again = false;
        await pass().catch((error: unknown) => options.onProblem?.(toErrorInfo(error).message));
      } while (again);
      running = null;
    })();
  }

  const timer = setInterval(poke, options.retryEveryMs ?? 30_000);
  timer.unref();
  poke();

  return {
    poke,
    async finish() {
      clearInterval(timer);
      while (running) await running;
      await pass();
    },
  };
}
