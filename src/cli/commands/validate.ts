/**
 * `validate <folder...> (--labels <csv> | --reader-labels) [--model <dir>] [--site-dir <dir>]
 *   [--target-sensitivity <0..1> [--label <class>]] [--recalibrate]
 *   [--save-profile <name> [--activate] [--accept-small-n]] [--site-profile <name>] [--json]`
 * Site validation: runs the pipeline over the films in the folders, joins their labels (a CSV
 * `path,label`, or the readings recorded in the viewer) and writes what `evaluate` writes plus
 * intervals, n and small-n warnings into a run folder. With --target-sensitivity it shows the
 * threshold of --label (default COVID-19) reaching that sensitivity on these films; with
 * --recalibrate it fits a site temperature and class-prior shift (cross-fitted ECE/NLL before and
 * after); --save-profile saves either or both as a named site profile (refused from fewer than 30
 * films of a class it involves unless --accept-small-n; made active only with --activate).
 * --site-profile evaluates with a saved profile applied, to check it on films it was not fitted on.
 */
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { UsageError } from '../command';
import { MODEL_OPTION, optionsHelp } from '../help';
import { toErrorInfo } from '../../shared/errors';
import { RESEARCH_NOTICE } from '../../shared/notice';
import type {
  LabelsSource,
  SiteOperatingPointChoice,
  SiteProfile,
} from '../../shared/site-profile';
import { createInferenceEngine, defaultModelDir } from '../../main/inference';
import { defaultReadingsDir, openReadingJournal } from '../../main/reader-readings';
import {
  chooseOperatingPoint,
  defaultSiteValidationDir,
  formatChoice,
  namedOperatingPoint,
  noLabelsMessage,
  openSiteProfileStore,
  readLabelsCsv,
  readStoredScores,
  readingsAsLabels,
  runSiteValidation,
  siteValidationLines,
  type FilmLabel,
} from '../../main/site-validation';

export const usage = [
  'validate <folder...> (--labels <csv> | --reader-labels [--readings <dir>]) [options]',
  '',
  "Site validation: the model on a clinic's own labelled films, every figure with its 95% interval and n.",
  '',
  optionsHelp([
    { flag: '--labels <csv>', text: 'labels as a CSV with columns path (or file) and label' },
    { flag: '--reader-labels', text: 'the readings recorded in the viewer as labels' },
    { flag: '--readings <dir>', text: 'readings folder', default: "the app's" },
    MODEL_OPTION,
    {
      flag: '--site-dir <dir>',
      text: 'runs and profiles folder',
      default: '~/.covidnet-workstation/site-validation',
    },
    {
      flag: '--target-sensitivity <0..1>',
      text: 'choose the threshold of --label reaching this sensitivity',
      default: 'no threshold chosen',
    },
    { flag: '--label <class>', text: 'the class of that threshold', default: 'COVID-19' },
    {
      flag: '--recalibrate',
      text: 'fit a site temperature and class-prior shift (cross-fitted ECE/NLL before/after)',
      default: 'off',
    },
    {
      flag: '--save-profile <name>',
      text: 'save the threshold and/or recalibration as a named site profile',
      default: 'not saved',
    },
    {
      flag: '--accept-small-n',
      text: 'save it even from fewer than 30 films of a class it involves',
      default: 'such a profile is refused',
    },
    {
      flag: '--activate',
      text: 'make the saved profile the one the app uses',
      default: 'saved inactive',
    },
    {
      flag: '--site-profile <name>',
      text: 'evaluate with a saved profile applied (check it on other films)',
      default: "none, the model's own thresholds",
    },
    { flag: '--json', text: 'the report as JSON on stdout', default: 'text' },
  ]),
].join('\n');

const DEFAULT_OPERATING_LABEL = 'COVID-19';

export async function run(argv: string[]): Promise<number> {
  const args = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      labels: { type: 'string' },
      'reader-labels': { type: 'boolean' },
      readings: { type: 'string' },
      model: { type: 'string' },
      'site-dir': { type: 'string' },
      'target-sensitivity': { type: 'string' },
      label: { type: 'string' },
      'save-profile': { type: 'string' },
      activate: { type: 'boolean' },
      recalibrate: { type: 'boolean' },
      'accept-small-n': { type: 'boolean' },
      'site-profile': { type: 'string' },
      json: { type: 'boolean' },
    },
  });
  const folders = args.positionals;
  const { values } = args;
  if (folders.length === 0) throw new UsageError('name at least one folder of films');
  if ((values.labels === undefined) === (values['reader-labels'] !== true)) {
    throw new UsageError('give exactly one of --labels <csv> and --reader-labels');
  }
  const target =
    values['target-sensitivity'] === undefined ? null : Number(values['target-sensitivity']);
  if (target !== null && !(target > 0 && target <= 1)) {
    throw new UsageError('--target-sensitivity is a fraction in (0, 1], e.g. 0.9');
  }
  if (values['save-profile'] !== undefined && target === null && !values.recalibrate) {
    throw new UsageError('--save-profile needs --target-sensitivity, --recalibrate, or both');
  }
  if (values['site-profile'] !== undefined && (values.recalibrate || values['save-profile'])) {
    throw new UsageError(
      '--site-profile evaluates a saved profile; a new one (--recalibrate, --save-profile) is fitted on the model alone',
    );
  }
  if (values['accept-small-n'] && values['save-profile'] === undefined) {
    throw new UsageError('--accept-small-n needs --save-profile');
  }
  if (values.activate && values['save-profile'] === undefined) {
    throw new UsageError('--activate needs --save-profile');
  }
  const siteDir = values['site-dir'] ?? defaultSiteValidationDir();

  let labels: FilmLabel[];
  let labelsSource: LabelsSource;
  try {
    if (values.labels !== undefined) {
      labels = await readLabelsCsv(values.labels);
      labelsSource = { kind: 'labels-csv', path: values.labels };
    } else {
      const journal = await openReadingJournal(values.readings ?? defaultReadingsDir());
      const readings = await journal.latest();
      await journal.close();
      labels = readingsAsLabels(readings);
      labelsSource = { kind: 'reader-readings', readings: readings.length };
    }
  } catch (error) {
    const info = toErrorInfo(error);
    console.error(`Cannot read the labels: ${info.code}: ${info.message}`);
    return info.code === 'INVALID_REQUEST' ? 2 : 1;
  }

  // Said before the model loads: nothing to validate against.
  if (labels.length === 0) {
    console.error(`Validation failed: ${noLabelsMessage(labelsSource)}`);
    return 2;
  }
  let engine;
  try {
    engine = await createInferenceEngine({ modelDir: values.model ?? defaultModelDir() });
  } catch (error) {
    const info = toErrorInfo(error);
    console.error(`Cannot load the model: ${info.code}: ${info.message}`);
    return 1;
  }
  console.error(RESEARCH_NOTICE);
  const runsDir = join(siteDir, 'runs');
  try {
    const operatingPoint =
      values['site-profile'] === undefined
        ? null
        : await namedOperatingPoint(siteDir, values['site-profile'], {
            id: engine.manifest.id,
            sha256: engine.manifest.sha256,
          });
    const { report, runDir } = await runSiteValidation({
      folders,
      labels,
      labelsSource,
      engine,
      runsDir,
      operatingPoint,
      recalibrate: values.recalibrate === true,
      onProgress: (done, total) => {
        if (done === total || done % 25 === 0)
          process.stderr.write(`validating ${done}/${total}\n`);
      },
    });
    let choice: SiteOperatingPointChoice | null = null;
    const label = values.label ?? DEFAULT_OPERATING_LABEL;
    if (target !== null) {
      const scores = await readStoredScores(runsDir, report.runId);
      choice = chooseOperatingPoint(
        scores.films,
        scores.labels,
        label,
        target,
        engine.manifest.thresholds[label] ?? 0.5,
      );
      if (choice === null) {
        console.error(
          `No scored ${label} films to choose a threshold on (or ${label} is not a class of this model).`,
        );
        return 1;
      }
    }
    let saved: SiteProfile | null = null;
    // A refused profile (too few films, a recalibration that does not help) still leaves the
    // run's figures printed: they are why it was refused.
    let notSaved: string | null = null;
    if (values['save-profile'] !== undefined) {
      const store = await openSiteProfileStore(join(siteDir, 'profiles'));
      saved = await store
        .create(
          {
            name: values['save-profile'],
            runId: report.runId,
            label: target === null ? null : label,
            targetSensitivity: target,
            recalibrate: values.recalibrate === true,
            acceptSmallN: values['accept-small-n'] === true,
          },
          runsDir,
          { sha256: engine.manifest.sha256, thresholds: engine.manifest.thresholds },
        )
        .catch((error: unknown) => {
          const info = toErrorInfo(error);
          if (info.code !== 'INVALID_REQUEST') throw error;
          notSaved = info.message;
          return null;
        });
      if (saved && values.activate) await store.setActive(saved.name, engine.manifest.sha256);
    }
    const savedProfile = saved?.name ?? null;
    if (values.json) {
      console.log(
        JSON.stringify(
          {
            report: { ...report, plots: report.plots.map((p) => p.file) },
            runDir,
            choice,
            recalibration: report.recalibration ?? null,
            siteProfile: report.siteProfile ?? null,
            savedProfile,
            savedProfileWarning: saved?.smallNWarning ?? null,
            notSaved,
          },
          null,
          2,
        ),
      );
      if (notSaved !== null) console.error(notSaved);
      return notSaved === null ? 0 : 2;
    }
    console.log(
      [
        ...siteValidationLines(report),
        ...(choice ? formatChoice(choice) : []),
        ...(savedProfile
          ? [
              `Saved site profile "${savedProfile}"${values.activate ? ' (active: the engine now uses it)' : ' (not active; pass --activate or switch it on in the app)'}`,
              ...(saved?.smallNWarning ? [`! ${saved.smallNWarning}`] : []),
            ]
          : []),
        `Wrote ${runDir} (${report.files.join(', ')})`,
      ].join('\n'),
    );
    if (notSaved !== null) console.error(notSaved);
    return notSaved === null ? 0 : 2;
  } catch (error) {
    const info = toErrorInfo(error);
    console.error(`Validation failed: ${info.code}: ${info.message}`);
    return info.code === 'INVALID_REQUEST' ? 2 : 1;
  } finally {
    await engine.dispose();
  }
}
