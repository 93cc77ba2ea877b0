/**
 * A site validation run: the site's films (folders) joined to their labels (a CSV or the reader
 * readings), run through `evaluate` itself (so the figures are evaluate's figures, written to the
 * same files), plus what a clinic needs to judge them: a 95% interval and n for every figure, a
 * warning where n is too small to conclude, gate rejections, verdict shares and the plots.
 * Each run is a folder under `<runsDir>/<runId>/`; nothing is written beside the films.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { basename, join, relative, resolve, sep } from 'node:path';
import { stringify } from 'csv-stringify/sync';
import { CodedError } from '../../../shared/errors';
import type {
  Estimate,
  LabelsSource,
  SitePlot,
  SiteValidationReport,
} from '../../../shared/site-profile';
import { ECE_BINS, runEvaluation, type EvaluatedImage } from '../evaluation';
import type { EvaluationReport } from '../evaluation/evaluate';
import type { InferenceEngine } from '../../platform/inference';
import type { OperatingPoint } from '../../../shared/verdict';
import { ScreeningSources } from '../screening';
import { joinLabels, type FilmLabel } from './labels';
import type { ScoredFilm } from './operating-point';
import { aucEstimate, smallNWarning, wilsonEstimate } from './statistics';
import { recalibrationOfScores } from './recalibration';
import { siteValidationMarkdown } from './summary';

export const REPORT_FILE = 'site-validation.json';
export const SCORES_FILE = 'scores.json';
export const LABELS_MANIFEST_FILE = 'labels-manifest.csv';

/** Films per class below which the whole run is flagged (figures per class would be guesses). */
const MIN_FILMS_PER_CLASS = 30;

export interface SiteValidationOptions {
  folders: string[];
  labels: FilmLabel[];
  labelsSource: LabelsSource;
  engine: InferenceEngine;
  /** Runs are stored in `<runsDir>/<runId>/`. */
  runsDir: string;
  onProgress?: (done: number, total: number) => void;
  signal?: AbortSignal;
  /** A saved site profile applied to every film (its threshold and/or recalibration); null: the model alone. */
  operatingPoint?: OperatingPoint | null;
  /** Fit a site recalibration on the scored films (cross-fitted; reported, not saved). */
  recalibrate?: boolean;
}

export interface SiteValidationOutcome {
  report: SiteValidationReport;
  runDir: string;
  /** Evaluate's per-film results, in film order. */
  images: EvaluatedImage[];
}

/** The stored scores a later operating-point choice is made from. */
export interface StoredScores {
  runId: string;
  modelId: string;
  modelSha256: string;
  labels: string[];
  films: (ScoredFilm & { path: string })[];
  /** The site profile applied while scoring (`validate --site-profile`); null/absent: the model alone. */
  siteProfile?: string | null;
}

/** Why a run cannot start without labels, in words for the source the user gave. */
export function noLabelsMessage(source: LabelsSource): string {
  return source.kind === 'reader-readings'
    ? 'No reader readings are recorded yet: read films in the viewer first, or give --labels <csv>'
    : `The labels CSV ${source.path} has no rows`;
}

/** "1 film", "2 films". */
export function plural(n: number, noun: string): string {
  return `${n} ${noun}${n === 1 ? '' : 's'}`;
}

export function newRunId(now = new Date()): string {
  const stamp = now
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d+Z$/, 'Z');
  return `${stamp}-${randomBytes(3).toString('hex')}`;
}

export function runDirOf(runsDir: string, runId: string): string {
  if (!/^[A-Za-z0-9_-]+$/.test(runId))
    throw new CodedError('INVALID_REQUEST', `invalid run id ${runId}`);
  return join(runsDir, runId);
}

/** Every image the screening walk would screen (DICOMDIRs followed), and how many it could not read. */
async function filmsIn(
  folders: string[],
  signal?: AbortSignal,
): Promise<{ films: string[]; unreadable: string[] }> {
  const sources = new ScreeningSources(folders, signal);
  await sources.count();
  const films: string[] = [];
  const unreadable: string[] = [];
  for await (const item of sources.items()) {
    if (item.kind === 'error') unreadable.push(item.path);
    else films.push(item.path);
  }
  return { films, unreadable };
}

/** The folder a film was found under, as its "source" in evaluate's per-source table. */
function sourceOf(film: string, folders: string[]): string {
  for (const folder of folders) {
    const rel = relative(resolve(folder), film);
    if (rel !== '' && !rel.startsWith('..') && !rel.startsWith(sep))
      return basename(resolve(folder));
  }
  return 'site';
}

const PLOT_TITLES: Record<string, string> = {
  'roc.svg': 'ROC curves (one class against the rest)',
  'confusion_matrix.svg': 'Confusion matrix',
};

function plotTitle(file: string): string {
  if (PLOT_TITLES[file]) return PLOT_TITLES[file];
  if (/reliab/i.test(file)) return 'Reliability diagram (calibration)';
  return file.replace(/\.svg$/, '').replace(/[_-]+/g, ' ');
}

async function plotsIn(runDir: string): Promise<SitePlot[]> {
  const files = (await readdir(runDir)).filter((f) => f.endsWith('.svg')).sort();
  return Promise.all(
    files.map(async (file) => ({
      title: plotTitle(file),
      file,
      svg: await readFile(join(runDir, file), 'utf8'),
    })),
  );
}

/** Calibration as evaluate reports it, with the small-n warning. */
function calibrationOf(metrics: EvaluationReport): SiteValidationReport['calibration'] {
  const { calibrated, ece, n } = metrics.calibration;
  return {
    calibrated,
    ece,
    n,
    warning:
      n < 100
        ? `Only ${n} films over ${ECE_BINS} bins: the reliability diagram and ECE are too noisy to conclude (100 or more films are needed).`
        : null,
  };
}

/** Evaluate's verdict statistics with intervals (the same counts, so the same shares). */
function verdictsOf(metrics: EvaluationReport): SiteValidationReport['verdicts'] {
  const v = metrics.verdicts;
  if (v.n === 0) return null;
  const callsRight = Math.round((v.call.accuracy ?? 0) * v.call.n);
  return {
    uncertain: wilsonEstimate(v.uncertain.n, v.n, 'the uncertain share'),
    unfamiliar: wilsonEstimate(v.unfamiliar.n, v.n, 'the unfamiliar share'),
    callAccuracy: wilsonEstimate(callsRight, v.call.n, 'the accuracy of calls'),
  };
}

export async function runSiteValidation(
  options: SiteValidationOptions,
): Promise<SiteValidationOutcome> {
  const { engine } = options;
  const labels = engine.manifest.labels;
  const folders = options.folders.map((f) => resolve(f));
  if (folders.length === 0)
    throw new CodedError('INVALID_REQUEST', 'Name at least one folder of films');
  if (options.labels.length === 0) {
    throw new CodedError('INVALID_REQUEST', noLabelsMessage(options.labelsSource));
  }
  const { films, unreadable } = await filmsIn(folders, options.signal);
  const where = folders.join(', ');
  if (films.length === 0) {
    throw new CodedError(
      'INVALID_REQUEST',
      unreadable.length > 0
        ? `No readable films in ${where}: ${plural(unreadable.length, 'file')} could not be read as an image`
        : `No films in ${where} (looked for DICOM, PNG and JPEG files, and DICOMDIR sets)`,
    );
  }
  const join_ = await joinLabels(films, options.labels, labels);
  if (join_.labelled.length === 0) {
    const named = join_.labelsWithoutFilm;
    const excluded = Object.keys(join_.excludedByLabel);
    throw new CodedError(
      'INVALID_REQUEST',
      `None of the ${plural(films.length, 'film')} in ${where} has a label that is one of ${labels.join(', ')}` +
        (named > 0
          ? `; ${plural(named, 'label row')} ${named === 1 ? 'names a file' : 'name files'} not in these folders (e.g. ${join_.labelsWithoutFilmPaths[0]})`
          : '') +
        (excluded.length > 0 ? `; labels found: ${excluded.map((l) => `"${l}"`).join(', ')}` : ''),
    );
  }

  const point = options.operatingPoint ?? null;
  const siteProfile: SiteValidationReport['siteProfile'] = point
    ? {
        name: point.profileName,
        label: point.label,
        threshold: point.threshold,
        calibrated: Boolean(point.calibration),
        smallNWarning: point.smallNWarning ?? null,
      }
    : null;
  const runId = newRunId();
  const runDir = runDirOf(options.runsDir, runId);
  await mkdir(runDir, { recursive: true });
  // evaluate reads a manifest; absolute paths so nothing depends on where the run folder is.
  const manifestPath = join(runDir, LABELS_MANIFEST_FILE);
  await writeFile(
    manifestPath,
    stringify(
      join_.labelled.map((f) => [f.path, f.label, sourceOf(f.path, folders)]),
      { header: true, columns: ['file', 'label', 'source'] },
    ),
    'utf8',
  );
  const outcome = await runEvaluation({
    manifestPath,
    outDir: runDir,
    engine,
    onProgress: options.onProgress,
    operatingPoint: options.operatingPoint ?? null,
  });
  const { metrics, images } = outcome;

  const scoredImages = images.filter((i) => i.probabilities !== null);
  const scored: (ScoredFilm & { path: string })[] = scoredImages.map((image) => ({
    path: image.path,
    truth: image.label,
    probabilities: image.probabilities as number[],
    verdict: image.verdict?.kind ?? null,
  }));
  const matrix = metrics.confusion_matrix;
  const total = matrix.flat().reduce((a, b) => a + b, 0);
  const correct = matrix.reduce((sum, row, i) => sum + row[i], 0);

  const perClass: SiteValidationReport['perClass'] = {};
  labels.forEach((label, c) => {
    const positives = matrix[c].reduce((a, b) => a + b, 0);
    const called = matrix.reduce((sum, row) => sum + row[c], 0);
    perClass[label] = {
      sensitivity: wilsonEstimate(matrix[c][c], positives, `${label} sensitivity`),
      ppv: wilsonEstimate(matrix[c][c], called, `${label} PPV`),
      auc: aucEstimate(
        scored.map((f) => f.probabilities[c]),
        scored.map((f) => f.truth === label),
        `${label} AUC`,
      ),
    };
  });

  const rejected = images.filter((i) => i.rejected !== null);
  const readable = images.filter((i) => i.error === null);
  const gateRejections = {
    ...wilsonEstimate(rejected.length, readable.length, 'the gate rejection rate'),
    reasons: rejected.map((i) => ({ file: i.path, reason: i.rejected as string })),
  };

  const accuracy: Estimate = wilsonEstimate(correct, total, 'accuracy');
  const warnings: string[] = [];
  for (const label of labels) {
    const n = matrix[labels.indexOf(label)].reduce((a, b) => a + b, 0);
    if (n < MIN_FILMS_PER_CLASS) {
      warnings.push(
        `Only ${plural(n, `scored ${label} film`)} (at least ${MIN_FILMS_PER_CLASS} per class are needed before the per-class figures mean much).`,
      );
    }
  }
  const accuracyWarning = smallNWarning(total, accuracy.low, accuracy.high, 'accuracy');
  if (accuracyWarning) warnings.push(accuracyWarning);
  if (join_.unlabelled.length > 0) {
    const n = join_.unlabelled.length;
    warnings.push(
      `${plural(n, 'film')} ${n === 1 ? 'has' : 'have'} no label and ${n === 1 ? 'was' : 'were'} not evaluated.`,
    );
  }
  for (const [label, count] of Object.entries(join_.excludedByLabel)) {
    warnings.push(
      `${plural(count, 'film')} labelled "${label}" ${count === 1 ? 'was' : 'were'} not evaluated ("${label}" is not a class of this model).`,
    );
  }
  for (const [written, modelClass] of Object.entries(join_.caseFolded)) {
    warnings.push(`Label "${written}" was read as the model class "${modelClass}".`);
  }
  if (join_.labelsWithoutFilm > 0) {
    const n = join_.labelsWithoutFilm;
    const shown = join_.labelsWithoutFilmPaths.slice(0, 3).join(', ');
    warnings.push(
      `${plural(n, 'label row')} ${n === 1 ? 'names a file' : 'name files'} not found in the folders (${shown}${n > 3 ? ', ...' : ''}).`,
    );
  }
  const failed = images.filter((i) => i.error !== null).length;
  if (failed + unreadable.length > 0) {
    const n = failed + unreadable.length;
    warnings.push(`${plural(n, 'film')} could not be read.`);
  }

  if (options.recalibrate && point) {
    throw new CodedError(
      'INVALID_REQUEST',
      'A recalibration is fitted on the model alone: leave out the site profile to recalibrate',
    );
  }
  const recalibration = options.recalibrate
    ? recalibrationOfScores({ labels, films: scored })
    : null;
  await writeFile(
    join(runDir, SCORES_FILE),
    `${JSON.stringify({ runId, modelId: engine.manifest.id, modelSha256: engine.manifest.sha256, labels, films: scored, siteProfile: siteProfile?.name ?? null } satisfies StoredScores)}\n`,
    'utf8',
  );
  const report: SiteValidationReport = {
    runId,
    createdAt: new Date().toISOString(),
    modelId: engine.manifest.id,
    modelSha256: engine.manifest.sha256,
    folders,
    labelsSource: options.labelsSource,
    labels: [...labels],
    films: {
      found: films.length + unreadable.length,
      labelled: join_.labelled.length,
      unlabelled: join_.unlabelled.length,
      excludedByLabel: join_.excludedByLabel,
      labelsWithoutFilm: join_.labelsWithoutFilm,
      unreadable: failed + unreadable.length,
      rejectedByGate: rejected.length,
      scored: scored.length,
    },
    accuracy,
    perClass,
    confusionMatrix: matrix,
    gateRejections,
    calibration: calibrationOf(metrics),
    verdicts: verdictsOf(metrics),
    siteProfile,
    recalibration,
    plots: await plotsIn(runDir),
    files: [...outcome.files.map((f) => basename(f)), SCORES_FILE, REPORT_FILE],
    warnings,
  };
  await writeFile(join(runDir, REPORT_FILE), `${JSON.stringify(report, null, 2)}\n`, 'utf8');
  // report.md keeps what evaluate's tables leave out: the intervals, n and warnings.
  const evaluateReport = join(runDir, 'report.md');
  const evaluated = await readFile(evaluateReport, 'utf8').catch(() => '');
  await writeFile(evaluateReport, `${siteValidationMarkdown(report)}\n${evaluated}`, 'utf8');
  return { report, runDir, images };
}

export async function readSiteValidationReport(
  runsDir: string,
  runId: string,
): Promise<SiteValidationReport> {
  try {
    return JSON.parse(
      await readFile(join(runDirOf(runsDir, runId), REPORT_FILE), 'utf8'),
    ) as SiteValidationReport;
  } catch {
    throw new CodedError('FILE_NOT_FOUND', `No site validation run ${runId}`);
  }
}

export async function readStoredScores(runsDir: string, runId: string): Promise<StoredScores> {
  try {
    return JSON.parse(
      await readFile(join(runDirOf(runsDir, runId), SCORES_FILE), 'utf8'),
    ) as StoredScores;
  } catch {
    throw new CodedError('FILE_NOT_FOUND', `No site validation run ${runId}`);
  }
}
