/**
 * `pacs echo|query|retrieve|send --pacs <AET@host:port> --ae <our AE> ...`
 *   echo      C-ECHO.
 *   query     study-level C-FIND: [--patient-name <pattern>] [--patient-id <id>] [--accession <no>]
 *             [--from YYYYMMDD] [--to YYYYMMDD] [--modality CR,DX] [--json]
 *   retrieve  C-MOVE of studies (--study <uid>, repeatable, or every study the query options
 *             match) to a receiver this command runs: --port <p> --inbox <dir> (on 127.0.0.1
 *             unless --bind <IP address>; only the PACS's AE may send to it); with --screen the
 *             films are screened (same store and job as `receive --screen`), and with
 *             --send-results their SRs go back to the same PACS (--send-heatmap, --send-pdf).
 *   send      scores DICOM files and C-STOREs their SR (and --send-heatmap / --send-pdf) to the PACS.
 * Results waiting to be sent are kept in --outbox <dir> (default: pacs-outbox beside the store).
 * Exit 0 on success, 1 when the PACS refused or could not be reached, 2 for bad arguments.
 */
import { isIP } from 'node:net';
import { dirname, join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { UsageError } from '../command';
import { fileErrorLine } from '../arguments';
import {
  MODEL_OPTION,
  optionsHelp,
  OUTBOX_OPTION,
  SEND_RESULT_KIND_OPTIONS,
  SITE_PROFILE_HELP,
  STORE_OPTION,
  type OptionHelp,
} from '../help';
import { DEFAULT_BIND_ADDRESS } from '../../main/dicom-network';
import { SITE_PROFILE_OPTIONS, siteProfileOption } from '../site-profile-option';
import type { OperatingPoint } from '../../shared/verdict';
import { toErrorInfo } from '../../shared/errors';
import { DICOM_DATE_PATTERN, type PacsStudyQuery } from '../../shared/pacs';
import { startDicomInbox } from '../../main/app/dicom-inbox';
import { createScreeningJobs } from '../../main/app/screening-jobs';
import type { InferenceEngine } from '../../main/inference';
import {
  createOutbox,
  echo,
  findStudies,
  parsePacsAddress,
  queueFilmResults,
  retrieveStudies,
  type PacsPeer,
  type PacsResultKind,
} from '../../main/pacs';
import { workstationDevice } from '../../main/reporting';
import {
  aeTitleOption,
  loadEngineOption,
  portOption,
  progressPrinter,
  SCREENING_OPTIONS,
  storeDirOption,
} from '../screening-options';
import { cliSoftwareVersion } from './report';

/** Our AE title when --ae is not given; said in --help and whenever a PACS refuses us. */
const DEFAULT_AE = 'COVIDNET';

const QUERY_HELP: OptionHelp[] = [
  { flag: '--patient-name <pattern>', text: 'DICOM wildcards allowed (* and ?)', default: 'any' },
  { flag: '--patient-id <id>', text: 'exact patient ID', default: 'any' },
  { flag: '--accession <no>', text: 'exact accession number', default: 'any' },
  {
    flag: '--from <date>',
    text: 'studies on or after this date, as YYYYMMDD or YYYY-MM-DD',
    default: 'no lower bound',
  },
  {
    flag: '--to <date>',
    text: 'studies on or before this date, as YYYYMMDD or YYYY-MM-DD',
    default: 'no upper bound',
  },
  { flag: '--modality <CR,DX>', text: 'CR, DX or CR,DX', default: 'any modality' },
];

export const usage = [
  'pacs echo --pacs <AET@host:port> [--ae <our AE>]',
  '       covidnet pacs query --pacs <AET@host:port> [--ae <our AE>] [query options] [--json]',
  '       covidnet pacs retrieve --pacs <AET@host:port> [--ae <our AE>] --port <p> [--bind <IP address>] --inbox <dir> (--study <uid>... | query options) [--screen [--site-profile <name>] [--send-results [--send-heatmap] [--send-pdf]]] [--model <dir>] [--store <dir>] [--outbox <dir>]',
  '       covidnet pacs send --pacs <AET@host:port> [--ae <our AE>] <file.dcm...> [--send-heatmap] [--send-pdf] [--site-profile <name>] [--model <dir>] [--store <dir>] [--outbox <dir>]',
  '',
  'echo: C-ECHO. query: study-level C-FIND. retrieve: C-MOVE to a receiver this command runs.',
  'send: scores DICOM files and C-STOREs their results (DICOM SR) to the PACS.',
  '',
  optionsHelp([
    {
      flag: '--pacs <AET@host:port>',
      text: "the PACS's AE title, IP address and DICOM port (required), e.g. ORTHANC@10.0.0.5:4242",
    },
    {
      flag: '--ae <our AE>',
      text: 'our AE title (1-16 characters), which the PACS must know (retrieve: it sends the films to it)',
      default: DEFAULT_AE,
    },
  ]),
  '',
  optionsHelp(
    [
      ...QUERY_HELP,
      {
        flag: '--json',
        text: 'print the studies as JSON',
        default: 'one tab-separated line per study',
      },
    ],
    'query options (query, and retrieve without --study):',
  ),
  '',
  optionsHelp(
    [
      {
        flag: '--study <uid>',
        text: 'a Study Instance UID to retrieve; repeatable',
        default: 'every study the query options match',
      },
      {
        flag: '--port <p>',
        text: "the port our receiver listens on for the PACS's C-MOVE (required)",
      },
      {
        flag: '--bind <IP address>',
        text: 'the address it listens on (the PACS must reach it)',
        default: DEFAULT_BIND_ADDRESS,
      },
      { flag: '--inbox <dir>', text: 'where the retrieved films are stored (required)' },
      {
        flag: '--screen',
        text: 'screen the retrieved films (same store and job as `receive --screen`)',
        default: 'off',
      },
      {
        flag: '--send-results',
        text: "send each film's results back to the same PACS (needs --screen)",
        default: 'off',
      },
    ],
    'retrieve options:',
  ),
  '',
  optionsHelp(
    [...SEND_RESULT_KIND_OPTIONS, ...SITE_PROFILE_HELP, MODEL_OPTION, STORE_OPTION, OUTBOX_OPTION],
    'screening and sending options (retrieve --screen, send):',
  ),
].join('\n');

const OPTIONS = {
  ...SCREENING_OPTIONS,
  ...SITE_PROFILE_OPTIONS,
  pacs: { type: 'string' },
  ae: { type: 'string', default: DEFAULT_AE },
  'patient-name': { type: 'string' },
  'patient-id': { type: 'string' },
  accession: { type: 'string' },
  from: { type: 'string' },
  to: { type: 'string' },
  modality: { type: 'string' },
  json: { type: 'boolean', default: false },
  study: { type: 'string', multiple: true },
  port: { type: 'string' },
  bind: { type: 'string' },
  inbox: { type: 'string' },
  screen: { type: 'boolean', default: false },
  'send-results': { type: 'boolean', default: false },
  'send-heatmap': { type: 'boolean', default: false },
  'send-pdf': { type: 'boolean', default: false },
  outbox: { type: 'string' },
} as const;

type Values = ReturnType<
  typeof parseArgs<{ options: typeof OPTIONS; allowPositionals: true }>
>['values'];

/** A date as DICOM writes it (YYYYMMDD); the ISO form a user may type (YYYY-MM-DD) is accepted. */
function dateOption(value: string | undefined, flag: string): string | undefined {
  if (value === undefined) return undefined;
  const dicom = value.trim().replace(/^(\d{4})-(\d{2})-(\d{2})$/, '$1$2$3');
  if (!DICOM_DATE_PATTERN.test(dicom))
    throw new UsageError(
      `${flag} ${value}: expected a date as YYYYMMDD (DICOM's form, e.g. 20240131) or YYYY-MM-DD`,
    );
  return dicom;
}

/** The C-FIND query the options ask for; bad values are a UsageError (exit 2, with the usage). */
function queryOf(values: Values): PacsStudyQuery {
  const studyDateFrom = dateOption(values.from, '--from');
  const studyDateTo = dateOption(values.to, '--to');
  if (studyDateFrom && studyDateTo && studyDateFrom > studyDateTo)
    throw new UsageError(`--from ${values.from} is after --to ${values.to}`);
  const modalities = values.modality?.split(',').map((m) => m.trim().toUpperCase());
  if (modalities && !modalities.every((m) => m === 'CR' || m === 'DX'))
    throw new UsageError('--modality takes CR, DX or CR,DX');
  return {
    patientName: values['patient-name'],
    patientId: values['patient-id'],
    accessionNumber: values.accession,
    studyDateFrom,
    studyDateTo,
    modalities,
  };
}

function resultKinds(values: Values): PacsResultKind[] {
  const kinds: PacsResultKind[] = ['sr'];
  if (values['send-heatmap']) kinds.push('sc');
  if (values['send-pdf']) kinds.push('encapsulatedPdf');
  return kinds;
}

function outboxDir(values: Values, storeDir: string): string {
  return resolve(values.outbox ?? join(dirname(storeDir), 'pacs-outbox'));
}

/** Queues the results of `paths` and sends them; prints one line per film; exit code. */
async function sendResults(
  engine: InferenceEngine,
  peer: PacsPeer,
  paths: readonly string[],
  values: Values,
  storeDir: string,
  operatingPoint: OperatingPoint | null,
): Promise<number> {
  const outbox = createOutbox({ dir: outboxDir(values, storeDir) });
  const entryIds: string[] = [];
  let failures = 0;
  for (const path of paths) {
    try {
      const entry = await queueFilmResults({
        engine,
        outbox,
        connectionId: 'cli',
        peer,
        path,
        kinds: resultKinds(values),
        device: workstationDevice(cliSoftwareVersion()),
        operatingPoint,
      });
      entryIds.push(entry.entryId);
    } catch (error) {
      failures++;
      const info = toErrorInfo(error);
      console.error(`not reported: ${fileErrorLine(path, info)}`);
    }
  }
  for (const entry of await outbox.sendPending({ entryIds })) {
    if (entry.state === 'sent') console.log(`sent ${entry.kinds.join('+')} of ${entry.sourcePath}`);
    else {
      failures++;
      console.log(
        `FAILED ${entry.sourcePath}: ${entry.lastError} (kept in ${outbox.dir}; sent again by the next send)`,
      );
    }
  }
  return failures === 0 ? 0 : 1;
}

export async function run(argv: string[]): Promise<number> {
  const [action, ...rest] = argv;
  if (!['echo', 'query', 'retrieve', 'send'].includes(action ?? ''))
    throw new UsageError('expected echo, query, retrieve or send');
  const { values, positionals } = parseArgs({
    args: rest,
    options: OPTIONS,
    allowPositionals: true,
  });
  if (!values.pacs) throw new UsageError('expected --pacs <AET@host:port>');
  let peer: PacsPeer;
  try {
    peer = { ...parsePacsAddress(values.pacs), callingAeTitle: aeTitleOption(values.ae, '--ae') };
  } catch (error) {
    if (error instanceof UsageError) throw error;
    throw new UsageError(`--pacs: ${toErrorInfo(error).message}`);
  }
  const aeDefaulted = !rest.some((arg) => arg === '--ae' || arg.startsWith('--ae='));
  const fail = (error: unknown): number => {
    const info = toErrorInfo(error);
    console.error(`${action} failed: ${info.code}: ${info.message}`);
    if (aeDefaulted && info.code === 'PACS_ERROR')
      console.error(
        `  (we called as ${DEFAULT_AE}, the default AE title; pass --ae <our AE> for the one the PACS knows)`,
      );
    return 1;
  };

  if (action === 'echo') {
    const result = await echo(peer);
    if (!result.ok) return fail(result.error);
    console.log(`${values.pacs} answered C-ECHO in ${result.milliseconds.toFixed(0)} ms`);
    return 0;
  }

  if (action === 'query') {
    const query = queryOf(values);
    try {
      const studies = await findStudies(peer, query);
      if (values.json) console.log(JSON.stringify(studies, null, 2));
      else {
        for (const s of studies)
          console.log(
            [
              s.studyDate,
              s.patientId,
              s.patientName,
              s.accessionNumber,
              s.modalitiesInStudy.join('/'),
              s.numberOfInstances ?? '',
              s.studyInstanceUid,
            ].join('\t'),
          );
        console.error(`${studies.length} studies`);
      }
      return 0;
    } catch (error) {
      return fail(error);
    }
  }

  if (action === 'send') {
    if (positionals.length === 0) throw new UsageError('expected the DICOM files to report on');
    const storeDir = storeDirOption(values.store, []);
    const engine = await loadEngineOption(values.model);
    if (!engine) return 1;
    try {
      let operatingPoint: OperatingPoint | null;
      try {
        operatingPoint = await siteProfileOption(values, engine);
      } catch (error) {
        return fail(error);
      }
      return await sendResults(
        engine,
        peer,
        positionals.map((p) => resolve(p)),
        values,
        storeDir,
        operatingPoint,
      );
    } finally {
      await engine.dispose();
    }
  }

  // retrieve
  const port = portOption(values.port, '--port');
  if (!values.inbox) throw new UsageError('expected --inbox <folder>');
  if (values.bind !== undefined && isIP(values.bind) === 0)
    throw new UsageError('--bind takes an IP address (the PACS must reach it for C-MOVE)');
  if (values['send-results'] && !values.screen)
    throw new UsageError('--send-results needs --screen');
  if (values['site-profile'] !== undefined && !values.screen)
    throw new UsageError('--site-profile needs --screen (it decides the screening verdicts)');
  const storeDir = storeDirOption(values.store, [values.inbox]);
  let studyUids = values.study ?? [];
  if (studyUids.length === 0) {
    const query = queryOf(values);
    try {
      studyUids = (await findStudies(peer, query)).map((s) => s.studyInstanceUid);
    } catch (error) {
      return fail(error);
    }
    if (studyUids.length === 0) {
      console.error('No study matches the query; nothing to retrieve');
      return 0;
    }
  }
  const engine = values.screen ? await loadEngineOption(values.model) : null;
  if (values.screen && !engine) return 1;
  let operatingPoint: OperatingPoint | null = null;
  if (engine) {
    try {
      operatingPoint = await siteProfileOption(values, engine);
    } catch (error) {
      await engine.dispose();
      return fail(error);
    }
  }
  const jobs = engine
    ? createScreeningJobs({ engine, storeDir, operatingPoint: async () => operatingPoint })
    : null;
  const progress = progressPrinter();
  const started = performance.now();
  let inbox;
  try {
    inbox = await startDicomInbox({
      port,
      aeTitle: peer.callingAeTitle,
      inbox: values.inbox,
      bind: values.bind,
      // Only the PACS we asked may send to this receiver.
      allowedCallingAeTitles: [peer.aeTitle],
      screening:
        engine && jobs
          ? { jobs, storeDir, modelSha256: engine.manifest.sha256, onProgress: progress.update }
          : undefined,
    });
  } catch (error) {
    await jobs?.dispose();
    await engine?.dispose();
    return fail(error);
  }
  const controller = new AbortController();
  const onSignal = (): void => controller.abort();
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    console.error(
      `Retrieving ${studyUids.length} studies from ${values.pacs} to ${peer.callingAeTitle} on ` +
        `${inbox.receiver.host}:${inbox.receiver.port}`,
    );
    const retrieved = await retrieveStudies({
      peer,
      studyInstanceUids: studyUids,
      destinationAeTitle: peer.callingAeTitle,
      inboxDir: inbox.inbox,
      signal: controller.signal,
      onProgress: (counts, study) => {
        if (study)
          console.error(
            `study ${counts.studiesDone}/${counts.studies} ${study.studyInstanceUid}: ${study.files.length} instances, ${study.bytes} bytes`,
          );
      },
    });
    const seconds = (performance.now() - started) / 1000;
    const bytes = retrieved.reduce((sum, s) => sum + s.bytes, 0);
    const files = retrieved.flatMap((s) => s.files);
    console.log(
      `Retrieved ${retrieved.length} studies, ${files.length} instances, ` +
        `${(bytes / 1e6).toFixed(1)} MB in ${seconds.toFixed(1)} s into ${inbox.inbox}`,
    );
    const summary = await inbox.stop();
    progress.end();
    if (summary) console.log(`Screening job ${summary.jobId}: ${summary.done} screened`);
    if (engine && values['send-results'])
      return await sendResults(engine, peer, files, values, storeDir, operatingPoint);
    return 0;
  } catch (error) {
    await inbox.stop().catch(() => null);
    progress.end();
    return fail(error);
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    await jobs?.dispose();
    await engine?.dispose();
  }
}
