/**
 * `validate <folder...> (--labels <csv> | --reader-labels) [--model <dir>] [--out <runs dir>]
 *   [--target-sensitivity <0..1> [--label <class>] [--save-profile <name> [--activate]]]`
 * Site validation: runs the pipeline over the films in the folders, joins their labels (a CSV
 * `path,label`, or the readings recorded in the viewer) and writes what `evaluate` writes plus
 * intervals, n and small-n warnings into a run folder. With --target-sensitivity it shows the
 * threshold of --label (default COVID-19) reaching that sensitivity on these films, and with
 * --save-profile saves it as a named site profile (made active only with --activate).
 */
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { UsageError } from '../command';
import { toErrorInfo } from '../../shared/errors';
import { RESEARCH_NOTICE } from '../../shared/notice';
import type { Estimate, LabelsSource, SiteOperatingPointChoice } from '../../shared/site-profile';
import { createInferenceEngine, defaultModelDir } from '../../main/inference';
import { defaultReadingsDir, openReadingJournal } from '../../main/reader-readings';
import {
  chooseOperatingPoint,
  defaultSiteValidationDir,
  openSiteProfileStore,
  readLabelsCsv,
  readStoredScores,
  readingsAsLabels,
  runSiteValidation,
  type FilmLabel,
} from '../../main/site-validation';

export const usage =
  'validate <folder...> (--labels <csv> | --reader-labels [--readings <dir>]) [--model <dir>] ' +
  '[--site-dir <dir>] [--target-sensitivity <0..1> [--label <class>] [--save-profile <name> [--activate]]] [--json]';

const DEFAULT_OPERATING_LABEL = 'COVID-19';

export function formatEstimate(estimate: Estimate, percent = true): string {
  const show = (v: number | null) =>
    v === null ? 'n/a' : percent ? `${(v * 100).toFixed(1)}%` : v.toFixed(3);
  const interval =
    estimate.low !== null && estimate.high !== null
      ? ` (95% ${show(estimate.low)}-${show(estimate.high)})`
      : '';
  return `${show(estimate.value)}${interval}, n=${estimate.n}${estimate.warning ? `  ! ${estimate.warning}` : ''}`;
}

export function formatChoice(choice: SiteOperatingPointChoice): string[] {
  return [
    `Site operating point for ${choice.label} at a target sensitivity of ${(choice.targetSensitivity * 100).toFixed(0)}%: ` +
      `threshold ${choice.threshold.toFixed(3)}` +
      (choice.thresholdInterval
        ? ` (95% bootstrap ${choice.thresholdInterval.low.toFixed(3)}-${choice.thresholdInterval.high.toFixed(3)})`
        : '') +
      ` on ${choice.positives} positives and ${choice.negatives} negatives`,
    `  sensitivity ${formatEstimate(choice.sensitivity)}`,
    `  specificity ${formatEstimate(choice.specificity)}`,
    `  PPV ${formatEstimate(choice.ppv)}`,
    `  (model threshold ${choice.defaultThreshold.toFixed(2)}: sensitivity ${formatEstimate(choice.atDefault.sensitivity)}; ` +
      `specificity ${formatEstimate(choice.atDefault.specificity)})`,
    ...choice.warnings.map((w) => `  ! ${w}`),
  ];
}

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
  if (values['save-profile'] !== undefined && target === null) {
    throw new UsageError('--save-profile needs --target-sensitivity');
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
    const { report, runDir } = await runSiteValidation({
      folders,
      labels,
      labelsSource,
      engine,
      runsDir,
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
    let savedProfile: string | null = null;
    if (values['save-profile'] !== undefined && target !== null) {
      const store = await openSiteProfileStore(join(siteDir, 'profiles'));
      const profile = await store.create(
        { name: values['save-profile'], runId: report.runId, label, targetSensitivity: target },
        runsDir,
        { sha256: engine.manifest.sha256, thresholds: engine.manifest.thresholds },
      );
      savedProfile = profile.name;
      if (values.activate) await store.setActive(profile.name, engine.manifest.sha256);
    }
    if (values.json) {
      console.log(
        JSON.stringify(
          {
            report: { ...report, plots: report.plots.map((p) => p.file) },
            runDir,
            choice,
            savedProfile,
          },
          null,
          2,
        ),
      );
      return 0;
    }
    const f = report.films;
    console.log(
      [
        `${f.found} films found, ${f.labelled} with a model-class label; ${f.scored} scored, ` +
          `${f.rejectedByGate} turned away by the chest gate, ${f.unreadable} unreadable, ${f.unlabelled} unlabelled`,
        `accuracy ${formatEstimate(report.accuracy)}`,
        ...report.labels.flatMap((l) => {
          const c = report.perClass[l];
          return [
            `  ${l}:`,
            `    sensitivity ${formatEstimate(c.sensitivity)}`,
            `    PPV ${formatEstimate(c.ppv)}`,
            `    AUC ${formatEstimate(c.auc, false)}`,
          ];
        }),
        `gate rejections ${formatEstimate(report.gateRejections)}`,
        ...(report.verdicts
          ? [
              `uncertain ${formatEstimate(report.verdicts.uncertain)}`,
              `unfamiliar ${formatEstimate(report.verdicts.unfamiliar)}`,
              `accuracy of calls ${formatEstimate(report.verdicts.callAccuracy)}`,
            ]
          : ['verdicts: this engine gives none']),
        report.calibration
          ? `calibration: ${report.calibration.calibrated ? 'calibrated' : 'uncalibrated'} model, ECE ${report.calibration.ece?.toFixed(3) ?? 'n/a'} (n=${report.calibration.n})${report.calibration.warning ? `  ! ${report.calibration.warning}` : ''}`
          : 'calibration: not reported by evaluate',
        ...report.warnings.map((w) => `! ${w}`),
        ...(choice ? formatChoice(choice) : []),
        ...(savedProfile
          ? [
              `Saved site profile "${savedProfile}"${values.activate ? ' (active: the engine now uses it)' : ' (not active; pass --activate or switch it on in the app)'}`,
            ]
          : []),
        `Wrote ${runDir} (${report.files.join(', ')})`,
      ].join('\n'),
    );
    return 0;
  } catch (error) {
    const info = toErrorInfo(error);
    console.error(`Validation failed: ${info.code}: ${info.message}`);
    return info.code === 'INVALID_REQUEST' ? 2 : 1;
  } finally {
    await engine.dispose();
  }
}
