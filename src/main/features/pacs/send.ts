/**
 * Sending one film's results: the same analysis `predict` and `report` make (src/main/platform/report-files),
 * the result objects with their stable UIDs, queued on disk, then sent. A refusal leaves the entry
 * queued (state 'failed', with the PACS's reason) for the next `sendPending`.
 */
import type { OutboxEntry } from '../../../shared/pacs';
import type { OperatingPoint } from '../../../shared/verdict';
import type { InferenceEngine } from '../../platform/inference';
import { analyseFile } from '../../platform/report-files';
import type { ReportDevice } from '../../platform/reporting';
import type { PacsPeer } from './client';
import type { Outbox } from './outbox';
import { buildPacsResults, type PacsResultKind } from './results';

/** Scores `path` and queues its results for `peer` (does not send). */
export async function queueFilmResults(options: {
  engine: InferenceEngine;
  outbox: Outbox;
  connectionId: string;
  peer: PacsPeer;
  path: string;
  frameIndex?: number;
  kinds: readonly PacsResultKind[];
  device: ReportDevice;
  /** The active site profile's operating point (named in the SR and PDF sent). */
  operatingPoint?: OperatingPoint | null;
}): Promise<OutboxEntry> {
  const analysed = await analyseFile({
    engine: options.engine,
    path: options.path,
    frameIndex: options.frameIndex ?? 0,
    device: options.device,
    operatingPoint: options.operatingPoint ?? null,
  });
  const results = await buildPacsResults(analysed, options.kinds);
  return options.outbox.enqueue({
    connectionId: options.connectionId,
    peer: options.peer,
    sourcePath: options.path,
    results,
  });
}
