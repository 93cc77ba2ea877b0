/**
 * Site validation and site profiles (issue 17, item 4). A clinic runs the model over its own
 * labelled films; the figures say how the model does there, each with its n and a warning when
 * n is too small to conclude. From those films the user may choose a site operating point (one
 * label's threshold, e.g. the COVID-19 threshold reaching a target sensitivity), saved as a named
 * profile with the figures that chose it. The active profile is passed to the engine as its
 * `operatingPoint` (src/shared/verdict.ts) on every path, is named wherever it is in use, and can
 * be switched off. Nothing is chosen silently: a profile is applied only after the user made it
 * active, and only to the model it was chosen on.
 */
import type { OperatingPoint, SiteCalibration } from './verdict';

/** A proportion or AUC with its 95% interval, how many films it rests on, and a warning. */
export interface Estimate {
  /** Null when undefined (e.g. no positives). */
  value: number | null;
  low: number | null;
  high: number | null;
  /** Films (or positives / negatives, as the figure says) behind the figure. */
  n: number;
  /** How the interval was made: Wilson score interval, or a percentile bootstrap. */
  interval: 'wilson' | 'bootstrap' | 'none';
  /** Set when n is too small to conclude (the 95% interval is wider than 0.2, or n < 10). */
  warning: string | null;
}

export interface SiteClassFigures {
  /** Among films whose label is this class: share the model called this class (argmax). */
  sensitivity: Estimate;
  /** Among films the model called this class: share that are this class. */
  ppv: Estimate;
  /** One-vs-rest ROC AUC; interval from a percentile bootstrap over films. */
  auc: Estimate;
}

export type LabelsSource =
  { kind: 'labels-csv'; path: string } | { kind: 'reader-readings'; readings: number };

export interface SitePlot {
  title: string;
  /** File name in the run folder (roc.svg, confusion_matrix.svg, the reliability diagram...). */
  file: string;
  svg: string;
}

/** What one site validation run found; stored as site-validation.json in its run folder. */
export interface SiteValidationReport {
  runId: string;
  createdAt: string;
  modelId: string;
  modelSha256: string;
  folders: string[];
  labelsSource: LabelsSource;
  labels: string[];
  films: {
    /** Images found in the folders. */
    found: number;
    /** Of those, films with a label that is a model class (the evaluated set). */
    labelled: number;
    /** Films with no label (not evaluated). */
    unlabelled: number;
    /** Labels that are no model class (e.g. a reader's "other"): not evaluated. */
    excludedByLabel: Record<string, number>;
    /** Label rows that name no film in the folders. */
    labelsWithoutFilm: number;
    unreadable: number;
    rejectedByGate: number;
    scored: number;
  };
  /** Figures on the scored films (argmax calls, as `evaluate` computes them). */
  accuracy: Estimate;
  perClass: Record<string, SiteClassFigures>;
  /** Rows: truth; columns: prediction; in `labels` order. */
  confusionMatrix: number[][];
  /** Share of the labelled, readable films the chest gate turned away, with its reasons. */
  gateRejections: Estimate & { reasons: { file: string; reason: string }[] };
  /** Calibration as `evaluate` reports it (null when this engine's `evaluate` has none yet). */
  calibration: {
    calibrated: boolean;
    /** Expected calibration error of the top probability (15 bins). */
    ece: number | null;
    n: number;
    warning: string | null;
  } | null;
  /** Verdict shares on the scored films (null when the engine gave no verdicts). */
  verdicts: {
    uncertain: Estimate;
    unfamiliar: Estimate;
    /** Accuracy of `call` verdicts only. */
    callAccuracy: Estimate;
  } | null;
  /**
   * The saved site profile applied to every film of this run (`validate --site-profile`), so the
   * figures are the profile's on these films; null: the model alone.
   */
  siteProfile?: {
    name: string;
    label: string | null;
    threshold: number | null;
    calibrated: boolean;
    smallNWarning: string | null;
  } | null;
  /** `validate --recalibrate`: the site recalibration fitted on this run's films (not saved). */
  recalibration?: SiteRecalibration | null;
  plots: SitePlot[];
  /** What the run folder holds (evaluate's files and this report). */
  files: string[];
  /** Plain-words warnings that apply to the whole run. */
  warnings: string[];
}

/** One label's threshold chosen on the site's films for a target sensitivity. */
export interface SiteOperatingPointChoice {
  label: string;
  targetSensitivity: number;
  /** The highest threshold whose sensitivity on these films reaches the target. */
  threshold: number;
  /** 95% percentile-bootstrap interval of that threshold over resampled films. */
  thresholdInterval: { low: number; high: number } | null;
  /** At `threshold`, on the scored films (P(label) >= threshold counts as positive). */
  sensitivity: Estimate;
  specificity: Estimate;
  ppv: Estimate;
  /** The model's default threshold for the label, for comparison. */
  defaultThreshold: number;
  /** Sensitivity and specificity at the default threshold on the same films. */
  atDefault: { sensitivity: Estimate; specificity: Estimate };
  positives: number;
  negatives: number;
  warnings: string[];
}

/** A figure with its 95% interval (percentile bootstrap over films, shifted by the bootstrap's bias). */
export interface FigureWithInterval {
  value: number;
  low: number | null;
  high: number | null;
}

/**
 * A site recalibration fitted on a validation run's films: the parameters (fitted on all `n`
 * films) and ECE / NLL before and after, the "after" cross-fitted over `folds` folds.
 */
export interface SiteRecalibration {
  method: SiteCalibration['method'];
  parameters: SiteCalibration;
  n: number;
  folds: number;
  eceBefore: FigureWithInterval;
  eceAfter: FigureWithInterval;
  nllBefore: FigureWithInterval;
  nllAfter: FigureWithInterval;
  interval: 'bootstrap';
}

/** Fewer labelled films than this of a class a profile involves: saved only when accepted. */
export const MIN_PROFILE_FILMS_PER_CLASS = 30;

export interface SiteProfile {
  /** Shown in the panel, the SR and the PDF; letters, digits, space and . _ - ( ) only. */
  name: string;
  /** The label whose threshold the profile sets; null for a calibration-only profile. */
  label: string | null;
  threshold: number | null;
  /** The model it was chosen on; it is not applied to any other. */
  modelId: string;
  modelSha256: string;
  createdAt: string;
  /** The figures that chose the threshold (saved beside it; also copied as <name>/site-validation.json). */
  choice: SiteOperatingPointChoice | null;
  /** The site recalibration and its before/after figures; null when the profile has none. */
  recalibration?: SiteRecalibration | null;
  /**
   * Set when it was saved from fewer than MIN_PROFILE_FILMS_PER_CLASS films of a class it
   * involves (the user accepted that); travels with the profile into every output naming it.
   */
  smallNWarning?: string | null;
  validation: {
    runId: string;
    folders: string[];
    labelsSource: LabelsSource;
    scored: number;
    /** AUC of the threshold's label (null for a calibration-only profile). */
    auc: Estimate | null;
  };
}

export interface SiteProfilesState {
  profiles: SiteProfile[];
  /** Null: the model's own thresholds (no site profile in use). */
  activeProfileName: string | null;
  /** Why the active profile is not applied right now (e.g. another model is loaded); else null. */
  inactiveReason: string | null;
}

export const SITE_PROFILE_NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9 ._()-]{0,47}$/;

export function operatingPointOf(profile: SiteProfile): OperatingPoint {
  return {
    profileName: profile.name,
    label: profile.label,
    threshold: profile.threshold,
    calibration: profile.recalibration?.parameters ?? null,
    smallNWarning: profile.smallNWarning ?? null,
  };
}
