/** The evaluation report: Markdown tables in the shape of the COVID-Net paper, and SVG figures. */
import type { ModelManifest } from '../../../shared/model-manifest';
import { RESEARCH_NOTICE } from '../../../shared/notice';
import type { CalibrationFigures, SourceCalibration, VerdictFigures } from './calibration';
import { rocCurve, type EvaluationMetrics, type EvaluationSample } from '../../base/metrics';

const REPORT_NOTICE =
  `${RESEARCH_NOTICE} ` +
  'Figures on this data set do not show clinical performance; COVID-19 CXR classifiers are known to learn ' +
  'shortcuts such as the source hospital (DeGrave et al., Nature Machine Intelligence 2021): compare the ' +
  'per-source table before trusting any number here.';

function pct(value: number | null): string {
  return value === null ? 'n/a' : `${(value * 100).toFixed(1)}`;
}

function fixed(value: number | null, digits = 3): string {
  return value === null ? 'n/a' : value.toFixed(digits);
}

function escapeXml(text: string): string {
  return text.replace(/[<>&"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

function numberFromProvenance(manifest: ModelManifest, key: string): number | null {
  const value = manifest.provenance.architecture?.[key];
  return typeof value === 'number' ? value : null;
}

export function reportMarkdown(
  metrics: EvaluationMetrics & {
    calibration?: CalibrationFigures & {
      calibrated: boolean;
      temperature: number | null;
      per_source?: Record<string, SourceCalibration>;
    };
    verdicts?: VerdictFigures;
  },
  manifest: ModelManifest,
  context: { manifestPath: string; failures: { file: string; code: string }[]; provider: string },
): string {
  const params = numberFromProvenance(manifest, 'params');
  const macs = numberFromProvenance(manifest, 'macs');
  const classes = metrics.classes;
  const lines: string[] = [
    `# Evaluation: ${manifest.name} (${manifest.id} ${manifest.version})`,
    '',
    `> ${REPORT_NOTICE}`,
    '',
    `Data: \`${context.manifestPath}\`, ${metrics.n_images} images evaluated` +
      (context.failures.length > 0
        ? `, ${context.failures.length} could not be read (listed at the end)`
        : '') +
      `. Execution provider: ${context.provider}. Prediction = the label with the highest probability.`,
    '',
    '## Table 1. Parameters, MACs and accuracy',
    '',
    '| Architecture | Params (M) | MACs (G) | Accuracy (%) |',
    '| --- | --- | --- | --- |',
    `| ${manifest.name} | ${params === null ? 'n/a' : (params / 1e6).toFixed(2)} | ` +
      `${macs === null ? 'n/a' : (macs / 1e9).toFixed(2)} | ${pct(metrics.accuracy)} |`,
    '',
    '## Table 2. Sensitivity for each class (%)',
    '',
    `| Architecture | ${classes.join(' | ')} |`,
    `| --- | ${classes.map(() => '---').join(' | ')} |`,
    `| ${manifest.name} | ${classes.map((c) => pct(metrics.per_class[c].sensitivity)).join(' | ')} |`,
    '',
    '## Table 3. Positive predictive value for each class (%)',
    '',
    `| Architecture | ${classes.join(' | ')} |`,
    `| --- | ${classes.map(() => '---').join(' | ')} |`,
    `| ${manifest.name} | ${classes.map((c) => pct(metrics.per_class[c].ppv)).join(' | ')} |`,
    '',
    '## One-vs-rest ROC AUC',
    '',
    `| ${classes.join(' | ')} |`,
    `| ${classes.map(() => '---').join(' | ')} |`,
    `| ${classes.map((c) => fixed(metrics.per_class[c].auc)).join(' | ')} |`,
    '',
    '![ROC curves](roc.svg)',
    '',
    '## Confusion matrix (rows: truth, columns: prediction)',
    '',
    `| truth \\ prediction | ${classes.join(' | ')} |`,
    `| --- | ${classes.map(() => '---').join(' | ')} |`,
    ...metrics.confusion_matrix.map((row, i) => `| ${classes[i]} | ${row.join(' | ')} |`),
    '',
    '![Confusion matrix](confusion_matrix.svg)',
    '',
    ...calibrationLines(metrics.calibration, metrics.verdicts),
    '## Per source',
    '',
    'A model that separates classes by source rather than by lung findings shows high accuracy on ' +
      'single-class sources and poor sensitivity where a source has several classes.',
    '',
    `| Source | n | Accuracy (%) | ${classes.map((c) => `${c} n / sensitivity (%)`).join(' | ')} |`,
    `| --- | --- | --- | ${classes.map(() => '---').join(' | ')} |`,
    ...Object.entries(metrics.per_source).map(
      ([source, m]) =>
        `| ${source} | ${m.n} | ${pct(m.accuracy)} | ` +
        `${classes.map((c) => `${m.per_class[c].n} / ${pct(m.per_class[c].sensitivity)}`).join(' | ')} |`,
    ),
    '',
  ];
  if (context.failures.length > 0) {
    lines.push('## Images that could not be evaluated', '');
    for (const f of context.failures) lines.push(`- \`${f.file}\`: ${f.code}`);
    lines.push('');
  }
  return lines.join('\n');
}

function calibrationLines(
  calibration:
    | (CalibrationFigures & {
        calibrated: boolean;
        temperature: number | null;
        per_source?: Record<string, SourceCalibration>;
      })
    | undefined,
  verdicts: VerdictFigures | undefined,
): string[] {
  const lines: string[] = [];
  if (calibration) {
    lines.push(
      '## Calibration',
      '',
      `${calibration.calibrated ? `Temperature ${fixed(calibration.temperature, 3)} applied` : 'Uncalibrated model (raw probabilities)'}; ` +
        `expected calibration error ${fixed(calibration.ece)} over ${calibration.bins.length} equal-width bins of the top-class ` +
        `probability (n=${calibration.n}; largest bin gap ${fixed(calibration.max_gap)}).`,
      '',
      '![Reliability diagram](reliability.svg)',
      '',
    );
    const perSource = Object.entries(calibration.per_source ?? {});
    if (perSource.length > 0) {
      lines.push(
        'Per source (the same bins within each source; confidence above accuracy = over-confident):',
        '',
        '| source | n | ECE | accuracy | mean confidence |',
        '| --- | --- | --- | --- | --- |',
        ...perSource.map(
          ([source, f]) =>
            `| ${source} | ${f.n} | ${fixed(f.ece)} | ${fixed(f.accuracy)} | ${fixed(f.mean_confidence)} |`,
        ),
        '',
      );
    }
  }
  if (verdicts) {
    const row = (name: string, v: VerdictFigures['call']): string =>
      `| ${name} | ${v.n} | ${pct(v.share)} | ${pct(v.accuracy)} |`;
    lines.push(
      '## Verdicts',
      '',
      `Accuracy over all ${verdicts.n} scored films: ${pct(verdicts.accuracy_all)}%.`,
      '',
      '| Verdict | n | Share (%) | Top class right (%) |',
      '| --- | --- | --- | --- |',
      row('call', verdicts.call),
      row('uncertain', verdicts.uncertain),
      row('unfamiliar', verdicts.unfamiliar),
      '',
    );
  }
  return lines;
}

export function confusionMatrixSvg(metrics: EvaluationMetrics): string {
  const { classes, confusion_matrix: matrix } = metrics;
  const cell = 90;
  const left = 120;
  const top = 70;
  const size = classes.length * cell;
  const width = left + size + 20;
  const height = top + size + 50;
  const rowTotals = matrix.map((row) => row.reduce((a, b) => a + b, 0));
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" font-family="sans-serif" font-size="13">`,
    `<rect width="100%" height="100%" fill="white"/>`,
    `<text x="${left + size / 2}" y="20" text-anchor="middle" font-weight="bold">Confusion matrix (row-normalised shading)</text>`,
    `<text x="${left + size / 2}" y="${top - 28}" text-anchor="middle">prediction</text>`,
    `<text x="20" y="${top + size / 2}" text-anchor="middle" transform="rotate(-90 20 ${top + size / 2})">truth</text>`,
  ];
  classes.forEach((label, i) => {
    parts.push(
      `<text x="${left + i * cell + cell / 2}" y="${top - 8}" text-anchor="middle">${escapeXml(label)}</text>`,
    );
    parts.push(
      `<text x="${left - 8}" y="${top + i * cell + cell / 2 + 4}" text-anchor="end">${escapeXml(label)}</text>`,
    );
  });
  matrix.forEach((row, i) =>
    row.forEach((count, j) => {
      const share = rowTotals[i] > 0 ? count / rowTotals[i] : 0;
      // Light to dark blue by share of the truth row.
      const shade = Math.round(245 - share * 180);
      const textColour = share > 0.55 ? 'white' : 'black';
      const x = left + j * cell;
      const y = top + i * cell;
      parts.push(
        `<rect x="${x}" y="${y}" width="${cell}" height="${cell}" fill="rgb(${shade},${Math.min(255, shade + 5)},255)" stroke="#888"/>`,
        `<text x="${x + cell / 2}" y="${y + cell / 2}" text-anchor="middle" fill="${textColour}" font-size="16">${count}</text>`,
        `<text x="${x + cell / 2}" y="${y + cell / 2 + 18}" text-anchor="middle" fill="${textColour}" font-size="11">${(share * 100).toFixed(0)}%</text>`,
      );
    }),
  );
  parts.push('</svg>');
  return `${parts.join('\n')}\n`;
}

const CURVE_COLOURS = ['#1b9e77', '#d95f02', '#7570b3', '#e7298a', '#66a61e'];

export function rocSvg(samples: readonly EvaluationSample[], metrics: EvaluationMetrics): string {
  const size = 360;
  const left = 60;
  const top = 40;
  const width = left + size + 200;
  const height = top + size + 50;
  const sx = (v: number): number => left + v * size;
  const sy = (v: number): number => top + (1 - v) * size;
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" font-family="sans-serif" font-size="12">`,
    `<rect width="100%" height="100%" fill="white"/>`,
    `<text x="${left + size / 2}" y="22" text-anchor="middle" font-weight="bold">ROC, one class vs rest</text>`,
    `<rect x="${left}" y="${top}" width="${size}" height="${size}" fill="none" stroke="black"/>`,
    `<line x1="${sx(0)}" y1="${sy(0)}" x2="${sx(1)}" y2="${sy(1)}" stroke="#bbb" stroke-dasharray="4 4"/>`,
    `<text x="${left + size / 2}" y="${top + size + 35}" text-anchor="middle">false positive rate</text>`,
    `<text x="18" y="${top + size / 2}" text-anchor="middle" transform="rotate(-90 18 ${top + size / 2})">true positive rate</text>`,
  ];
  for (const tick of [0, 0.25, 0.5, 0.75, 1]) {
    parts.push(`<text x="${sx(tick)}" y="${top + size + 16}" text-anchor="middle">${tick}</text>`);
    parts.push(`<text x="${left - 6}" y="${sy(tick) + 4}" text-anchor="end">${tick}</text>`);
  }
  metrics.classes.forEach((label, c) => {
    const positives = samples.map((s) => s.truth === label);
    if (!positives.some(Boolean) || positives.every(Boolean)) return;
    const { fpr, tpr } = rocCurve(
      samples.map((s) => s.probabilities[c]),
      positives,
    );
    const points = fpr.map((f, i) => `${sx(f).toFixed(1)},${sy(tpr[i]).toFixed(1)}`).join(' ');
    const colour = CURVE_COLOURS[c % CURVE_COLOURS.length];
    parts.push(`<polyline points="${points}" fill="none" stroke="${colour}" stroke-width="2"/>`);
    const y = top + 20 + c * 20;
    parts.push(
      `<line x1="${left + size + 20}" y1="${y - 4}" x2="${left + size + 40}" y2="${y - 4}" stroke="${colour}" stroke-width="2"/>`,
      `<text x="${left + size + 46}" y="${y}">${escapeXml(label)} (AUC ${fixed(metrics.per_class[label].auc)})</text>`,
    );
  });
  parts.push('</svg>');
  return `${parts.join('\n')}\n`;
}
