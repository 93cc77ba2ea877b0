/**
 * Reports of one scored (or rejected) film, as bytes: a TID 1500 Structured Report, the heatmap
 * as a Secondary Capture, a one-page PDF and the PDF as Encapsulated PDF DICOM. Pure functions of
 * (source, outcome, model manifests, display pixels); nothing here touches files or Electron.
 * The DICOM objects of one call share the source's study and each has its own series.
 */
import type { ReportInput } from './common';
import { buildEncapsulatedPdf } from './encapsulated-pdf';
import { buildPdfReport } from './pdf-report';
import {
  buildFilmCapture,
  buildHeatmapCapture,
  SECONDARY_CAPTURE_STORAGE,
  type DisplayFilm,
} from './secondary-capture';
import { requireSubject, type SourceImageReference } from './source';
import { buildStructuredReport } from './structured-report';
import { newUid } from './uids';

import type { ReportDevice } from './common';
export type { ReportDevice, ReportInput } from './common';
export { isRejected } from './common';
export type { DisplayFilm } from './secondary-capture';
export {
  reportSourceFromDicom,
  reportSourceFromRaster,
  type ReportSource,
  type ReportSubject,
  type SuppliedSubject,
} from './source';

export type ReportKind = 'sr' | 'sc' | 'pdf' | 'encapsulatedPdf';

export const REPORT_KINDS: readonly ReportKind[] = ['sr', 'sc', 'pdf', 'encapsulatedPdf'];

export interface ReportSet {
  sr?: Uint8Array;
  sc?: Uint8Array;
  pdf?: Uint8Array;
  encapsulatedPdf?: Uint8Array;
  /** For PNG/JPEG sources: the film as a Secondary Capture, which the DICOM objects refer to. */
  filmCapture?: Uint8Array;
}

export async function buildReports(
  input: ReportInput,
  film: DisplayFilm,
  kinds: readonly ReportKind[],
): Promise<ReportSet> {
  const wanted = new Set(kinds);
  const set: ReportSet = {};
  const needsDicom = wanted.has('sr') || wanted.has('sc') || wanted.has('encapsulatedPdf');
  let image: SourceImageReference | null = input.source.image;
  if (needsDicom) {
    requireSubject(input.source);
    if (!image) {
      image = {
        sopClassUid: SECONDARY_CAPTURE_STORAGE,
        sopInstanceUid: newUid(),
        seriesInstanceUid: newUid(),
      };
      set.filmCapture = buildFilmCapture(input, film, {
        seriesInstanceUid: image.seriesInstanceUid,
        sopInstanceUid: image.sopInstanceUid,
      });
    }
  }
  if (image && wanted.has('sr')) set.sr = buildStructuredReport(input, { image });
  if (image && wanted.has('sc')) set.sc = buildHeatmapCapture(input, film, image);
  if (wanted.has('pdf') || wanted.has('encapsulatedPdf')) {
    const pdf = await buildPdfReport(input, film);
    if (wanted.has('pdf')) set.pdf = pdf;
    if (image && wanted.has('encapsulatedPdf'))
      set.encapsulatedPdf = buildEncapsulatedPdf(input, pdf, image);
  }
  return set;
}

/** The report author as the SR's device observer and every object's General Equipment. */
export function workstationDevice(softwareVersion: string): ReportDevice {
  return {
    name: 'COVID-Net CXR Workstation',
    manufacturer: 'covidnet-workstation open-source project',
    softwareVersion,
  };
}
