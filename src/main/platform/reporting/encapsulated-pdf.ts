/** The PDF summary as an Encapsulated PDF DICOM instance in its own series of the source study. */
import { commonAttributes, dicomDateTime, referencedSop, type ReportInput } from './common';
import { writePart10 } from './part10';
import type { SourceImageReference } from './source';
import { newUid } from './uids';

export const ENCAPSULATED_PDF_STORAGE = '1.2.840.10008.5.1.4.1.1.104.1';
export const PDF_SERIES_NUMBER = 9103;

export function buildEncapsulatedPdf(
  input: ReportInput,
  pdf: Uint8Array,
  sourceImage: SourceImageReference,
  options: { seriesInstanceUid?: string; sopInstanceUid?: string } = {},
): Uint8Array {
  const { date, time } = dicomDateTime(input.createdAt);
  // OB values are even: a trailing NUL pads an odd PDF; the length attribute keeps the true size.
  const padded = new Uint8Array(pdf.length + (pdf.length % 2));
  padded.set(pdf);
  return writePart10({
    ...commonAttributes(input, {
      classUid: ENCAPSULATED_PDF_STORAGE,
      instanceUid: options.sopInstanceUid ?? newUid(),
    }),
    // Encapsulated Document Series
    Modality: 'DOC',
    SeriesInstanceUID: options.seriesInstanceUid ?? newUid(),
    SeriesNumber: String(PDF_SERIES_NUMBER),
    SeriesDescription: 'AI chest X-ray report (PDF)',
    // SC Equipment
    ConversionType: 'WSD',
    // Encapsulated Document
    InstanceNumber: '1',
    ContentDate: date,
    ContentTime: time,
    AcquisitionDateTime: `${date}${time}`,
    BurnedInAnnotation: 'YES',
    DocumentTitle: 'Chest X-ray AI report',
    ConceptNameCodeSequence: [],
    SourceInstanceSequence: [referencedSop(sourceImage)],
    MIMETypeOfEncapsulatedDocument: 'application/pdf',
    EncapsulatedDocumentLength: pdf.length,
    EncapsulatedDocument: [padded.buffer],
    _vrMap: { EncapsulatedDocument: 'OB' },
  });
}
