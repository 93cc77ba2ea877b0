/**
 * A reader's own reading of a study, recorded in the viewer beside the AI opinion. Stored in the
 * app's user data (src/main/features/reader-readings), never in the source file; exportable as CSV and
 * usable as the reference labels of a site validation (`validate --reader-labels`).
 */
import type { VerdictKind } from './verdict';

/** The reader's choices: the model's three classes plus "other" (never a model class). */
export const READER_LABELS = ['normal', 'pneumonia', 'COVID-19', 'other'] as const;
export type ReaderLabel = (typeof READER_LABELS)[number];

export const READER_LABEL_WORDS: Record<ReaderLabel, string> = {
  normal: 'Normal',
  pneumonia: 'Non-COVID pneumonia',
  'COVID-19': 'COVID-19',
  other: 'Other finding',
};

export type AiAgreement = 'agree' | 'disagree';

/** What the AI showed the reader when they recorded their reading (null: no AI result). */
export interface AiOpinionSnapshot {
  modelId: string;
  /** The predicted (top) label. */
  label: string;
  probability: number;
  /** The verdict shown (call / uncertain / unfamiliar); null when the engine gave none. */
  verdict: VerdictKind | null;
  /** The site profile in use then, if any. */
  siteProfile: string | null;
}

/** What the viewer sends; main adds the file and study identity from the library. */
export interface ReaderReadingInput {
  imageId: string;
  reading: ReaderLabel;
  agreement: AiAgreement | null;
  /** Optional free text (kept short; it is not a report). */
  note: string;
  ai: AiOpinionSnapshot | null;
}

export interface ReaderReading {
  /** Unique per record; a later record of the same study replaces the earlier one. */
  id: string;
  /** ISO time the reading was made durable. */
  recordedAt: string;
  /** StudyInstanceUID for DICOM, else `file:<absolute path>`. */
  studyKey: string;
  /** Absolute path of the film the reader looked at. */
  path: string;
  studyInstanceUid: string | null;
  sopInstanceUid: string | null;
  reading: ReaderLabel;
  agreement: AiAgreement | null;
  note: string;
  ai: AiOpinionSnapshot | null;
}

export const READER_NOTE_MAX_LENGTH = 500;
