/**
 * Classification metrics for `evaluate` (pure; no I/O). Fractions are 0..1; a figure that is
 * undefined (no positives, nothing predicted as the class) is null.
 */

export interface EvaluationSample {
  /** Ground-truth label (one of `classes`). */
  truth: string;
  /** Model probabilities in `classes` order. */
  probabilities: number[];
  source: string;
}

export interface ClassMetrics {
  sensitivity: number | null;
  ppv: number | null;
  auc: number | null;
}

export interface SourceMetrics {
  n: number;
  accuracy: number | null;
  per_class: Record<string, { n: number; sensitivity: number | null }>;
}

export interface EvaluationMetrics {
  n_images: number;
  accuracy: number | null;
  classes: string[];
  per_class: Record<string, ClassMetrics>;
  /** Rows: truth; columns: prediction; both in `classes` order. */
  confusion_matrix: number[][];
  per_source: Record<string, SourceMetrics>;
}

export function argmax(values: readonly number[]): number {
  let best = 0;
  for (let i = 1; i < values.length; i++) if (values[i] > values[best]) best = i;
  return best;
}

function ratio(numerator: number, denominator: number): number | null {
  return denominator > 0 ? numerator / denominator : null;
}

export function confusionMatrix(
  truth: number[],
  predicted: number[],
  classCount: number,
): number[][] {
  const matrix = Array.from({ length: classCount }, () => new Array<number>(classCount).fill(0));
  truth.forEach((t, i) => matrix[t][predicted[i]]++);
  return matrix;
}

/**
 * ROC AUC as the Mann-Whitney statistic: the probability that a random positive scores above a
 * random negative, ties counting one half (midranks). Null without both positives and negatives.
 */
export function rocAuc(scores: readonly number[], positive: readonly boolean[]): number | null {
  const nPos = positive.filter(Boolean).length;
  const nNeg = positive.length - nPos;
  if (nPos === 0 || nNeg === 0) return null;
  const order = scores.map((s, i) => i).sort((a, b) => scores[a] - scores[b]);
  let positiveRankSum = 0;
  for (let i = 0; i < order.length;) {
    let j = i;
    while (j + 1 < order.length && scores[order[j + 1]] === scores[order[i]]) j++;
    const midrank = (i + j) / 2 + 1; // ranks are 1-based
    for (let k = i; k <= j; k++) if (positive[order[k]]) positiveRankSum += midrank;
    i = j + 1;
  }
  return (positiveRankSum - (nPos * (nPos + 1)) / 2) / (nPos * nNeg);
}

/** ROC points (false positive rate, true positive rate) from the highest threshold down; tied scores form one step. */
export function rocCurve(
  scores: readonly number[],
  positive: readonly boolean[],
): { fpr: number[]; tpr: number[] } {
  const nPos = positive.filter(Boolean).length;
  const nNeg = positive.length - nPos;
  const order = scores.map((s, i) => i).sort((a, b) => scores[b] - scores[a]);
  const fpr = [0];
  const tpr = [0];
  let tp = 0;
  let fp = 0;
  for (let i = 0; i < order.length;) {
    let j = i;
    while (j < order.length && scores[order[j]] === scores[order[i]]) {
      if (positive[order[j]]) tp++;
      else fp++;
      j++;
    }
    fpr.push(nNeg > 0 ? fp / nNeg : 0);
    tpr.push(nPos > 0 ? tp / nPos : 0);
    i = j;
  }
  return { fpr, tpr };
}

function accuracyOf(matrix: number[][]): number | null {
  let correct = 0;
  let total = 0;
  matrix.forEach((row, i) => {
    row.forEach((count) => (total += count));
    correct += row[i];
  });
  return ratio(correct, total);
}

export function computeMetrics(
  samples: readonly EvaluationSample[],
  classes: readonly string[],
): EvaluationMetrics {
  const truth = samples.map((s) => {
    const index = classes.indexOf(s.truth);
    if (index < 0) throw new RangeError(`label "${s.truth}" is not one of ${classes.join(', ')}`);
    return index;
  });
  const predicted = samples.map((s) => argmax(s.probabilities));
  const matrix = confusionMatrix(truth, predicted, classes.length);

  const perClass: Record<string, ClassMetrics> = {};
  classes.forEach((label, c) => {
    const truePositives = matrix[c][c];
    const positives = matrix[c].reduce((a, b) => a + b, 0);
    const predictedPositives = matrix.reduce((sum, row) => sum + row[c], 0);
    perClass[label] = {
      sensitivity: ratio(truePositives, positives),
      ppv: ratio(truePositives, predictedPositives),
      auc: rocAuc(
        samples.map((s) => s.probabilities[c]),
        truth.map((t) => t === c),
      ),
    };
  });

  const perSource: Record<string, SourceMetrics> = {};
  const sources = [...new Set(samples.map((s) => s.source))].sort();
  for (const source of sources) {
    const indices = samples.map((s, i) => i).filter((i) => samples[i].source === source);
    const sourceMatrix = confusionMatrix(
      indices.map((i) => truth[i]),
      indices.map((i) => predicted[i]),
      classes.length,
    );
    const classesInSource: SourceMetrics['per_class'] = {};
    classes.forEach((label, c) => {
      const n = sourceMatrix[c].reduce((a, b) => a + b, 0);
      classesInSource[label] = { n, sensitivity: ratio(sourceMatrix[c][c], n) };
    });
    perSource[source] = {
      n: indices.length,
      accuracy: accuracyOf(sourceMatrix),
      per_class: classesInSource,
    };
  }

  return {
    n_images: samples.length,
    accuracy: accuracyOf(matrix),
    classes: [...classes],
    per_class: perClass,
    confusion_matrix: matrix,
    per_source: perSource,
  };
}
