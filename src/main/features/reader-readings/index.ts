/**
 * Reader readings: what a reader recorded per study in the viewer (src/shared/reader-reading.ts),
 * kept in a crash-safe journal in the app's user data and exported as CSV. Plain Node, no Electron.
 */
import { isAbsolute, resolve } from 'node:path';
import { stringify } from 'csv-stringify/sync';
import { CodedError } from '../../../shared/errors';
import {
  READER_NOTE_MAX_LENGTH,
  type ReaderReading,
  type ReaderReadingInput,
} from '../../../shared/reader-reading';
import type { NewReading } from './journal';

export {
  JOURNAL_FILE,
  decodeRecord,
  defaultReadingsDir,
  encodeRecord,
  latestPerStudy,
  openReadingJournal,
  readJournal,
  type JournalContents,
  type NewReading,
  type ReadingJournal,
} from './journal';

/** The identity of the film the reader was looking at (from the library, never the renderer). */
export interface ReadFilm {
  path: string;
  studyInstanceUid?: string | null;
  sopInstanceUid?: string | null;
}

/** Builds the stored record from what the viewer sent and the film's identity. */
export function newReading(input: Omit<ReaderReadingInput, 'imageId'>, film: ReadFilm): NewReading {
  if (!isAbsolute(film.path))
    throw new CodedError('INVALID_REQUEST', 'A reading needs the film path');
  const note = input.note.trim();
  if (note.length > READER_NOTE_MAX_LENGTH) {
    throw new CodedError(
      'INVALID_REQUEST',
      `A note is at most ${READER_NOTE_MAX_LENGTH} characters`,
    );
  }
  const studyInstanceUid = film.studyInstanceUid || null;
  const path = resolve(film.path);
  return {
    // One reading per study: a DICOM study by its UID, a PNG/JPEG by its file.
    studyKey: studyInstanceUid ?? `file:${path}`,
    path,
    studyInstanceUid,
    sopInstanceUid: film.sopInstanceUid || null,
    reading: input.reading,
    agreement: input.agreement,
    note,
    ai: input.ai,
  };
}

/**
 * CSV of readings. The first two columns are `path,label`, so the file is also a labels CSV for
 * `covidnet validate --labels` (label "other" is skipped there: it is no model class).
 */
export function readingsCsv(readings: readonly ReaderReading[]): string {
  return stringify(
    readings.map((r) => [
      r.path,
      r.reading,
      r.agreement ?? '',
      r.recordedAt,
      r.studyInstanceUid ?? '',
      r.sopInstanceUid ?? '',
      r.ai?.modelId ?? '',
      r.ai?.label ?? '',
      r.ai ? r.ai.probability.toFixed(4) : '',
      r.ai?.verdict ?? '',
      r.ai?.siteProfile ?? '',
      r.note,
    ]),
    {
      header: true,
      columns: [
        'path',
        'label',
        'agreement_with_ai',
        'recorded_at',
        'study_instance_uid',
        'sop_instance_uid',
        'ai_model',
        'ai_label',
        'ai_probability',
        'ai_verdict',
        'ai_site_profile',
        'note',
      ],
    },
  );
}
