/**
 * Plain-words lines for the UI's model panel, from the model folder's own evaluation
 * (`<model>/evaluation/metrics.json`, written by `covidnet evaluate --probe` on the validation
 * split): the model's figures, the no-anatomy shortcut baseline and the framing probe.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';

const fraction = z.number().nullable();
const evaluationSchema = z.object({
  n_images: z.number(),
  accuracy: fraction,
  per_class: z.record(
    z.string(),
    z.object({ sensitivity: fraction, ppv: fraction, auc: fraction }),
  ),
  shortcut_baseline: z
    .object({ accuracy: fraction, source_accuracy: fraction, covid_auc: fraction })
    .optional(),
  probe: z.record(z.string(), z.object({ n: z.number(), mean_delta_p_covid: fraction })).optional(),
});

const COVID = 'COVID-19';

function pct(value: number | null | undefined): string {
  return value === null || value === undefined ? 'n/a' : `${(value * 100).toFixed(0)}%`;
}

export function evaluationSummaryLines(metricsJson: unknown): string[] | undefined {
  const parsed = evaluationSchema.safeParse(metricsJson);
  if (!parsed.success) return undefined;
  const m = parsed.data;
  const covid = m.per_class[COVID];
  const lines = [
    `Validation (${m.n_images} images, patients not seen in training): accuracy ${pct(m.accuracy)}` +
      (covid
        ? `; COVID-19 sensitivity ${pct(covid.sensitivity)}, PPV ${pct(covid.ppv)}, AUC ${covid.auc?.toFixed(2) ?? 'n/a'}.`
        : '.'),
  ];
  const baseline = m.shortcut_baseline;
  if (baseline) {
    const beaten =
      m.accuracy !== null && baseline.accuracy !== null && m.accuracy > baseline.accuracy;
    lines.push(
      `A classifier that never looks at the lungs (image size, borders, histogram only) reaches ${pct(baseline.accuracy)} ` +
        `accuracy and COVID-19 AUC ${baseline.covid_auc?.toFixed(2) ?? 'n/a'} on the same images, and names the source ` +
        `collection ${pct(baseline.source_accuracy)} of the time. ` +
        (beaten
          ? 'The model beats it, but only by the margin above it.'
          : 'The model does not beat it: its output may reflect where an image came from rather than the lungs.'),
    );
  }
  if (m.probe) {
    const framing = Object.entries(m.probe).filter(([name]) => !name.includes('control'));
    const worst = Math.max(...framing.map(([, f]) => f.mean_delta_p_covid ?? 0));
    lines.push(
      `Framing probe: changing only the framing of normal/pneumonia films (crops, borders, recompression) ` +
        `moves P(COVID-19) by up to ${worst >= 0 ? '+' : ''}${(worst * 100).toFixed(0)} points on average ` +
        `(the project's limit is 5).`,
    );
  }
  return lines;
}

/** Summary lines from `<modelDir>/evaluation/metrics.json`, or undefined when there is none. */
export function readEvaluationSummary(modelDir: string): string[] | undefined {
  const path = join(modelDir, 'evaluation', 'metrics.json');
  if (!existsSync(path)) return undefined;
  try {
    return evaluationSummaryLines(JSON.parse(readFileSync(path, 'utf8')));
  } catch {
    return undefined;
  }
}
