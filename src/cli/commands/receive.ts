/**
 * `receive --port <p> --ae <AE> --inbox <dir> [--screen] [--allow <AE,...>] [--bind <IP address>]
 *  [--model <dir>] [--store <dir>] [--send-results-to <AET@host:port> [--send-heatmap] [--send-pdf]
 *  [--outbox <dir>]]`
 * A DICOM C-ECHO/C-STORE receiver storing each instance in the inbox as <SOP Instance UID>.dcm;
 * with --screen each stored image is screened into the resumable store (one job per inbox); with
 * --send-results-to (a headless screening node) each result's SR is C-STOREd to that PACS through
 * an on-disk outbox (kept across restarts; failed sends are retried).
 * Runs until SIGINT/SIGTERM (exit 0), 2 for bad arguments, 1 when it cannot start.
 */
import { rename } from 'node:fs/promises';
import { isIP } from 'node:net';
import { basename, dirname, join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { UsageError } from '../command';
import { toErrorInfo } from '../../shared/errors';
import type { ScreeningRow } from '../../shared/screening';
import type { OperatingPoint } from '../../shared/verdict';
import { jobDir, reasonCell, rowStatement } from '../../main/screening';
import { outputFileOption } from '../arguments';
import {
  MODEL_OPTION,
  optionsHelp,
  OUTBOX_OPTION,
  SEND_RESULT_KIND_OPTIONS,
  SITE_PROFILE_HELP,
  STORE_OPTION,
} from '../help';
import { SITE_PROFILE_OPTIONS, siteProfileOption } from '../site-profile-option';
import { createScreeningJobs } from '../../main/app/screening-jobs';
import { startDicomInbox } from '../../main/app/dicom-inbox';
import { DEFAULT_BIND_ADDRESS, type ReceiverEvent } from '../../main/dicom-network';
import type { InferenceEngine } from '../../main/inference';
import { createOutbox, parsePacsAddress, type PacsResultKind } from '../../main/pacs';
import { createResultForwarder, type ResultForwarder } from '../../main/pacs/forwarder';
import { workstationDevice } from '../../main/reporting';
import {
  aeTitleOption,
  loadEngineOption,
  portOption,
  SCREENING_OPTIONS,
  storeDirOption,
} from '../screening-options';
import { cliSoftwareVersion } from './report';

export const usage = [
  'receive --port <p> --ae <AE> --inbox <dir> [--screen [--out <results.csv>] [--site-profile <name>]] [--allow <AE,...>] [--bind <IP address>] [--model <dir>] [--store <dir>] [--send-results-to <AET@host:port> [--send-heatmap] [--send-pdf] [--outbox <dir>]]',
  '',
  'A DICOM receiver (C-ECHO, C-STORE) storing each instance in the inbox; with --screen each',
  'film is screened as it arrives (one log line per film, and a results CSV). Runs until Ctrl-C.',
  '',
  optionsHelp([
    { flag: '--port <p>', text: 'the port to listen on; 0 picks a free one (required)' },
    { flag: '--ae <AE>', text: 'our AE title, 1-16 characters (required)' },
    { flag: '--inbox <dir>', text: 'where received instances are stored (required)' },
    {
      flag: '--allow <AE,...>',
      text: 'only these calling AE titles may connect',
      default: 'any AE title',
    },
    {
      flag: '--bind <IP address>',
      text: 'the address to listen on (0.0.0.0: every interface)',
      default: DEFAULT_BIND_ADDRESS,
    },
    { flag: '--screen', text: 'screen each stored film', default: 'off' },
    {
      flag: '--out <results.csv>',
      text: 'the results CSV, rewritten as films arrive (with --screen)',
      default: 'results.csv in the job folder in the store',
    },
    MODEL_OPTION,
    STORE_OPTION,
    ...SITE_PROFILE_HELP,
    {
      flag: '--send-results-to <AET@host:port>',
      text: "send each film's results (DICOM SR) to this PACS (with --screen)",
      default: 'not sent',
    },
    ...SEND_RESULT_KIND_OPTIONS,
    OUTBOX_OPTION,
  ]),
].join('\n');

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

/**
 * One line per screened film for the receiver's log: the result statement's line (scored films
 * and those the chest gate turned away); a file without a result says why.
 */
function filmLine(row: ScreeningRow, labels: string[]): string {
  const statement = rowStatement(row, labels);
  const what = statement?.line ?? `${row.status} (${reasonCell(row) || 'no reason recorded'})`;
  return `screened ${basename(row.path)}: ${what}`;
}

/**
 * The job's results as a CSV (the same as `screen --out`), rewritten atomically after each film
 * (at most every 2 s while films arrive) and once more at the end, so it is never half-written.
 */
class ResultsCsv {
  private timer: NodeJS.Timeout | null = null;
  private writing: Promise<void> = Promise.resolve();
  private pending = false;

  constructor(
    readonly path: string,
    private readonly exportTo: (path: string) => Promise<void>,
  ) {}

  update(): void {
    this.pending = true;
    this.timer ??= setTimeout(() => {
      this.timer = null;
      this.flush();
    }, 2000);
  }

  private flush(): void {
    if (!this.pending) return;
    this.pending = false;
    this.writing = this.writing
      .then(async () => {
        const temporary = `${this.path}.${process.pid}.tmp`;
        await this.exportTo(temporary);
        await rename(temporary, this.path);
      })
      .catch((error: unknown) =>
        console.error(`results CSV ${this.path} not written: ${toErrorInfo(error).message}`),
      );
  }

  async close(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.pending = true;
    this.flush();
    await this.writing;
  }
}

export async function run(argv: string[]): Promise<number> {
  const args = parseArgs({
    args: argv,
    options: {
      ...SCREENING_OPTIONS,
      ...SITE_PROFILE_OPTIONS,
      out: { type: 'string' },
      port: { type: 'string' },
      ae: { type: 'string' },
      inbox: { type: 'string' },
      screen: { type: 'boolean', default: false },
      allow: { type: 'string' },
      bind: { type: 'string' },
      'send-results-to': { type: 'string' },
      'send-heatmap': { type: 'boolean', default: false },
      'send-pdf': { type: 'boolean', default: false },
      outbox: { type: 'string' },
    },
  });
  const { inbox, allow, bind } = args.values;
  const port = portOption(args.values.port, '--port');
  const ae = aeTitleOption(args.values.ae, '--ae');
  if (!inbox) throw new UsageError('expected --inbox <folder>');
  const sendTo = args.values['send-results-to'];
  if (sendTo !== undefined && !args.values.screen)
    throw new UsageError('--send-results-to needs --screen (results are what screening makes)');
  let destination;
  try {
    destination = sendTo === undefined ? null : parsePacsAddress(sendTo);
  } catch (error) {
    throw new UsageError(`--send-results-to: ${toErrorInfo(error).message}`);
  }
  if (!args.values.screen)
    for (const flag of ['out', 'site-profile'] as const)
      if (args.values[flag] !== undefined)
        throw new UsageError(`--${flag} needs --screen (it is about screening results)`);
  if (args.values.out !== undefined) outputFileOption(args.values.out, '--out');
  if (bind !== undefined && isIP(bind) === 0)
    throw new UsageError('--bind takes an IP address (e.g. 0.0.0.0 for every interface)');
  const allowed = allow?.split(',').map((t) => t.trim());
  for (const title of allowed ?? []) aeTitleOption(title, '--allow');

  const storeDir = storeDirOption(args.values.store, [inbox]);
  let engine: InferenceEngine | null = null;
  if (args.values.screen) {
    engine = await loadEngineOption(args.values.model);
    if (!engine) return 1;
  }
  let operatingPoint: OperatingPoint | null = null;
  if (engine) {
    try {
      operatingPoint = await siteProfileOption(args.values, engine);
    } catch (error) {
      await engine.dispose();
      const info = toErrorInfo(error);
      console.error(`Cannot receive: ${info.code}: ${info.message}`);
      return 1;
    }
  }
  const jobs = engine
    ? createScreeningJobs({ engine, storeDir, operatingPoint: async () => operatingPoint })
    : null;
  let resultsCsv: ResultsCsv | null = null;
  let lastProgress = 0;
  let forwarder: ResultForwarder | null = null;
  let jobId: string | null = null;
  if (engine && jobs && destination) {
    const kinds: PacsResultKind[] = ['sr'];
    if (args.values['send-heatmap']) kinds.push('sc');
    if (args.values['send-pdf']) kinds.push('encapsulatedPdf');
    const outbox = createOutbox({
      dir: resolve(args.values.outbox ?? join(dirname(storeDir), 'pacs-outbox')),
    });
    forwarder = createResultForwarder({
      engine,
      operatingPoint,
      outbox,
      peer: { ...destination, callingAeTitle: ae },
      connectionId: 'send-results-to',
      kinds,
      device: workstationDevice(cliSoftwareVersion()),
      rows: async () => (jobId ? (await jobs.results(jobId)).rows : []),
      onEntry: (entry) =>
        console.error(
          entry.state === 'sent'
            ? `results of ${entry.sourceSopInstanceUid} sent to ${entry.destination}`
            : `results of ${entry.sourceSopInstanceUid} not sent (attempt ${entry.attempts}, kept in the outbox): ${entry.lastError}`,
        ),
      onProblem: (message) => console.error(`sending results: ${message}`),
    });
    console.error(`Sending results to ${sendTo}; outbox ${outbox.dir}`);
  }
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
              onRow: (row) => {
                console.error(filmLine(row, engine.manifest.labels));
                resultsCsv?.update();
              },
              onProgress: (p) => {
                jobId = p.jobId;
                forwarder?.poke();
                if (performance.now() - lastProgress < 2000 && p.done < p.total) return;
                lastProgress = performance.now();
                console.error(`screening ${p.jobId}: ${p.done}/${p.total} (${p.errors} errors)`);
              },
            }
          : undefined,
    });
    const { receiver } = running;
    if (jobs && running.jobId) {
      const screeningJobId = running.jobId;
      resultsCsv = new ResultsCsv(
        resolve(args.values.out ?? join(jobDir(storeDir, screeningJobId), 'results.csv')),
        (path) => jobs.exportCsv(screeningJobId, path),
      );
      resultsCsv.update();
    }
    console.log(
      `Receiving as ${receiver.aeTitle} on ${receiver.host}:${receiver.port}; inbox ${running.inbox}` +
        (running.jobId ? `; screening job ${running.jobId} in ${storeDir}` : '') +
        (resultsCsv ? `; results ${resultsCsv.path}` : ''),
    );
    await new Promise<void>((resolveStop) => {
      process.once('SIGINT', () => resolveStop());
      process.once('SIGTERM', () => resolveStop());
    });
    const summary = await running.stop();
    await resultsCsv?.close();
    if (summary)
      console.log(
        `Screening job ${summary.jobId}: ${summary.done} screened; results ${resultsCsv?.path ?? ''}`,
      );
    await forwarder?.finish();
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
