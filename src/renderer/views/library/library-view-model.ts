/** Flattens the library tree for display and navigation (DOM-free). */
import type { LibraryAddProgress, LibraryImage, LibrarySnapshot } from '../../../shared/library';
import { formatDicomDate, formatPersonName } from '../viewer/overlay-text';

export function allImages(snapshot: LibrarySnapshot): LibraryImage[] {
  return snapshot.patients.flatMap((patient) =>
    patient.studies.flatMap((study) => study.series.flatMap((series) => series.images)),
  );
}

/** Images that can be opened, in list order. */
export function openableImages(snapshot: LibrarySnapshot): LibraryImage[] {
  return allImages(snapshot).filter((image) => !image.error);
}

export function neighbourImage(
  snapshot: LibrarySnapshot,
  currentImageId: string | null,
  delta: number,
): LibraryImage | null {
  const images = openableImages(snapshot);
  if (images.length === 0) return null;
  const index = images.findIndex((image) => image.imageId === currentImageId);
  if (index < 0) return images[0];
  const next = index + delta;
  return next >= 0 && next < images.length ? images[next] : null;
}

export function patientTitle(patient: { patientName?: string; patientId?: string }): string {
  const name = formatPersonName(patient.patientName);
  if (name && patient.patientId) return `${name} (${patient.patientId})`;
  return name || patient.patientId || 'Unknown patient';
}

export function studyTitle(study: {
  studyDate?: string;
  description?: string;
  accessionNumber?: string;
}): string {
  return (
    [
      formatDicomDate(study.studyDate),
      study.description,
      study.accessionNumber ? `Acc ${study.accessionNumber}` : '',
    ]
      .filter(Boolean)
      .join(' · ') || 'Study'
  );
}

export function seriesTitle(series: {
  seriesNumber?: number;
  modality?: string;
  description?: string;
}): string {
  return (
    [
      series.modality,
      series.seriesNumber !== undefined ? `#${series.seriesNumber}` : '',
      series.description,
    ]
      .filter(Boolean)
      .join(' ') || 'Series'
  );
}

export function imageSubtitle(image: LibraryImage): string {
  return [
    image.sourceKind === 'dicom' ? image.modality : image.sourceKind.toUpperCase(),
    image.viewPosition,
    image.numberOfFrames > 1 ? `${image.numberOfFrames} frames` : '',
  ]
    .filter(Boolean)
    .join(' · ');
}

const count = (n: number, word: string): string =>
  `${n.toLocaleString('en-US')} ${word}${n === 1 ? '' : 's'}`;

/** Status line while files are being added. */
export function addProgressText(progress: LibraryAddProgress): string {
  const listed = `${count(progress.imagesListed, 'image')} listed`;
  const problems = progress.problems ? `, ${count(progress.problems, 'problem')}` : '';
  if (progress.state === 'cancelled') return `Stopped: ${listed}${problems}.`;
  if (progress.state === 'finished') return `Done: ${listed}${problems}.`;
  return `Reading headers: ${progress.filesRead.toLocaleString('en-US')} of ${count(progress.filesFound, 'file')} found so far (${listed}${problems})…`;
}
