/**
 * The result statement (src/shared/result-statement.ts) as the SR and the PDF word it, and the
 * calibration in words fit for a clinical output (no training file names or fitting statistics:
 * the model card has them).
 */
import type { ModelCalibration } from '../../shared/model-manifest';
import { siteProfileWords, type ResultStatement } from '../../shared/result-statement';
import type { OperatingPoint } from '../../shared/verdict';

/** "Call: COVID-19. COVID-19 at 0.91; a call needs 0.785." */
export function statementSentence(statement: ResultStatement): string {
  return `${statement.headline}. ${statement.reason}`;
}

export function calibrationSentence(
  calibration: ModelCalibration | null,
  point?: OperatingPoint | null,
): string {
  const site = point?.calibration
    ? ` Then site-calibrated (profile "${point.profileName}") on the clinic's own films.`
    : '';
  return calibration
    ? `Probabilities calibrated by temperature scaling (T = ${calibration.temperature.toFixed(3)}).${site}`
    : `Probabilities uncalibrated by the model: they are scores, not measured frequencies.${site}`;
}

/** The site profile in use and its warning, in one sentence (CLI, SR, PDF); null when none. */
export function siteProfileSentence(point: OperatingPoint | null | undefined): string | null {
  const words = siteProfileWords(point);
  if (!words) return null;
  return point?.smallNWarning ? `${words} ${point.smallNWarning}` : words;
}
