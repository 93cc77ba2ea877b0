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
import { fileErrorLine, outputFileOption } from '../arguments';
import { MODEL_OPTION, optionsHelp, SITE_PROFILE_HELP, STORE_OPTION } from '../help';
import { toErrorInfo } from '../../shared/errors';
import type { ScreeningRow } from '../../shared/screening';
import {
  jobKey,
  listJobManifests,
  readAllRows,
  rowsToCsv,
  rowsToJson,
  runScreening,
} from '../../main/features/screening';
import { writeReportsForRows } from '../../main/platform/report-files';
import { workstationDevice } from '../../main/platform/reporting';
import { cliSoftwareVersion } from './report';
import {
  loadEngineOption,
  progressPrinter,
  SCREENING_OPTIONS,
  storeDirOption,
} from '../screening-options';

export const usage = [
  'screen <folder...> --out <results.csv> [--json <results.json>] [--model <dir>] [--resume] [--job <id>] ' +
    '[--store <dir>] [--reports <dir>] [--site-profile <name> [--site-dir <dir>]]',
  '',
  'Screens every DICOM, PNG and JPEG file under the folders (resumably) into a CSV in triage order.',
  'Files named like images that are not are listed as skipped, with the reason.',
  '',
  optionsHelp([
    { flag: '--out <results.csv>', text: 'the results, one row per file (required)' },
    { flag: '--json <results.json>', text: 'also write the results as JSON', default: 'none' },
    MODEL_OPTION,
    {
      flag: '--resume',
      text: 'continue the interrupted job of the same folders and model',
      default: 'start a new job',
    },
    {
      flag: '--job <id>',
      text: 'continue this job (also screens files added since it finished)',
      default: 'a new job',
    },
    STORE_OPTION,
    {
      flag: '--reports <dir>',
      text: "also write each film's reports there (DICOM SR, heatmap capture, PDF)",
      default: 'none',
    },
    ...SITE_PROFILE_HELP,
  ]),
].join('\n');

const plural = (n: number, one: string, many = `${one}s`): string => `${n} ${n === 1 ? one : many}`;

/**
 * What became of every file, by kind: screened, turned away by the chest gate (a verdict on the
 * film, not an error), skipped (not an image), errors (images that could not be read or scored),
 * each with its codes; the progress line's "errors" counts the last kind only, and so does this.
 */
export function screeningSummary(
  rows: readonly ScreeningRow[],
  outcome: { resumed: number; ignored: number },
): string[] {
  const count = (status: ScreeningRow['status']) => rows.filter((r) => r.status === status).length;
  const parts = [
    `${count('ok')} screened`,
    `${count('rejected')} not scored (turned away by the chest gate)`,
    `${count('skipped')} skipped (not an image)`,
    plural(count('error'), 'error'),
  ];
  const lines = [
    `  ${plural(rows.length, 'file')}: ${parts.join(', ')}` +
      (outcome.resumed > 0 ? ` (${outcome.resumed} carried over from the interrupted run)` : ''),
  ];
  for (const status of ['rejected', 'skipped', 'error'] as const) {
    const codes = new Map<string, number>();
    for (const row of rows)
      if (row.status === status && row.errorCode)
        codes.set(row.errorCode, (codes.get(row.errorCode) ?? 0) + 1);
    for (const [code, n] of [...codes].sort()) lines.push(`    ${status} ${code}: ${n}`);
  }
  if (outcome.ignored > 0)
    lines.push(
      `  ${plural(outcome.ignored, 'other file')} ignored (not images, nor named like one)`,
    );
  if (rows.length === 0) lines.push('  No DICOM, PNG or JPEG file was found in the folders given.');
  return lines;
}

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
  outputFileOption(out, '--out');
  if (json !== undefined) outputFileOption(json, '--json');
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
    if (args.values.resume && job === undefined) {
      const key = jobKey(folders, engine.manifest.sha256);
      const sameFolders = (await listJobManifests(storeDir)).filter((j) => j.key === key);
      const latest = sameFolders[sameFolders.length - 1];
      if (latest?.state === 'finished') {
        const rows = await readAllRows(storeDir, latest.jobId);
        await writeFile(out, rowsToCsv(rows, latest.labels), 'utf8');
        console.log(
          [
            `Nothing to resume: job ${latest.jobId} of these folders with this model finished at ${latest.updatedAt} (${plural(rows.length, 'file')}).`,
            `  Its results (highest P(COVID-19) first): ${out}`,
            `  To screen files added since, run with --job ${latest.jobId}; to screen everything again, run without --resume.`,
          ].join('\n'),
        );
        return 0;
      }
      if (!latest)
        console.error('No interrupted job of these folders with this model: starting a new one.');
    }
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
    // The job's own rows and labels, as runScreening returns them (nothing is read back).
    const { rows } = outcome;
    const { labels } = outcome.job;
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
      console.error(`  reports of ${fileErrorLine(path, error)}`);
    }
    const seconds = (performance.now() - started) / 1000;
    console.log(
      [
        `Job ${outcome.job.jobId}: ${outcome.job.state}`,
        ...screeningSummary(rows, outcome),
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
