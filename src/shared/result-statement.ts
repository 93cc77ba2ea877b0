/**
 * The one result statement (issue 21, item 1): what a film's result says, in the words and codes
 * every output uses -- prediction panel, CLI `predict`, screening CSV/JSON and table, receiver log
 * line, PDF, SR coded items, heatmap caption. Verdict first: a call says its class; an uncertain
 * result says which classes it hesitates between; an unfamiliar film says so before any number.
 * The class with the highest probability is only ever a secondary figure, always named
 * LEADING_NAME. A threshold is printed only where it decided, with 3 significant digits. No
 * training file names or fitting statistics (the model card has them).
 *
 * The site context travels in `verdict.operatingPoint` (src/shared/verdict.ts): the profile's
 * name, its threshold (if any), its site calibration (if any) and its small-n warning (if any).
 */
import type { ModelCalibration } from './model-manifest';
import {
  isUnfamiliar,
  significant,
  type OperatingPoint,
  type Verdict,
  type VerdictKind,
} from './verdict';

/** The one name of the secondary figure, everywhere. */
export const LEADING_NAME = 'Highest probability';

/** What a statement is made from: a scored film... */
export interface ScoredSubject {
  status?: 'scored' | 'ok';
  labels: readonly string[];
  /** In label order, as the verdict saw them (after any calibration). */
  probabilities: readonly number[];
  verdict: Verdict;
  /** The model's own calibration; undefined when the caller does not know (old screening rows). */
  calibration?: ModelCalibration | null;
}

/** ...or a film the chest gate turned away. */
export interface NotScoredSubject {
  status: 'rejected';
  gate: { reason: string | null };
}

export type StatementSubject = ScoredSubject | NotScoredSubject;

export type StatementKind = VerdictKind | 'not-scored';

/** The coded result (the SR's first coded finding, the CSV's `result` column). */
export type CodedResult =
  | { kind: 'class'; label: string }
  | { kind: 'uncertain' }
  | { kind: 'unfamiliar' }
  | { kind: 'not-scored' };

export interface ResultStatement {
  kind: StatementKind;
  /** Verdict first: "Call: COVID-19", "Uncertain: normal or pneumonia", "Unfamiliar film", "Not scored". */
  headline: string;
  /** The class the result states (a call's class); null for every other kind. */
  statedClass: string | null;
  /** Uncertain: the classes it hesitates between, highest first; else empty. */
  between: string[];
  /** Why, in one sentence without the kind repeated ("COVID-19 at 0.91; a call needs 0.785."). */
  reason: string;
  /** How to read it. */
  advice: string;
  /** The secondary figure ("Highest probability: pneumonia 0.782"); null when not scored. */
  leading: { label: string; probability: number; text: string } | null;
  /** The threshold that decided a call; null when none decided (printed nowhere else). */
  decidingThreshold: { label: string; value: number; text: string; by: 'model' | 'site' } | null;
  /** "calibrated", "site-calibrated (profile "X")", "uncalibrated"; null when not known. */
  calibration: string | null;
  /** The site profile in use, in words; null when none. */
  siteProfile: string | null;
  /** Warnings that travel with the result (a site profile saved from too few films). */
  warnings: string[];
  /**
   * A call on a film that looks unlike the training films says so, as what it measures (such
   * films' calls were right as often as others on validation); null otherwise.
   */
  notice: string | null;
  coded: CodedResult;
  /** One line for logs and tables: the headline, then the secondary figure and the site profile. */
  line: string;
}

const two = (value: number): string => value.toFixed(2);

/**
 * The classes an uncertain result hesitates between: the top two, and any further class with at
 * least a fifth of the probability.
 */
export function hesitatesBetween(
  labels: readonly string[],
  probabilities: readonly number[],
): string[] {
  const order = labels.map((_, i) => i).sort((a, b) => probabilities[b] - probabilities[a]);
  return order
    .filter((index, rank) => rank < 2 || probabilities[index] >= 0.2)
    .map((i) => labels[i]);
}

/** "normal or pneumonia", "normal, pneumonia or COVID-19". */
function orList(items: readonly string[]): string {
  return items.length <= 1
    ? (items[0] ?? '')
    : `${items.slice(0, -1).join(', ')} or ${items[items.length - 1]}`;
}

/** Older stored verdicts begin their reason with the kind ("Uncertain: ..."); the headline says it. */
const STORED_PREFIXES = /^(?:Uncertain|Unfamiliar film|Call(?:: [^:.]+)?):\s*/;

export function plainReason(reason: string): string {
  const text = reason.replace(STORED_PREFIXES, '').trim();
  const sentence = text.charAt(0).toUpperCase() + text.slice(1);
  return /[.!?]$/.test(sentence) ? sentence : `${sentence}.`;
}

const ADVICE: Record<StatementKind, string> = {
  call: 'A confident result: this class is clearly ahead of the others.',
  uncertain: 'No class is clearly ahead: read it as undecided, not as a finding.',
  unfamiliar:
    'This film looks unlike the films the model was trained and checked on, so how often its scores are right here is not known.',
  'not-scored': 'The AI model was not applied to this image.',
};

/** Whether a site calibration shaped the probabilities. */
export function siteCalibrated(point: OperatingPoint | null | undefined): boolean {
  return Boolean(point?.calibration);
}

/** "calibrated" / "site-calibrated (profile "X")" / "uncalibrated"; null when unknown. */
export function calibrationWords(
  calibration: ModelCalibration | null | undefined,
  point: OperatingPoint | null | undefined,
): string | null {
  if (point?.calibration) return `site-calibrated (profile "${point.profileName}")`;
  if (calibration === undefined) return null;
  return calibration ? 'calibrated' : 'uncalibrated';
}

/** The site profile in use, named, with what it sets; null when none. */
export function siteProfileWords(point: OperatingPoint | null | undefined): string | null {
  if (!point) return null;
  const parts: string[] = [];
  if (point.label !== null && point.threshold !== null) {
    parts.push(`${point.label} is called at or above ${significant(point.threshold)}`);
  }
  if (point.calibration) parts.push('the probabilities are site-calibrated');
  return `Site profile "${point.profileName}"${parts.length ? `: ${parts.join('; ')}` : ''}.`;
}

/** The statement for one film. */
export function resultStatement(subject: StatementSubject): ResultStatement {
  if (subject.status === 'rejected') {
    const why = (subject.gate.reason ?? 'not a frontal chest X-ray').replace(/\.$/, '');
    return {
      kind: 'not-scored',
      headline: 'Not scored',
      statedClass: null,
      between: [],
      reason: plainReason(`not a frontal chest X-ray: ${why}`),
      advice: ADVICE['not-scored'],
      leading: null,
      decidingThreshold: null,
      calibration: null,
      siteProfile: null,
      warnings: [],
      notice: null,
      coded: { kind: 'not-scored' },
      line: `Not scored: ${why}`,
    };
  }
  const { labels, probabilities, verdict } = subject;
  const point = verdict.operatingPoint ?? null;
  const top = probabilities.reduce((best, p, i) => (p > probabilities[best] ? i : best), 0);
  const leadingProbability = probabilities[top] ?? 0;
  const leading = {
    label: labels[top],
    probability: leadingProbability,
    text: `${LEADING_NAME}: ${labels[top]} ${two(leadingProbability)}`,
  };
  const siteCall =
    verdict.kind === 'call' &&
    point !== null &&
    point.label !== null &&
    point.threshold !== null &&
    verdict.label === point.label &&
    (probabilities[labels.indexOf(point.label)] ?? 0) >= point.threshold;
  const decidingThreshold =
    siteCall && point?.label && point.threshold !== null
      ? {
          label: point.label,
          value: point.threshold,
          text: `site threshold ${significant(point.threshold)} (profile "${point.profileName}")`,
          by: 'site' as const,
        }
      : null;
  const kind = verdict.kind;
  const between = kind === 'uncertain' ? hesitatesBetween(labels, probabilities) : [];
  const statedClass = kind === 'call' ? verdict.label : null;
  const headline =
    kind === 'call'
      ? `Call: ${statedClass ?? labels[top]}`
      : kind === 'uncertain'
        ? `Uncertain: ${orList(between)}`
        : 'Unfamiliar film';
  const coded: CodedResult =
    kind === 'call' ? { kind: 'class', label: statedClass ?? labels[top] } : { kind };
  const advice = siteCall
    ? 'Called by the site profile’s own threshold, not the model’s: this class need not have the highest probability.'
    : ADVICE[kind];
  const warnings = point?.smallNWarning ? [point.smallNWarning] : [];
  const siteProfile = siteProfileWords(point);
  const unusual = kind === 'call' ? isUnfamiliar(verdict.familiarity) : null;
  const notice = unusual ? plainReason(unusual) : null;
  // The secondary figure is named in the line only where it adds something: always for
  // uncertain and unfamiliar films, and for a call of another class than the leading one.
  const showLeading = kind !== 'call' || statedClass !== labels[top];
  const line = [
    headline,
    showLeading ? leading.text : `p ${two(leadingProbability)}`,
    ...(point
      ? [`site profile "${point.profileName}"${point.calibration ? ', site-calibrated' : ''}`]
      : []),
    ...warnings,
    ...(notice ? [notice.replace(/\.$/, '')] : []),
  ].join('; ');
  return {
    kind,
    headline,
    statedClass,
    between,
    reason: plainReason(verdict.reason),
    advice,
    leading,
    decidingThreshold,
    calibration: calibrationWords(subject.calibration, point),
    siteProfile,
    warnings,
    notice,
    coded,
    line,
  };
}

/** The heatmap's caption (panel, PDF, PNG legend): which class it explains, and how to read it. */
export function heatmapCaption(heatmap: {
  label: string;
  method: 'class-activation' | 'occlusion';
}): string {
  const method = heatmap.method === 'occlusion' ? 'occlusion' : 'class activation';
  return `Heatmap (${method}) for ${heatmap.label}: where the model found evidence for ${heatmap.label}, brighter = more. Not a lesion outline.`;
}

// The statement as the SR, the PDF and the CLI word it in whole sentences.

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
