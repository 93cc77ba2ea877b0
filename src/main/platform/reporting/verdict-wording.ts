/**
 * The verdict, the calibration and the site profile in the plain words the SR and the PDF use
 * (the UI words the same facts in src/renderer/views/panels/prediction-format.ts).
 */
import type { ModelCalibration } from '../../../shared/model-manifest';
import { VERDICT_WORDS, type OperatingPoint, type Verdict } from '../../../shared/verdict';

/** "Call: COVID-19", "Uncertain" or "Unfamiliar film". */
export function verdictHeadline(verdict: Verdict): string {
  const words = VERDICT_WORDS[verdict.kind];
  return verdict.kind === 'call' && verdict.label ? `${words}: ${verdict.label}` : words;
}

/** "Verdict: Uncertain. Uncertain: normal leads by only 0.10 (a call needs 0.20)." */
export function verdictSentence(verdict: Verdict): string {
  return `Verdict: ${verdictHeadline(verdict)}. ${verdict.reason}`;
}

export function calibrationSentence(calibration: ModelCalibration | null): string {
  return calibration
    ? `Probabilities calibrated by temperature scaling (T = ${calibration.temperature.toFixed(3)}), fitted on ${calibration.fitted_on.replace(/\.$/, '')}.`
    : 'Probabilities uncalibrated: the model carries no calibration, so they are scores, not measured frequencies.';
}

/**
 * Names the site profile and its threshold; null when none was in use. `significantDigits` rounds
 * the thresholds for reading (the PDF); the SR keeps the exact value.
 */
export function siteProfileSentence(
  point: OperatingPoint | null,
  modelThreshold: number | undefined,
  significantDigits?: number,
): string | null {
  if (!point) return null;
  const shown = (value: number): string =>
    significantDigits === undefined
      ? String(value)
      : String(Number(value.toPrecision(significantDigits)));
  const parts = [
    ...(point.label !== null && point.threshold !== null
      ? [
          `${point.label} called at or above ${shown(point.threshold)}` +
            `${modelThreshold !== undefined ? ` (the model's own threshold: ${shown(modelThreshold)})` : ''}`,
        ]
      : []),
    ...(point.calibration ? [`site-calibrated (profile "${point.profileName}")`] : []),
  ];
  return (
    `Site profile "${point.profileName}" in use: ${parts.join('; ')}.` +
    (point.smallNWarning ? ` ${point.smallNWarning}` : '')
  );
}
