/**
 * Calibration and verdict figures for `evaluate` and site validation (pure; no I/O):
 * expected calibration error over equal-width bins of the top-class confidence, the reliability
 * diagram drawn from the same bins, verdict statistics, and a seeded percentile bootstrap.
 */
import type { VerdictKind } from '../../shared/verdict';
import { argmax } from './metrics';
import { seededRandom } from '../../shared/seeded-random';

export const ECE_BINS = 15;

export interface ReliabilityBin {
  /** Confidences in (lower, upper]; the first bin also holds exactly 0. */
  lower: number;
  upper: number;
  n: number;
  /** Mean top-class probability of the films in the bin (null when empty). */
  confidence: number | null;
  /** Share of those films whose top class is the truth (null when empty). */
  accuracy: number | null;
}

export interface CalibrationFigures {
  /** sum over bins of n_b / n * |accuracy_b - confidence_b|; null without films. */
  ece: number | null;
  n: number;
  bins: ReliabilityBin[];
  /** Largest |accuracy_b - confidence_b| over non-empty bins. */
  max_gap: number | null;
}

/**
 * Expected calibration error (Guo et al. 2017): films binned by top-class confidence into
 * `bins` equal-width bins (lower edge exclusive, upper inclusive).
 */
export function expectedCalibrationError(
  samples: readonly { probabilities: readonly number[]; truth: number }[],
  bins = ECE_BINS,
): CalibrationFigures {
  const counts = new Array<number>(bins).fill(0);
  const confidenceSums = new Array<number>(bins).fill(0);
  const correct = new Array<number>(bins).fill(0);
  for (const sample of samples) {
    const top = argmax(sample.probabilities);
    const confidence = sample.probabilities[top];
    // The epsilon keeps a confidence of exactly b/bins in bin b-1 despite rounding (0.8 * 15).
    const bin = Math.min(bins - 1, Math.max(0, Math.ceil(confidence * bins - 1e-9) - 1));
    counts[bin]++;
    confidenceSums[bin] += confidence;
    if (top === sample.truth) correct[bin]++;
  }
  const n = samples.length;
  let ece = 0;
  let maxGap: number | null = null;
  const binFigures = counts.map((count, b): ReliabilityBin => {
    const lower = b / bins;
    const upper = (b + 1) / bins;
    if (count === 0) return { lower, upper, n: 0, confidence: null, accuracy: null };
    const confidence = confidenceSums[b] / count;
    const accuracy = correct[b] / count;
    const gap = Math.abs(accuracy - confidence);
    ece += (count / n) * gap;
    maxGap = Math.max(maxGap ?? 0, gap);
    return { lower, upper, n: count, confidence, accuracy };
  });
  return { ece: n > 0 ? ece : null, n, bins: binFigures, max_gap: maxGap };
}

export interface SourceCalibration {
  n: number;
  ece: number | null;
  /** Top-class accuracy and mean top-class probability: over-confidence is their gap. */
  accuracy: number | null;
  mean_confidence: number | null;
}

/**
 * ECE per source (same bins as the overall figure): a temperature fitted on one mix of sources can
 * be right on average and wrong on every source, so each source is judged on its own films.
 */
export function calibrationBySource(
  samples: readonly { probabilities: readonly number[]; truth: number; source: string }[],
  bins = ECE_BINS,
): Record<string, SourceCalibration> {
  const bySource = new Map<string, typeof samples>();
  for (const s of samples) bySource.set(s.source, [...(bySource.get(s.source) ?? []), s]);
  const out: Record<string, SourceCalibration> = {};
  for (const source of [...bySource.keys()].sort()) {
    const group = bySource.get(source) ?? [];
    const n = group.length;
    const tops = group.map((s) => argmax(s.probabilities));
    out[source] = {
      n,
      ece: expectedCalibrationError(group, bins).ece,
      accuracy: n > 0 ? tops.filter((t, i) => t === group[i].truth).length / n : null,
      mean_confidence:
        n > 0 ? group.reduce((sum, s, i) => sum + s.probabilities[tops[i]], 0) / n : null,
    };
  }
  return out;
}

export interface VerdictFigures {
  n: number;
  /** Accuracy of the top class over every scored film. */
  accuracy_all: number | null;
  call: { n: number; share: number | null; accuracy: number | null };
  uncertain: { n: number; share: number | null; accuracy: number | null };
  unfamiliar: { n: number; share: number | null; accuracy: number | null };
}

/**
 * Verdict statistics over scored films: for each kind its count, share of all, and the accuracy
 * of the top class within it (for `call` that is the called label: the call's accuracy).
 */
export function verdictFigures(
  films: readonly { verdict: VerdictKind; predicted: string; truth: string }[],
): VerdictFigures {
  const n = films.length;
  const share = (k: number): number | null => (n > 0 ? k / n : null);
  const of = (kind: VerdictKind): VerdictFigures['call'] => {
    const group = films.filter((f) => f.verdict === kind);
    const right = group.filter((f) => f.predicted === f.truth).length;
    return {
      n: group.length,
      share: share(group.length),
      accuracy: group.length > 0 ? right / group.length : null,
    };
  };
  return {
    n,
    accuracy_all: n > 0 ? films.filter((f) => f.predicted === f.truth).length / n : null,
    call: of('call'),
    uncertain: of('uncertain'),
    unfamiliar: of('unfamiliar'),
  };
}

/**
 * Percentile bootstrap interval of `statistic` over `items` (resampled with replacement,
 * `replicates` times, fixed seed); replicates where the statistic is null are skipped.
 */
export function bootstrapInterval<T>(
  items: readonly T[],
  statistic: (sample: readonly T[]) => number | null,
  options: { replicates?: number; level?: number; seed?: number } = {},
): { low: number | null; high: number | null; replicates: number } {
  const replicates = options.replicates ?? 1000;
  const level = options.level ?? 0.95;
  const random = seededRandom(options.seed ?? 17); // a bootstrap repeats exactly
  const values: number[] = [];
  if (items.length === 0) return { low: null, high: null, replicates: 0 };
  for (let r = 0; r < replicates; r++) {
    const sample = Array.from(
      { length: items.length },
      () => items[Math.floor(random() * items.length)],
    );
    const value = statistic(sample);
    if (value !== null && Number.isFinite(value)) values.push(value);
  }
  if (values.length === 0) return { low: null, high: null, replicates: 0 };
  values.sort((a, b) => a - b);
  const at = (q: number): number =>
    values[Math.min(values.length - 1, Math.max(0, Math.floor(q * values.length)))];
  return { low: at((1 - level) / 2), high: at(1 - (1 - level) / 2), replicates: values.length };
}

function escapeXml(text: string): string {
  return text.replace(/[<>&"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/**
 * Reliability diagram: per bin, accuracy (bar) against mean confidence (dot), the diagonal of
 * perfect calibration, and the films per bin; ECE and n in the title.
 */
export function reliabilitySvg(figures: CalibrationFigures, title = 'Reliability diagram'): string {
  const size = 360;
  const left = 60;
  const top = 40;
  const width = left + size + 40;
  const height = top + size + 70;
  const sx = (v: number): number => left + v * size;
  const sy = (v: number): number => top + (1 - v) * size;
  const heading = `${title}: ECE ${figures.ece === null ? 'n/a' : figures.ece.toFixed(3)} (${figures.bins.length} bins, n=${figures.n})`;
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" font-family="sans-serif" font-size="12">`,
    `<rect width="100%" height="100%" fill="white"/>`,
    `<text x="${left + size / 2}" y="22" text-anchor="middle" font-weight="bold">${escapeXml(heading)}</text>`,
    `<rect x="${left}" y="${top}" width="${size}" height="${size}" fill="none" stroke="black"/>`,
    `<line x1="${sx(0)}" y1="${sy(0)}" x2="${sx(1)}" y2="${sy(1)}" stroke="#bbb" stroke-dasharray="4 4"/>`,
    `<text x="${left + size / 2}" y="${top + size + 35}" text-anchor="middle">confidence (top-class probability)</text>`,
    `<text x="18" y="${top + size / 2}" text-anchor="middle" transform="rotate(-90 18 ${top + size / 2})">accuracy</text>`,
  ];
  for (const tick of [0, 0.25, 0.5, 0.75, 1]) {
    parts.push(`<text x="${sx(tick)}" y="${top + size + 16}" text-anchor="middle">${tick}</text>`);
    parts.push(`<text x="${left - 6}" y="${sy(tick) + 4}" text-anchor="end">${tick}</text>`);
  }
  for (const bin of figures.bins) {
    if (bin.n === 0 || bin.accuracy === null || bin.confidence === null) continue;
    const x = sx(bin.lower) + 1;
    const barWidth = sx(bin.upper) - sx(bin.lower) - 2;
    parts.push(
      `<rect x="${x.toFixed(1)}" y="${sy(bin.accuracy).toFixed(1)}" width="${barWidth.toFixed(1)}" height="${(sy(0) - sy(bin.accuracy)).toFixed(1)}" fill="#7fa7d9" stroke="#3b6aa8"><title>${bin.lower.toFixed(2)}-${bin.upper.toFixed(2)}: n=${bin.n}, accuracy ${bin.accuracy.toFixed(3)}, confidence ${bin.confidence.toFixed(3)}</title></rect>`,
      `<circle cx="${sx(bin.confidence).toFixed(1)}" cy="${sy(bin.confidence).toFixed(1)}" r="3" fill="#d95f02"/>`,
      `<text x="${(x + barWidth / 2).toFixed(1)}" y="${top + size + 52}" text-anchor="middle" font-size="9">${bin.n}</text>`,
    );
  }
  parts.push(
    `<text x="${left}" y="${top + size + 64}" font-size="10">bars: accuracy per bin; dots: mean confidence; numbers: films per bin</text>`,
    '</svg>',
  );
  return `${parts.join('\n')}\n`;
}
