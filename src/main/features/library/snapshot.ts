/**
 * The list as the renderer sees it: listed images grouped patient > study > series > image,
 * sorted (newest study first, unidentified patients last), with the files that failed.
 */
import type {
  LibraryImage,
  LibraryPatient,
  LibrarySeries,
  LibrarySnapshot,
  LibraryStudy,
} from '../../../shared/library';
import type { ImageSummary } from './header-index';

export const UNIDENTIFIED_PATIENT = 'Unidentified patient';

export interface SnapshotEntry {
  imageId: string;
  displayName: string;
  /** Shown in the study list (false for images registered only to open a screening row). */
  listed: boolean;
  summary?: ImageSummary;
}

export type LibraryProblem = LibrarySnapshot['problems'][number];

function compareOptional<T extends string | number>(a: T | undefined, b: T | undefined): number {
  if (a === undefined) return b === undefined ? 0 : 1;
  if (b === undefined) return -1;
  return a < b ? -1 : a > b ? 1 : 0;
}

export function buildSnapshot(
  entries: Iterable<SnapshotEntry>,
  problems: Iterable<LibraryProblem>,
  groupKey: (identity: string) => string,
): LibrarySnapshot {
  const patients = new Map<
    string,
    LibraryPatient & {
      studyMap: Map<string, LibraryStudy & { seriesMap: Map<string, LibrarySeries> }>;
    }
  >();
  for (const entry of entries) {
    const s = entry.summary;
    if (!entry.listed || !s) continue;
    const identified = s.sourceKind === 'dicom' && Boolean(s.patientId || s.patientName);
    const patientIdentity = identified
      ? `patient:${s.patientId ?? ''}\u0000${s.patientName ?? ''}`
      : 'unidentified';
    let patient = patients.get(patientIdentity);
    if (!patient) {
      patient = {
        patientKey: groupKey(patientIdentity),
        patientName: identified ? s.patientName : UNIDENTIFIED_PATIENT,
        patientId: identified ? s.patientId : undefined,
        studies: [],
        studyMap: new Map(),
      };
      patients.set(patientIdentity, patient);
    }
    const studyIdentity = s.studyInstanceUid
      ? `study:${s.studyInstanceUid}`
      : `file:${entry.imageId}`;
    let study = patient.studyMap.get(studyIdentity);
    if (!study) {
      study = {
        studyKey: groupKey(`${patientIdentity}\u0000${studyIdentity}`),
        studyDate: s.studyDate,
        description: s.studyDescription ?? (s.studyInstanceUid ? undefined : entry.displayName),
        accessionNumber: s.accessionNumber,
        series: [],
        seriesMap: new Map(),
      };
      patient.studyMap.set(studyIdentity, study);
    }
    const seriesIdentity = s.seriesInstanceUid
      ? `series:${s.seriesInstanceUid}`
      : `file:${entry.imageId}`;
    let series = study.seriesMap.get(seriesIdentity);
    if (!series) {
      series = {
        seriesKey: groupKey(`${studyIdentity}\u0000${seriesIdentity}`),
        seriesNumber: s.seriesNumber,
        modality: s.modality,
        description: s.seriesDescription,
        images: [],
      };
      study.seriesMap.set(seriesIdentity, series);
    }
    const image: LibraryImage = {
      imageId: entry.imageId,
      displayName: entry.displayName,
      sourceKind: s.sourceKind,
      numberOfFrames: s.numberOfFrames,
      modality: s.modality,
      viewPosition: s.viewPosition,
      instanceNumber: s.instanceNumber,
    };
    series.images.push(image);
  }

  const result: LibraryPatient[] = [];
  for (const { studyMap, ...patient } of patients.values()) {
    const studies: LibraryStudy[] = [];
    for (const { seriesMap, ...study } of studyMap.values()) {
      const series = [...seriesMap.values()].sort(
        (a, b) =>
          compareOptional(a.seriesNumber, b.seriesNumber) ||
          compareOptional(a.description, b.description),
      );
      for (const item of series) {
        item.images.sort(
          (a, b) =>
            compareOptional(a.instanceNumber, b.instanceNumber) ||
            compareOptional(a.displayName, b.displayName),
        );
      }
      studies.push({ ...study, series });
    }
    // Newest study first; undated ones after the dated ones, by name.
    studies.sort(
      (a, b) =>
        compareOptional(b.studyDate, a.studyDate) || compareOptional(a.description, b.description),
    );
    result.push({ ...patient, studies });
  }
  result.sort((a, b) => {
    const aUnidentified = a.patientName === UNIDENTIFIED_PATIENT && a.patientId === undefined;
    const bUnidentified = b.patientName === UNIDENTIFIED_PATIENT && b.patientId === undefined;
    if (aUnidentified !== bUnidentified) return aUnidentified ? 1 : -1;
    return (
      compareOptional(a.patientName, b.patientName) || compareOptional(a.patientId, b.patientId)
    );
  });
  const sortedProblems = [...problems].sort((a, b) =>
    compareOptional(a.displayName, b.displayName),
  );
  return { patients: result, problems: sortedProblems };
}
