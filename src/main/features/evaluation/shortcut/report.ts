/** The shortcut-audit section of report.md, in plain words beside the tables. */
import type { EvaluationMetrics } from '../../../base/metrics';
import { COVID_LABEL, type ProbeFigures, type ShortcutBaselineFigures } from './audit';
import type { FramingTransform } from './framing';

const TRANSFORM_WORDS: Record<FramingTransform, string> = {
  crop_aspect_3x4: 'centre crop to a 3:4 (portrait) aspect ratio',
  crop_aspect_4x3: 'centre crop to a 4:3 (landscape) aspect ratio',
  black_border: 'thin black border (3% of the shorter side)',
  downscale_recompress: 'half-size downscale + JPEG re-compression (quality 60)',
  posterize_4bit: 'bit-depth posterisation to 16 grey levels (a degradation v4 never trains on)',
  unsharp_sharpen: 'unsharp-mask sharpening, amount 1 (a degradation v4 never trains on)',
  hflip_control: 'horizontal flip (control: changes anatomy side, not framing)',
};

/** Largest framing-probe rise in P(COVID-19) the project accepts for a shipped model. */
export const PROBE_RISE_LIMIT = 0.05;

function pct(value: number | null): string {
  return value === null ? 'n/a' : `${(value * 100).toFixed(1)}%`;
}

function auc(value: number | null): string {
  return value === null ? 'n/a' : value.toFixed(3);
}

export function shortcutAuditMarkdown(
  metrics: EvaluationMetrics,
  baseline: ShortcutBaselineFigures | undefined,
  probe: Record<FramingTransform, ProbeFigures> | undefined,
): string {
  if (!baseline && !probe) return '';
  const lines: string[] = ['', '## Shortcut audit', ''];
  if (baseline) {
    const modelAuc = metrics.per_class[COVID_LABEL]?.auc ?? null;
    lines.push(
      'A classifier that never looks at a lung -- it sees only image size, aspect ratio, file size, ',
      'border and corner statistics and the intensity histogram -- was trained on the training split ',
      `(\`${baseline.command}\`) and run on the same ${baseline.n} images as the model.`,
      '',
      '| | model | no-anatomy baseline |',
      '| --- | --- | --- |',
      `| accuracy | ${pct(metrics.accuracy)} | ${pct(baseline.accuracy)} |`,
      `| COVID-19 AUC | ${auc(modelAuc)} | ${auc(baseline.covid_auc)} |`,
    );
    for (const label of metrics.classes) {
      lines.push(
        `| ${label} sensitivity / PPV | ${pct(metrics.per_class[label].sensitivity)} / ${pct(metrics.per_class[label].ppv)} | ` +
          `${pct(baseline.per_class[label]?.sensitivity ?? null)} / ${pct(baseline.per_class[label]?.ppv ?? null)} |`,
      );
    }
    lines.push(
      `| names the image's source | - | ${pct(baseline.source_accuracy)} |`,
      '',
      `In plain words: without any anatomy, framing and file properties alone reach ${pct(baseline.accuracy)} ` +
        `accuracy and a COVID-19 AUC of ${auc(baseline.covid_auc)} here, and name the source hospital or ` +
        `collection ${pct(baseline.source_accuracy)} of the time. ` +
        (baseline.accuracy !== null &&
        metrics.accuracy !== null &&
        metrics.accuracy <= baseline.accuracy
          ? 'The model does NOT beat this baseline on accuracy: much of its apparent skill could be the source, not the lungs.'
          : 'The model beats it, but only the margin above the baseline is evidence of reading the lungs.'),
      '',
    );
  }
  if (probe) {
    lines.push(
      '### Framing probe',
      '',
      'The model re-run on the normal and pneumonia images after changes that carry no anatomy. A model ',
      "that reads lungs barely moves; one that learned the COVID-19 sources' framing moves towards COVID-19.",
      '',
      '| change | images | mean change in P(COVID-19) | predicted label changed |',
      '| --- | --- | --- | --- |',
    );
    for (const [transform, figures] of Object.entries(probe) as [
      FramingTransform,
      ProbeFigures,
    ][]) {
      const delta = figures.mean_delta_p_covid;
      lines.push(
        `| ${TRANSFORM_WORDS[transform]} | ${figures.n} | ${delta === null ? 'n/a' : (delta >= 0 ? '+' : '') + delta.toFixed(3)} | ${figures.label_changes} |`,
      );
    }
    const framing = (Object.entries(probe) as [FramingTransform, ProbeFigures][]).filter(
      ([t]) => t !== 'hflip_control',
    );
    const worst = Math.max(...framing.map(([, f]) => f.mean_delta_p_covid ?? 0));
    lines.push(
      '',
      `Largest mean rise in P(COVID-19) under a framing change: ${worst >= 0 ? '+' : ''}${worst.toFixed(3)} ` +
        `(the project's limit for a shipped model: ${PROBE_RISE_LIMIT.toFixed(2)}).`,
      '',
    );
  }
  return lines.join('\n');
}
