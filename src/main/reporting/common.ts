/**
 * What every report is made from, and the modules every written IOD shares: Patient, General
 * Study, General Equipment, SOP Common, and the reference to the source image.
 */
import type { ModelManifest } from '../../shared/model-manifest';
import type { FilmAnalysis, RejectedFilm } from '../../shared/analysis';
import { requireSubject, type ReportSource, type SourceImageReference } from './source';

/** The software that made the report (the SR's device observer, General Equipment). */
export interface ReportDevice {
  name: string;
  manufacturer: string;
  softwareVersion: string;
}

export interface ReportInput {
  source: ReportSource;
  outcome: FilmAnalysis;
  /** The manifests of the models that made the outcome; the classifier (outcome.modelId) first. */
  models: ModelManifest[];
  device: ReportDevice;
  createdAt: Date;
}

export function isRejected(outcome: FilmAnalysis): outcome is RejectedFilm {
  return (outcome as RejectedFilm).status === 'rejected';
}

/** The manifest of the model named in the outcome (its thresholds, checksum, intended use). */
export function classifierManifest(input: ReportInput): ModelManifest | undefined {
  return input.models.find((m) => m.id === input.outcome.modelId);
}

/** UTC date and time as DICOM DA / TM (the written objects say +0000). */
export function dicomDateTime(at: Date): { date: string; time: string } {
  const iso = at.toISOString();
  return {
    date: iso.slice(0, 10).replace(/-/g, ''),
    time: iso.slice(11, 19).replace(/:/g, ''),
  };
}

export function hasNonAscii(value: unknown): boolean {
  if (typeof value === 'string') return /[^\x20-\x7e]/.test(value);
  if (Array.isArray(value)) return value.some(hasNonAscii);
  if (value && typeof value === 'object' && !ArrayBuffer.isView(value)) {
    return Object.values(value).some(hasNonAscii);
  }
  return false;
}

/** Patient, General Study and SOP Common attributes shared by every object of a report set. */
export function commonAttributes(
  input: ReportInput,
  sop: { classUid: string; instanceUid: string },
): Record<string, unknown> {
  const s = requireSubject(input.source);
  const { date, time } = dicomDateTime(input.createdAt);
  const attributes: Record<string, unknown> = {
    SOPClassUID: sop.classUid,
    SOPInstanceUID: sop.instanceUid,
    InstanceCreationDate: date,
    InstanceCreationTime: time,
    TimezoneOffsetFromUTC: '+0000',
    // Patient (type 2 values stay present when the source has none)
    PatientName: s.patientName,
    PatientID: s.patientId,
    ...(s.issuerOfPatientId ? { IssuerOfPatientID: s.issuerOfPatientId } : {}),
    PatientBirthDate: s.patientBirthDate ?? '',
    PatientSex: s.patientSex ?? '',
    ...(s.patientAge ? { PatientAge: s.patientAge } : {}),
    // General Study
    StudyInstanceUID: s.studyInstanceUid,
    StudyDate: s.studyDate ?? '',
    StudyTime: s.studyTime ?? '',
    ReferringPhysicianName: s.referringPhysicianName ?? '',
    StudyID: s.studyId ?? '',
    AccessionNumber: s.accessionNumber ?? '',
    ...(s.studyDescription ? { StudyDescription: s.studyDescription } : {}),
    // General Equipment
    Manufacturer: input.device.manufacturer,
    ManufacturerModelName: input.device.name,
    SoftwareVersions: input.device.softwareVersion,
  };
  if (hasNonAscii(attributes)) attributes.SpecificCharacterSet = 'ISO_IR 192';
  return attributes;
}

/** One Referenced SOP item (with the frame when the source is multi-frame). */
export function referencedSop(image: SourceImageReference): Record<string, unknown> {
  return {
    ReferencedSOPClassUID: image.sopClassUid,
    ReferencedSOPInstanceUID: image.sopInstanceUid,
    ...(image.frameNumber !== undefined
      ? { ReferencedFrameNumber: String(image.frameNumber) }
      : {}),
  };
}

/** Hierarchical SOP Instance Reference Macro: study -> series -> instances. */
export function evidenceSequence(
  studyInstanceUid: string,
  images: SourceImageReference[],
): Record<string, unknown>[] {
  const bySeries = new Map<string, SourceImageReference[]>();
  for (const image of images) {
    bySeries.set(image.seriesInstanceUid, [
      ...(bySeries.get(image.seriesInstanceUid) ?? []),
      image,
    ]);
  }
  return [
    {
      StudyInstanceUID: studyInstanceUid,
      ReferencedSeriesSequence: [...bySeries].map(([seriesUid, refs]) => ({
        SeriesInstanceUID: seriesUid,
        ReferencedSOPSequence: refs.map((ref) => ({
          ReferencedSOPClassUID: ref.sopClassUid,
          ReferencedSOPInstanceUID: ref.sopInstanceUid,
        })),
      })),
    },
  ];
}

/** Decimal String (at most 16 characters) closest to `value`. */
export function decimalString(value: number): string {
  for (let precision = 16; precision > 0; precision--) {
    const text = String(Number(value.toPrecision(precision)));
    if (text.length <= 16) return text;
  }
  return '0';
}
