/**
 * `screen <folder...> --out <results.csv> [--json <results.json>] [--model <dir>] [--resume]
 *  [--job <id>] [--store <dir>] [--reports <dir>]`
 * With --reports, every scored (or chest-gate rejected) file also gets its reports there: DICOM SR,
 * heatmap Secondary Capture, PDF and Encapsulated PDF (PNG/JPEG: the PDF only, having no patient).
 * Screens every image under the folders, resumably; exit 0 when the batch ran (per-file errors
 * are rows), 2 for bad arguments, 1 when it could not run, 130 when interrupted (Ctrl-C).
 */
import { stat, writeFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { SITE_PROFILE_OPTIONS, siteProfileOption } from '../site-profile-option';
import { UsageError } from '../command';
import { toErrorInfo } from '../../shared/errors';
import {
  readAllRows,
  readJobManifest,
  rowsToCsv,
  rowsToJson,
  runScreening,
} from '../../main/screening';
import { writeReportsForRows } from '../../main/report-files';
import { workstationDevice } from '../../main/reporting';
import { cliSoftwareVersion } from './report';
import {
  loadEngineOption,
  progressPrinter,
  SCREENING_OPTIONS,
  storeDirOption,
} from '../screening-options';

export const usage =
  'screen <folder...> --out <results.csv> [--json <results.json>] [--model <dir>] [--resume] [--job <id>] [--store <dir>] [--reports <dir>] ' +
  '[--site-profile <name> [--site-dir <dir>]]';

export async function run(argv: string[]): Promise<number> {
  const args = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      ...SCREENING_OPTIONS,
      ...SITE_PROFILE_OPTIONS,
      out: { type: 'string' },
      json: { type: 'string' },
      resume: { type: 'boolean', default: false },
      job: { type: 'string' },
      reports: { type: 'string' },
    },
  });
  const folders = args.positionals.map((f) => resolve(f));
  const { out, json, job } = args.values;
  if (folders.length === 0 || !out) {
    throw new UsageError('expected at least one folder and --out <results.csv>');
  }
  for (const folder of folders) {
    const info = await stat(folder).catch(() => null);
    if (!info?.isDirectory()) {
      throw new UsageError(`not a folder: ${folder}`);
    }
  }
  const storeDir = storeDirOption(args.values.store, folders);
  if (job !== undefined && !/^[A-Za-z0-9_-]+$/.test(job)) {
    throw new UsageError(`invalid job id: ${job}`);
  }

  const engine = await loadEngineOption(args.values.model);
  if (!engine) return 1;
  console.error(`Model ${engine.manifest.id} on ${engine.provider.active}; store ${storeDir}`);
  const controller = new AbortController();
  const onSignal = (): void => controller.abort();
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  const progress = progressPrinter();
  const started = performance.now();
  try {
    const operatingPoint = await siteProfileOption(args.values, engine);
    const outcome = await runScreening({
      folders,
      storeDir,
      engine,
      operatingPoint,
      jobId: job,
      resume: args.values.resume,
      signal: controller.signal,
      onProgress: progress.update,
    });
    progress.end();
    const manifest = await readJobManifest(storeDir, outcome.job.jobId);
    const labels = manifest?.labels ?? engine.manifest.labels;
    const rows = await readAllRows(storeDir, outcome.job.jobId);
    await writeFile(out, rowsToCsv(rows, labels), 'utf8');
    if (json) {
      await writeFile(
        json,
        rowsToJson(rows, {
          jobId: outcome.job.jobId,
          modelId: engine.manifest.id,
          labels,
          folders,
        }),
        'utf8',
      );
    }

    const reports =
      args.values.reports && outcome.job.state !== 'cancelled'
        ? await writeReportsForRows({
            engine,
            rows,
            folder: resolve(args.values.reports),
            device: workstationDevice(cliSoftwareVersion()),
            operatingPoint,
          })
        : null;
    for (const { path, error } of reports?.failed ?? []) {
      console.error(`  reports of ${path}: ${error.code}: ${error.message}`);
    }
    const seconds = (performance.now() - started) / 1000;
    const ok = rows.filter((r) => r.status === 'ok').length;
    const errorCounts = new Map<string, number>();
    for (const row of rows)
      if (row.errorCode) errorCounts.set(row.errorCode, (errorCounts.get(row.errorCode) ?? 0) + 1);
    console.log(
      [
        `Job ${outcome.job.jobId}: ${outcome.job.state}`,
        `  ${rows.length} files: ${ok} screened, ${rows.length - ok} errors` +
          (outcome.resumed > 0
            ? ` (${outcome.resumed} carried over from the interrupted run)`
            : ''),
        ...[...errorCounts].sort().map(([code, n]) => `    ${code}: ${n}`),
        `  ${seconds.toFixed(1)} s this run; results (highest P(COVID-19) first): ${out}${json ? `, ${json}` : ''}`,
        reports
          ? `  Reports: ${reports.reported} files in ${resolve(args.values.reports ?? '')}` +
            (reports.failed.length > 0 ? ` (${reports.failed.length} failed, listed above)` : '')
          : '',
        outcome.job.state === 'cancelled'
          ? `  Interrupted: run the same command with --resume (or --job ${outcome.job.jobId}) to continue.`
          : '',
      ]
        .filter((line) => line !== '')
        .join('\n'),
    );
    return outcome.job.state === 'cancelled' ? 130 : 0;
  } catch (error) {
    progress.end();
    const info = toErrorInfo(error);
    console.error(`Screening failed: ${info.code}: ${info.message}`);
    return info.code === 'INVALID_REQUEST' ? 2 : 1;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    await engine.dispose();
  }
}
