/**
 * What a report says about its source: the patient and study it belongs to (copied verbatim from
 * the source DICOM, or supplied by the user for PNG/JPEG) and the image it was made from.
 */
import { CodedError } from '../../../shared/errors';
import type { ImageMetadata } from '../../../shared/imaging';
import { text } from '../dicom/attributes';
import { parseDicomBytes } from '../dicom/parse';

/** Patient, Patient Study and General Study attributes, as DICOM strings (PN keeps its "^"). */
export interface ReportSubject {
  patientName: string;
  patientId: string;
  issuerOfPatientId?: string;
  patientBirthDate?: string;
  patientSex?: string;
  patientAge?: string;
  studyInstanceUid: string;
  studyDate?: string;
  studyTime?: string;
  studyId?: string;
  accessionNumber?: string;
  referringPhysicianName?: string;
  studyDescription?: string;
}

/** The DICOM instance a report refers to (the film itself, or its capture for PNG/JPEG). */
export interface SourceImageReference {
  sopClassUid: string;
  sopInstanceUid: string;
  seriesInstanceUid: string;
  /** 1-based frame number when the source is multi-frame. */
  frameNumber?: number;
}

export interface ReportSource {
  kind: 'dicom' | 'raster';
  /** Shown in the PDF (a file name, never sent anywhere). */
  displayName: string;
  /** Null for a PNG/JPEG film whose patient and study nobody supplied (PDF only). */
  subject: ReportSubject | null;
  /** Null for PNG/JPEG: the report set then includes a capture of the film to refer to. */
  image: SourceImageReference | null;
  modality?: string;
  bodyPartExamined?: string;
  viewPosition?: string;
  /** The source pixels were lossy compressed once: derived images must say so too. */
  lossyCompressed: boolean;
}

const SUBJECT_TAGS: Record<keyof ReportSubject, string> = {
  patientName: 'x00100010',
  patientId: 'x00100020',
  issuerOfPatientId: 'x00100021',
  patientBirthDate: 'x00100030',
  patientSex: 'x00100040',
  patientAge: 'x00101010',
  studyInstanceUid: 'x0020000d',
  studyDate: 'x00080020',
  studyTime: 'x00080030',
  studyId: 'x00200010',
  accessionNumber: 'x00080050',
  referringPhysicianName: 'x00080090',
  studyDescription: 'x00081030',
};

/** Value forms of the copied attributes whose VR has one (DA, TM, AS, CS of Patient's Sex). */
const VALID_FORMS: Partial<Record<keyof ReportSubject, RegExp>> = {
  patientBirthDate: /^\d{8}$/,
  studyDate: /^\d{8}$/,
  studyTime: /^\d{2}(\d{2}(\d{2}(\.\d{1,6})?)?)?$/,
  patientAge: /^\d{3}[DWMY]$/,
  patientSex: /^[MFO]$/,
};

function missing(displayName: string, what: string): CodedError {
  return new CodedError(
    'REPORT_PATIENT_STUDY_REQUIRED',
    `${displayName}: ${what}; a DICOM report must belong to a patient and a study`,
  );
}

/** Reads the subject and the image reference from the source DICOM bytes. Throws CodedError. */
export function reportSourceFromDicom(
  bytes: Uint8Array,
  displayName: string,
  frameIndex: number,
): ReportSource {
  const file = parseDicomBytes(bytes, displayName);
  const ds = file.dataSet;
  const read = (tag: string): string | undefined => text(ds, tag, file.text);
  const values: Partial<ReportSubject> = {};
  for (const [key, tag] of Object.entries(SUBJECT_TAGS) as [keyof ReportSubject, string][]) {
    const value = read(tag);
    // A value the source got wrong (e.g. Patient's Age "81") is left out, not copied invalid.
    if (value !== undefined && (VALID_FORMS[key]?.test(value) ?? true)) values[key] = value;
  }
  if (!values.studyInstanceUid) throw missing(displayName, 'the source has no Study Instance UID');
  const sopClassUid = read('x00080016');
  const sopInstanceUid = read('x00080018');
  const seriesInstanceUid = read('x0020000e');
  if (!sopClassUid || !sopInstanceUid || !seriesInstanceUid) {
    throw missing(displayName, 'the source lacks its SOP Class, SOP Instance or Series UID');
  }
  const frames = Math.trunc(Number(read('x00280008') ?? '1')) || 1;
  return {
    kind: 'dicom',
    displayName,
    // Type 2 in every IOD written: present even when the source leaves them empty.
    subject: {
      patientName: '',
      patientId: '',
      ...values,
      studyInstanceUid: values.studyInstanceUid,
    },
    image: {
      sopClassUid,
      sopInstanceUid,
      seriesInstanceUid,
      ...(frames > 1 ? { frameNumber: frameIndex + 1 } : {}),
    },
    modality: read('x00080060'),
    bodyPartExamined: read('x00180015'),
    viewPosition: read('x00185101'),
    lossyCompressed: read('x00282110') === '01' || file.transferSyntax?.lossy === true,
  };
}

/** What a user must give for a PNG/JPEG film to be reported in DICOM. */
export interface SuppliedSubject {
  patientId?: string;
  patientName?: string;
  patientBirthDate?: string;
  patientSex?: string;
  studyInstanceUid?: string;
  studyDate?: string;
  studyTime?: string;
  studyId?: string;
  accessionNumber?: string;
}

const UID_PATTERN = /^(0|[1-9][0-9]*)(\.(0|[1-9][0-9]*))*$/;
const DATE_PATTERN = /^\d{8}$/;

/**
 * A PNG/JPEG film carries no patient or study. With nothing supplied the source has no subject
 * (a PDF can still be made; DICOM objects are refused); when anything is supplied, at least the
 * patient ID and the Study Instance UID must be.
 */
export function reportSourceFromRaster(
  metadata: ImageMetadata,
  displayName: string,
  supplied: SuppliedSubject = {},
): ReportSource {
  const base = {
    kind: 'raster' as const,
    displayName,
    image: null,
    lossyCompressed: metadata.sourceKind === 'jpeg',
  };
  const given = Object.fromEntries(
    Object.entries(supplied).filter(([, v]) => v !== undefined),
  ) as SuppliedSubject;
  if (Object.keys(given).length === 0) return { ...base, subject: null };
  const { patientId, studyInstanceUid } = supplied;
  if (!patientId || !studyInstanceUid) {
    throw missing(displayName, 'both the patient ID and the Study Instance UID are needed');
  }
  if (studyInstanceUid.length > 64 || !UID_PATTERN.test(studyInstanceUid)) {
    throw new CodedError('INVALID_REQUEST', `not a valid DICOM UID: ${studyInstanceUid}`);
  }
  for (const date of [supplied.patientBirthDate, supplied.studyDate]) {
    if (date !== undefined && !DATE_PATTERN.test(date)) {
      throw new CodedError('INVALID_REQUEST', `dates are YYYYMMDD, got ${date}`);
    }
  }
  if (supplied.patientSex !== undefined && !['M', 'F', 'O'].includes(supplied.patientSex)) {
    throw new CodedError('INVALID_REQUEST', `patient sex is M, F or O, got ${supplied.patientSex}`);
  }
  return { ...base, subject: { patientName: '', ...given, patientId, studyInstanceUid } };
}

/** The subject a DICOM object needs; throws REPORT_PATIENT_STUDY_REQUIRED for a bare PNG/JPEG. */
export function requireSubject(source: ReportSource): ReportSubject {
  if (source.subject) return source.subject;
  throw missing(
    source.displayName,
    'a PNG or JPEG file has no patient or study; supply at least the patient ID and the ' +
      'Study Instance UID (CLI: --patient-id and --study-uid)',
  );
}
