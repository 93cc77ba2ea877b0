/**
 * The no-anatomy shortcut baseline (trained by `training/shortcut_baseline.py`): two multinomial
 * logistic regressions over `shortcutFeatures`, one for the label and one for the source.
 */
import { readFile } from 'node:fs/promises';
import { z } from 'zod';
import { CodedError } from '../../../../shared/errors';
import { shortcutFeatureNames } from './features';

const matrix = z.array(z.array(z.number()));
const baselineSchema = z.object({
  schema: z.literal('covidnet-workstation/shortcut-baseline@1'),
  command: z.string(),
  trained_on: z.string(),
  n_train: z.number(),
  features: z.array(z.string()),
  feature_mean: z.array(z.number()),
  feature_std: z.array(z.number()),
  labels: z.array(z.string()),
  label_weights: matrix,
  label_bias: z.array(z.number()),
  sources: z.array(z.string()),
  source_weights: matrix,
  source_bias: z.array(z.number()),
});

export type ShortcutBaseline = z.infer<typeof baselineSchema>;

export interface ShortcutPrediction {
  labelProbabilities: number[];
  predictedLabel: string;
  predictedSource: string;
}

export async function loadShortcutBaseline(path: string): Promise<ShortcutBaseline> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(await readFile(path, 'utf8'));
  } catch (error) {
    throw new CodedError('FILE_UNREADABLE', `Cannot read shortcut baseline ${path}`, {
      cause: error,
    });
  }
  const result = baselineSchema.safeParse(parsed);
  if (!result.success) {
    throw new CodedError(
      'MODEL_MANIFEST_INVALID',
      `Invalid shortcut baseline ${path}: ${result.error.message}`,
    );
  }
  const baseline = result.data;
  const expected = shortcutFeatureNames();
  if (baseline.features.join(',') !== expected.join(',')) {
    throw new CodedError(
      'MODEL_MANIFEST_MISMATCH',
      `Shortcut baseline ${path} was trained on other features than this program computes`,
    );
  }
  return baseline;
}

function softmax(logits: number[]): number[] {
  const max = Math.max(...logits);
  const exps = logits.map((v) => Math.exp(v - max));
  const sum = exps.reduce((a, b) => a + b, 0);
  return exps.map((v) => v / sum);
}

function linear(weights: number[][], bias: number[], x: number[]): number[] {
  return weights.map((row, k) => row.reduce((acc, w, i) => acc + w * x[i], bias[k]));
}

function argmax(values: number[]): number {
  let best = 0;
  for (let i = 1; i < values.length; i++) if (values[i] > values[best]) best = i;
  return best;
}

export function predictShortcut(
  baseline: ShortcutBaseline,
  features: number[],
): ShortcutPrediction {
  const x = features.map((v, i) => (v - baseline.feature_mean[i]) / baseline.feature_std[i]);
  const labelProbabilities = softmax(linear(baseline.label_weights, baseline.label_bias, x));
  const sourceLogits = linear(baseline.source_weights, baseline.source_bias, x);
  return {
    labelProbabilities,
    predictedLabel: baseline.labels[argmax(labelProbabilities)],
    predictedSource: baseline.sources[argmax(sourceLogits)],
  };
}
