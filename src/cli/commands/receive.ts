/**
 * `receive --port <p> --ae <AE> --inbox <dir> [--screen] [--allow <AE,...>] [--bind <IP address>]
 *  [--model <dir>] [--store <dir>]`
 * A DICOM C-ECHO/C-STORE receiver storing each instance in the inbox as <SOP Instance UID>.dcm;
 * with --screen each stored image is screened into the resumable store (one job per inbox).
 * Runs until SIGINT/SIGTERM (exit 0), 2 for bad arguments, 1 when it cannot start.
 */
import { isIP } from 'node:net';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { UsageError } from '../command';
import { toErrorInfo } from '../../shared/errors';
import { RESEARCH_NOTICE } from '../../shared/notice';
import { createScreeningJobs } from '../../main/app/screening-jobs';
import { startDicomInbox } from '../../main/app/dicom-inbox';
import { validAeTitle, type ReceiverEvent } from '../../main/dicom-network';
import { createInferenceEngine, defaultModelDir, type InferenceEngine } from '../../main/inference';
import { defaultStoreDir } from '../../main/screening';

export const usage =
  'receive --port <p> --ae <AE> --inbox <dir> [--screen] [--allow <AE,...>] [--bind <IP address>] [--model <dir>] [--store <dir>]';

function describe(event: ReceiverEvent): string {
  switch (event.type) {
    case 'association-accepted':
      return `association from ${event.callingAeTitle} (${event.remoteAddress})`;
    case 'association-rejected':
      return `association rejected: ${event.reason}`;
    case 'stored':
      return `${event.instance.isNew ? 'stored' : 'already stored'} ${event.instance.sopInstanceUid} from ${event.instance.callingAeTitle} (${event.instance.bytes} bytes)`;
    case 'store-failed':
      return `store failed for ${event.sopInstanceUid}: ${event.message}`;
    case 'connection-error':
      return `connection error: ${event.message}`;
  }
}

export async function run(argv: string[]): Promise<number> {
  const args = parseArgs({
    args: argv,
    options: {
      port: { type: 'string' },
      ae: { type: 'string' },
      inbox: { type: 'string' },
      screen: { type: 'boolean', default: false },
      allow: { type: 'string' },
      bind: { type: 'string' },
      model: { type: 'string' },
      store: { type: 'string' },
    },
  });
  const { ae, inbox, allow, bind } = args.values;
  const port = Number(args.values.port);
  if (args.values.port === undefined || !Number.isInteger(port) || port < 0 || port > 65535)
    throw new UsageError('expected --port <0-65535>');
  if (!ae || !validAeTitle(ae)) throw new UsageError('expected --ae <AE title, 1-16 characters>');
  if (!inbox) throw new UsageError('expected --inbox <folder>');
  if (bind !== undefined && isIP(bind) === 0)
    throw new UsageError('--bind takes an IP address (e.g. 0.0.0.0 for every interface)');
  const allowed = allow?.split(',').map((t) => t.trim());
  if (allowed && (allowed.length === 0 || !allowed.every(validAeTitle)))
    throw new UsageError('--allow takes a comma-separated list of AE titles');

  let engine: InferenceEngine | null = null;
  if (args.values.screen) {
    try {
      engine = await createInferenceEngine({ modelDir: args.values.model ?? defaultModelDir() });
    } catch (error) {
      const info = toErrorInfo(error);
      console.error(`Cannot load the model: ${info.code}: ${info.message}`);
      return 1;
    }
    console.error(RESEARCH_NOTICE);
  }
  const storeDir = resolve(args.values.store ?? defaultStoreDir());
  const jobs = engine ? createScreeningJobs({ engine, storeDir }) : null;
  let lastProgress = 0;
  try {
    const running = await startDicomInbox({
      port,
      aeTitle: ae,
      inbox,
      bind,
      allowedCallingAeTitles: allowed ?? null,
      onEvent: (event) => console.error(describe(event)),
      screening:
        engine && jobs
          ? {
              jobs,
              storeDir,
              modelSha256: engine.manifest.sha256,
              onProgress: (p) => {
                if (performance.now() - lastProgress < 2000 && p.done < p.total) return;
                lastProgress = performance.now();
                console.error(`screening ${p.jobId}: ${p.done}/${p.total} (${p.errors} errors)`);
              },
            }
          : undefined,
    });
    const { receiver } = running;
    console.log(
      `Receiving as ${receiver.aeTitle} on ${receiver.host}:${receiver.port}; inbox ${running.inbox}` +
        (running.jobId ? `; screening job ${running.jobId} in ${storeDir}` : ''),
    );
    await new Promise<void>((resolveStop) => {
      process.once('SIGINT', () => resolveStop());
      process.once('SIGTERM', () => resolveStop());
    });
    const summary = await running.stop();
    if (summary) console.log(`Screening job ${summary.jobId}: ${summary.done} screened`);
    return 0;
  } catch (error) {
    const info = toErrorInfo(error);
    console.error(`Cannot receive: ${info.code}: ${info.message}`);
    return 1;
  } finally {
    await jobs?.dispose();
    await engine?.dispose();
  }
}
