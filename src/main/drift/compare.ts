/**
 * Recent films against the model's reference films, signal by signal (pure; no I/O):
 *   gate rejections   share of readable films the chest gate turned away   (Fisher's exact test)
 *   unfamiliar        share of scored films with an `unfamiliar` verdict   (Fisher's exact test)
 *   score:<class>     distribution of each class's probability             (Kolmogorov-Smirnov)
 *   feature distance  distribution of the distance to the training films   (Kolmogorov-Smirnov)
 * A signal differs when its p-value is below 0.01 / m (Bonferroni over the m signals tested), so
 * the verdict is "different" only on strong evidence; the verdict names the signals that differ.
 */
import type {
  DriftHistogram,
  DriftObservation,
  DriftReport,
  DriftSignal,
} from '../../shared/drift';
import { fisherExact, ksTwoSample } from './statistics';

/** Family-wise level of the verdict. */
export const DRIFT_ALPHA = 0.01;
/** Fewer recent films than this: only a large shift can be seen, and the report says so. */
export const MIN_RECENT_FILMS = 30;

export interface DriftReferenceSummary {
  modelId: string;
  source: string;
  createdAt: string;
  labels: string[];
  observations: DriftObservation[];
}

function median(values: readonly number[]): number | undefined {
  if (values.length === 0) return undefined;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

function shareSignal(
  name: string,
  title: string,
  reference: { k: number; n: number },
  recent: { k: number; n: number },
): DriftSignal {
  const test = fisherExact(reference.k, reference.n, recent.k, recent.n);
  return {
    name,
    title,
    kind: 'share',
    test: 'fisher-exact',
    statistic: test?.statistic ?? null,
    pValue: test?.pValue ?? null,
    different: false,
    reference: { n: reference.n, ...(reference.n > 0 ? { share: reference.k / reference.n } : {}) },
    recent: { n: recent.n, ...(recent.n > 0 ? { share: recent.k / recent.n } : {}) },
  };
}

function distributionSignal(
  name: string,
  title: string,
  reference: readonly number[],
  recent: readonly number[],
): DriftSignal {
  const test = ksTwoSample(reference, recent);
  return {
    name,
    title,
    kind: 'distribution',
    test: 'kolmogorov-smirnov',
    statistic: test?.statistic ?? null,
    pValue: test?.pValue ?? null,
    different: false,
    reference: { n: reference.length, median: median(reference) },
    recent: { n: recent.length, median: median(recent) },
  };
}

/** Shares per bin over [lo, hi] (values outside go to the end bins). */
function histogram(values: readonly number[], edges: readonly number[]): number[] {
  const bins = edges.length - 1;
  const counts = new Array<number>(bins).fill(0);
  const lo = edges[0];
  const width = (edges[bins] - lo) / bins;
  for (const v of values) counts[Math.min(bins - 1, Math.max(0, Math.floor((v - lo) / width)))]++;
  return counts.map((c) => (values.length > 0 ? c / values.length : 0));
}

function histogramOf(
  name: string,
  title: string,
  reference: readonly number[],
  recent: readonly number[],
  range: [number, number],
  bins = 20,
): DriftHistogram {
  const edges = Array.from(
    { length: bins + 1 },
    (_, i) => range[0] + ((range[1] - range[0]) * i) / bins,
  );
  return {
    name,
    title,
    edges,
    reference: histogram(reference, edges),
    recent: histogram(recent, edges),
  };
}

const scored = (o: DriftObservation): boolean => !o.rejected && o.probabilities !== null;

export function compareWithReference(
  reference: DriftReferenceSummary,
  recent: { observations: readonly DriftObservation[]; unreadable: number; source: string },
): DriftReport {
  const ref = reference.observations;
  const now = recent.observations;
  const refScored = ref.filter(scored);
  const nowScored = now.filter(scored);
  const signals: DriftSignal[] = [
    shareSignal(
      'gate-rejections',
      'films turned away by the chest gate',
      { k: ref.filter((o) => o.rejected).length, n: ref.length },
      { k: now.filter((o) => o.rejected).length, n: now.length },
    ),
    shareSignal(
      'unfamiliar',
      'films unlike the training films (unfamiliar)',
      { k: refScored.filter((o) => o.unfamiliar === true).length, n: refScored.length },
      { k: nowScored.filter((o) => o.unfamiliar === true).length, n: nowScored.length },
    ),
    ...reference.labels.map((label, c) =>
      distributionSignal(
        `score:${label}`,
        `${label} probabilities`,
        refScored.map((o) => (o.probabilities as number[])[c]),
        nowScored.map((o) => (o.probabilities as number[])[c]),
      ),
    ),
  ];
  const refDistances = refScored.flatMap((o) => (o.distance === null ? [] : [o.distance]));
  const nowDistances = nowScored.flatMap((o) => (o.distance === null ? [] : [o.distance]));
  if (refDistances.length > 0) {
    signals.push(
      distributionSignal(
        'feature-distance',
        'feature distances to the training films',
        refDistances,
        nowDistances,
      ),
    );
  }
  const tested = signals.filter((s) => s.pValue !== null);
  const alpha = DRIFT_ALPHA / Math.max(1, tested.length);
  for (const s of tested) s.different = (s.pValue as number) < alpha;
  const differing = signals.filter((s) => s.different);
  const warnings: string[] = [];
  if (now.length < MIN_RECENT_FILMS) {
    warnings.push(
      `Only ${now.length} recent ${now.length === 1 ? 'film' : 'films'}: only a large change can be seen (${MIN_RECENT_FILMS} or more are needed for a useful comparison).`,
    );
  }
  if (recent.unreadable > 0) {
    warnings.push(
      `${recent.unreadable} ${recent.unreadable === 1 ? 'file' : 'files'} could not be read and ${recent.unreadable === 1 ? 'is' : 'are'} not counted.`,
    );
  }
  const top = (o: DriftObservation) => Math.max(...(o.probabilities as number[]));
  const maxDistance = Math.max(4, ...refDistances, ...nowDistances.map((d) => Math.min(d, 12)));
  const histograms: DriftHistogram[] = [
    ...(refDistances.length > 0
      ? [
          histogramOf(
            'feature-distance',
            'Feature distance to the training films',
            refDistances,
            nowDistances,
            [0, Math.ceil(maxDistance)],
          ),
        ]
      : []),
    histogramOf(
      'top-probability',
      'Top-class probability',
      refScored.map(top),
      nowScored.map(top),
      [0, 1],
    ),
  ];
  return {
    verdict:
      differing.length === 0
        ? 'similar'
        : `different: ${differing.map((s) => describeDifference(s)).join('; ')}`,
    alpha,
    signals,
    modelId: reference.modelId,
    reference: { source: reference.source, films: ref.length, createdAt: reference.createdAt },
    recent: { films: now.length, unreadable: recent.unreadable, source: recent.source },
    warnings,
    histograms,
  };
}

const pct = (v: number | undefined) => (v === undefined ? 'n/a' : `${(v * 100).toFixed(1)}%`);
const num = (v: number | undefined) => (v === undefined ? 'n/a' : v.toFixed(2));

/** "more films turned away by the chest gate (12.0% vs 2.0%)". */
export function describeDifference(s: DriftSignal): string {
  if (s.kind === 'share') {
    const more = (s.statistic ?? 0) > 0 ? 'more' : 'fewer';
    return `${more} ${s.title} (${pct(s.recent.share)} vs ${pct(s.reference.share)})`;
  }
  return `${s.title} shifted (median ${num(s.recent.median)} vs ${num(s.reference.median)})`;
}
