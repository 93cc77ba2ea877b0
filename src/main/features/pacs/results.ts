/**
 * The result objects sent to a PACS for one film: the SR (always) and, when asked, the heatmap
 * Secondary Capture and the Encapsulated PDF, built by src/main/platform/reporting in the source's study,
 * each kind in its own series.
 *
 * Their Series and SOP Instance UIDs are name-based (source SOP Instance UID, frame, model
 * checksum, kind): the same film scored by the same model always yields the same UIDs, so a
 * resend, a retry after a lost answer, or two screening nodes given the same study store ONE
 * object in the PACS (a PACS keeps the first copy of a SOP Instance UID), never duplicates.
 */
import { CodedError } from '../../../shared/errors';
import type { AnalysedFile } from '../../platform/report-files';
import { buildEncapsulatedPdf } from '../../platform/reporting/encapsulated-pdf';
import { buildPdfReport } from '../../platform/reporting/pdf-report';
import { buildHeatmapCapture } from '../../platform/reporting/secondary-capture';
import { buildStructuredReport } from '../../platform/reporting/structured-report';
import { nameBasedUid } from '../../platform/reporting/uids';

export const PACS_RESULT_KINDS = ['sr', 'sc', 'encapsulatedPdf'] as const;
export type PacsResultKind = (typeof PACS_RESULT_KINDS)[number];

export interface PacsResultObjects {
  studyInstanceUid: string;
  sourceSopInstanceUid: string;
  objects: { kind: PacsResultKind; sopInstanceUid: string; bytes: Uint8Array }[];
}

/** The deterministic UIDs of one kind of result for one film and model. */
export function resultUids(
  studyInstanceUid: string,
  sourceSopInstanceUid: string,
  frameNumber: number,
  modelSha256: string,
  kind: PacsResultKind,
): { seriesInstanceUid: string; sopInstanceUid: string } {
  return {
    seriesInstanceUid: nameBasedUid(`pacs-series:${studyInstanceUid}:${modelSha256}:${kind}`),
    sopInstanceUid: nameBasedUid(
      `pacs-result:${sourceSopInstanceUid}:${frameNumber}:${modelSha256}:${kind}`,
    ),
  };
}

export async function buildPacsResults(
  analysed: AnalysedFile,
  kinds: readonly PacsResultKind[],
): Promise<PacsResultObjects> {
  const { input, film } = analysed;
  const image = input.source.image;
  const subject = input.source.subject;
  if (!image || !subject)
    throw new CodedError(
      'REPORT_PATIENT_STUDY_REQUIRED',
      'Only a DICOM film has a PACS study to send results to (PNG/JPEG files do not)',
    );
  const modelSha256 = input.models[0]?.sha256 ?? input.outcome.modelId;
  const uidsOf = (kind: PacsResultKind) =>
    resultUids(
      subject.studyInstanceUid,
      image.sopInstanceUid,
      image.frameNumber ?? 1,
      modelSha256,
      kind,
    );
  const wanted = new Set<PacsResultKind>(['sr', ...kinds]);
  const objects: PacsResultObjects['objects'] = [];
  for (const kind of PACS_RESULT_KINDS) {
    if (!wanted.has(kind)) continue;
    const uids = uidsOf(kind);
    const bytes =
      kind === 'sr'
        ? buildStructuredReport(input, { image, ...uids })
        : kind === 'sc'
          ? buildHeatmapCapture(input, film, image, uids)
          : buildEncapsulatedPdf(input, await buildPdfReport(input, film), image, uids);
    objects.push({ kind, sopInstanceUid: uids.sopInstanceUid, bytes });
  }
  return {
    studyInstanceUid: subject.studyInstanceUid,
    sourceSopInstanceUid: image.sopInstanceUid,
    objects,
  };
}
