/** The study list: what the user opened, grouped patient > study > series > image. */
import type { CodedErrorInfo } from './errors';
import type { SourceKind } from './imaging';

export interface LibraryImage {
  /** Opaque id; the renderer never sees a file path it did not pick. */
  imageId: string;
  displayName: string;
  sourceKind: SourceKind;
  numberOfFrames: number;
  modality?: string;
  viewPosition?: string;
  instanceNumber?: number;
  error?: CodedErrorInfo;
}

export interface LibrarySeries {
  seriesKey: string;
  seriesNumber?: number;
  modality?: string;
  description?: string;
  images: LibraryImage[];
}

export interface LibraryStudy {
  studyKey: string;
  studyDate?: string;
  description?: string;
  accessionNumber?: string;
  series: LibrarySeries[];
}

export interface LibraryPatient {
  patientKey: string;
  patientName?: string;
  patientId?: string;
  studies: LibraryStudy[];
}

export interface LibrarySnapshot {
  patients: LibraryPatient[];
  /** Files that could not be read while adding, with their codes. */
  problems: { displayName: string; error: CodedErrorInfo }[];
}

/** Pushed while files are being added: the list fills as the walk goes. */
export interface LibraryAddProgress {
  state: 'reading' | 'finished' | 'cancelled';
  /** Files found so far (the walk is still going while state is 'reading'). */
  filesFound: number;
  /** Of those, files whose header has been read (listed, skipped or failed). */
  filesRead: number;
  /** Images this add put in the list. */
  imagesListed: number;
  problems: number;
}
