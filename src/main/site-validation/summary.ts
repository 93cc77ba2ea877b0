/**
 * A site validation run in plain lines, every figure with its interval, n and warning: what
 * `covidnet validate` prints and what heads the run's report.md (so the file keeps the intervals
 * and warnings that evaluate's own tables do not carry). Pure; no I/O.
 */
import type {
  Estimate,
  FigureWithInterval,
  SiteOperatingPointChoice,
  SiteRecalibration,
  SiteValidationReport,
} from '../../shared/site-profile';
import { significant } from '../../shared/verdict';

export function formatEstimate(estimate: Estimate, percent = true): string {
  const show = (v: number | null) =>
    v === null ? 'n/a' : percent ? `${(v * 100).toFixed(1)}%` : v.toFixed(3);
  const interval =
    estimate.low !== null && estimate.high !== null
      ? ` (95% ${show(estimate.low)}-${show(estimate.high)})`
      : '';
  return `${show(estimate.value)}${interval}, n=${estimate.n}${estimate.warning ? `  ! ${estimate.warning}` : ''}`;
}

export function formatChoice(choice: SiteOperatingPointChoice): string[] {
  return [
    `Site operating point for ${choice.label} at a target sensitivity of ${(choice.targetSensitivity * 100).toFixed(0)}%: ` +
      `threshold ${significant(choice.threshold)}` +
      (choice.thresholdInterval
        ? ` (95% bootstrap ${significant(choice.thresholdInterval.low)}-${significant(choice.thresholdInterval.high)})`
        : '') +
      ` on ${choice.positives} positives and ${choice.negatives} negatives`,
    `  sensitivity ${formatEstimate(choice.sensitivity)}`,
    `  specificity ${formatEstimate(choice.specificity)}`,
    `  PPV ${formatEstimate(choice.ppv)}`,
    `  (model threshold ${significant(choice.defaultThreshold)}: sensitivity ${formatEstimate(choice.atDefault.sensitivity)}; ` +
      `specificity ${formatEstimate(choice.atDefault.specificity)})`,
    ...choice.warnings.map((w) => `  ! ${w}`),
  ];
}

function figure(f: FigureWithInterval): string {
  const interval =
    f.low !== null && f.high !== null ? ` (95% ${f.low.toFixed(3)}-${f.high.toFixed(3)})` : '';
  return `${f.value.toFixed(3)}${interval}`;
}

export function formatRecalibration(r: SiteRecalibration): string[] {
  const shifts = r.parameters.biases
    .map((b, i) => (i === 0 ? null : b.toFixed(3)))
    .filter((b) => b !== null)
    .join(', ');
  return [
    `Site recalibration (${r.method === 'temperature' ? 'temperature' : 'temperature and class-prior shift'}) on ${r.n} films, ` +
      `cross-fitted over ${r.folds} folds: temperature ${r.parameters.temperature.toFixed(3)}` +
      (r.method === 'temperature' ? '' : `, prior shifts ${shifts}`),
    `  ECE ${figure(r.eceBefore)} -> ${figure(r.eceAfter)}`,
    `  NLL ${figure(r.nllBefore)} -> ${figure(r.nllAfter)}`,
    ...(r.eceAfter.value >= r.eceBefore.value
      ? ['  ! The recalibration did not lower the ECE on films it was not fitted on.']
      : []),
  ];
}

export function siteProfileLine(profile: NonNullable<SiteValidationReport['siteProfile']>): string {
  const parts = [
    ...(profile.label !== null && profile.threshold !== null
      ? [`${profile.label} threshold ${significant(profile.threshold)}`]
      : []),
    ...(profile.calibrated ? [`site-calibrated (profile "${profile.name}")`] : []),
  ];
  return (
    `Evaluated with site profile "${profile.name}" applied: ${parts.join('; ')}` +
    (profile.smallNWarning ? `  ! ${profile.smallNWarning}` : '')
  );
}

/** Every figure of the run, as printed by the CLI and written at the head of report.md. */
export function siteValidationLines(report: SiteValidationReport): string[] {
  const f = report.films;
  return [
    ...(report.siteProfile ? [siteProfileLine(report.siteProfile)] : []),
    `${f.found} ${f.found === 1 ? 'film' : 'films'} found, ${f.labelled} with a model-class label; ${f.scored} scored, ` +
      `${f.rejectedByGate} turned away by the chest gate, ${f.unreadable} unreadable, ${f.unlabelled} unlabelled`,
    `accuracy ${formatEstimate(report.accuracy)}`,
    ...report.labels.flatMap((l) => {
      const c = report.perClass[l];
      return [
        `  ${l}:`,
        `    sensitivity ${formatEstimate(c.sensitivity)}`,
        `    PPV ${formatEstimate(c.ppv)}`,
        `    AUC ${formatEstimate(c.auc, false)}`,
      ];
    }),
    `gate rejections ${formatEstimate(report.gateRejections)}`,
    ...(report.verdicts
      ? [
          `uncertain ${formatEstimate(report.verdicts.uncertain)}`,
          `unfamiliar ${formatEstimate(report.verdicts.unfamiliar)}`,
          `accuracy of calls ${formatEstimate(report.verdicts.callAccuracy)}`,
        ]
      : ['verdicts: this engine gives none']),
    report.calibration
      ? `calibration: ${report.calibration.calibrated ? 'calibrated' : 'uncalibrated'} model, ECE ${report.calibration.ece?.toFixed(3) ?? 'n/a'} (n=${report.calibration.n})${report.calibration.warning ? `  ! ${report.calibration.warning}` : ''}`
      : 'calibration: not reported by evaluate',
    ...(report.recalibration ? formatRecalibration(report.recalibration) : []),
    ...report.warnings.map((w) => `! ${w}`),
  ];
}

/** The head of report.md: the same lines, as a Markdown section above evaluate's tables. */
export function siteValidationMarkdown(report: SiteValidationReport): string {
  return [
    `# Site validation ${report.runId}`,
    '',
    'Research and triage support only; not a diagnosis. Every figure has its 95% interval and n;',
    '"!" marks a figure too uncertain to conclude from, or a warning for the whole run.',
    '',
    '```',
    ...siteValidationLines(report),
    '```',
    '',
  ].join('\n');
}
