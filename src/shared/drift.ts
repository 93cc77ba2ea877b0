/**
 * The drift monitor (issue 21, item 5): recent films compared with the model's reference films
 * (statistics stored with the model folder, `drift-reference.json`), no labels needed. Each
 * signal has a two-sample test; one plain verdict says whether the films look like the ones the
 * model was checked on. A changed population is a reason to re-validate, not proof of error.
 */

/** What the drift monitor records of one film: what the pipeline said, nothing of the patient. */
export interface DriftObservation {
  /** The chest gate turned the film away. */
  rejected: boolean;
  /** Calibrated probabilities in label order (null when rejected). */
  probabilities: number[] | null;
  /** The verdict was `unfamiliar` (null when rejected). */
  unfamiliar: boolean | null;
  /** Scaled feature distance to the training films (null when rejected or the model has none). */
  distance: number | null;
}

export type DriftSignalKind = 'share' | 'distribution';

export interface DriftSignal {
  /** e.g. `gate-rejections`, `unfamiliar`, `score:COVID-19`, `feature-distance`. */
  name: string;
  /** Plain words for the table and the verdict. */
  title: string;
  kind: DriftSignalKind;
  /** `share`: Fisher's exact test; `distribution`: two-sample Kolmogorov-Smirnov. */
  test: 'fisher-exact' | 'kolmogorov-smirnov';
  /** Share: recent minus reference share; distribution: the KS D statistic (0..1). */
  statistic: number | null;
  /** Two-sided p-value; null when a side has no films for this signal. */
  pValue: number | null;
  /** Whether this signal is below the corrected significance level. */
  different: boolean;
  reference: { n: number; share?: number; median?: number };
  recent: { n: number; share?: number; median?: number };
}

export interface DriftReport {
  /** `similar`, or `different: <the signals that differ>`. */
  verdict: string;
  /** Per-signal level after Bonferroni over the signals tested (0.01 / m). */
  alpha: number;
  signals: DriftSignal[];
  modelId: string;
  /** Where the reference films came from, and how many. */
  reference: { source: string; films: number; createdAt: string };
  recent: { films: number; unreadable: number; source: string };
  /** Plain-words cautions (e.g. too few recent films to see anything but a large shift). */
  warnings: string[];
  /** Histograms for the chart: feature distance and top-class probability, reference vs recent. */
  histograms: DriftHistogram[];
}

export interface DriftHistogram {
  name: string;
  title: string;
  /** Bin edges (bins + 1 values). */
  edges: number[];
  /** Shares of films per bin (sum 1 over the films with a value). */
  reference: number[];
  recent: number[];
}
