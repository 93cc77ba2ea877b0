/**
 * What the study list knows about a file, from its header only: the first bytes are read and
 * parsed up to the Pixel Data element (never its value), so listing never decodes a frame and
 * reads a few KiB of a film however large it is. PNG and JPEG are listed from their signature.
 */
import { open } from 'node:fs/promises';
import { CodedError } from '../../../shared/errors';
import type { ImageMetadata } from '../../../shared/imaging';
import { describeDicomImage } from '../../platform/dicom/metadata';
import { MAX_INPUT_BYTES, parseDicomBytes } from '../../platform/dicom/parse';
import { sniffBytes, type SourceKindSniffed } from '../../platform/imaging/sniff';

/** Bytes read first; a header that does not fit is read again from the whole file. */
const HEAD_BYTES = 64 * 1024;
const SNIFF_BYTES = 4096;

/** What the list needs from an image's metadata. */
export type ImageSummary = Pick<
  ImageMetadata,
  | 'sourceKind'
  | 'numberOfFrames'
  | 'modality'
  | 'viewPosition'
  | 'instanceNumber'
  | 'patientName'
  | 'patientId'
  | 'studyInstanceUid'
  | 'studyDate'
  | 'studyDescription'
  | 'accessionNumber'
  | 'seriesInstanceUid'
  | 'seriesNumber'
  | 'seriesDescription'
>;

export type HeaderRead =
  | { kind: 'image'; summary: ImageSummary }
  | { kind: 'dicomdir' }
  /** Not a DICOM, PNG or JPEG file. */
  | { kind: 'other' };

export function summarize(metadata: ImageMetadata): ImageSummary {
  const {
    sourceKind,
    numberOfFrames,
    modality,
    viewPosition,
    instanceNumber,
    patientName,
    patientId,
    studyInstanceUid,
    studyDate,
    studyDescription,
    accessionNumber,
    seriesInstanceUid,
    seriesNumber,
    seriesDescription,
  } = metadata;
  const summary: ImageSummary = {
    sourceKind,
    numberOfFrames,
    modality,
    viewPosition,
    instanceNumber,
    patientName,
    patientId,
    studyInstanceUid,
    studyDate,
    studyDescription,
    accessionNumber,
    seriesInstanceUid,
    seriesNumber,
    seriesDescription,
  };
  for (const key of Object.keys(summary) as (keyof ImageSummary)[]) {
    if (summary[key] === undefined) delete summary[key];
  }
  return summary;
}

function fsError(path: string, error: unknown): CodedError {
  const code = (error as NodeJS.ErrnoException).code;
  if (code === 'ENOENT') return new CodedError('FILE_NOT_FOUND', `${path}: no such file`);
  return new CodedError('FILE_UNREADABLE', `${path}: ${(error as Error).message}`);
}

/** The file's first `length` bytes (all of it when shorter) and its size. */
async function readPrefix(
  path: string,
  length: number,
): Promise<{ bytes: Uint8Array; size: number }> {
  let handle;
  try {
    handle = await open(path, 'r');
  } catch (error) {
    throw fsError(path, error);
  }
  try {
    const info = await handle.stat();
    if (!info.isFile()) throw new CodedError('FILE_UNREADABLE', `${path}: not a regular file`);
    const bytes = new Uint8Array(Math.min(length, info.size));
    let filled = 0;
    while (filled < bytes.length) {
      const { bytesRead } = await handle.read(bytes, filled, bytes.length - filled, filled);
      if (bytesRead === 0) break;
      filled += bytesRead;
    }
    return { bytes: bytes.subarray(0, filled), size: info.size };
  } catch (error) {
    throw error instanceof CodedError ? error : fsError(path, error);
  } finally {
    await handle.close();
  }
}

/** Parses up to Pixel Data; a defined-length Pixel Data running past the file's end is TRUNCATED. */
function describeHeader(bytes: Uint8Array, fileSize: number, path: string): ImageSummary {
  const file = parseDicomBytes(bytes, path, { stopAtPixelData: true });
  const { metadata, pixel } = describeDicomImage(file, path);
  const element = pixel.pixelElement;
  const { byteArray } = file.dataSet;
  // Offsets are into the parsed bytes; they map to the file unless the data set was inflated.
  if (byteArray.buffer === bytes.buffer && !element.hadUndefinedLength) {
    const end = byteArray.byteOffset - bytes.byteOffset + element.dataOffset + element.length;
    if (end > fileSize) {
      throw new CodedError(
        'TRUNCATED',
        `${path}: Pixel Data needs ${end} bytes, the file has ${fileSize}`,
      );
    }
  }
  return summarize(metadata);
}

/** Reads what the list shows about one file. Throws CodedError for files that are broken. */
export async function readImageHeader(path: string): Promise<HeaderRead> {
  const head = await readPrefix(path, HEAD_BYTES);
  const kind: SourceKindSniffed | null = sniffBytes(head.bytes.subarray(0, SNIFF_BYTES));
  if (kind === null) return { kind: 'other' };
  if (kind === 'dicomdir') return { kind: 'dicomdir' };
  if (kind !== 'dicom') return { kind: 'image', summary: { sourceKind: kind, numberOfFrames: 1 } };
  if (head.bytes.length < head.size) {
    try {
      return { kind: 'image', summary: describeHeader(head.bytes, head.size, path) };
    } catch {
      // The header is longer than the prefix (or the data set is deflated): read it all.
    }
  }
  if (head.size > MAX_INPUT_BYTES)
    throw new CodedError('FILE_TOO_LARGE', `${path}: ${head.size} bytes`);
  const whole = head.bytes.length < head.size ? await readPrefix(path, head.size) : head;
  return { kind: 'image', summary: describeHeader(whole.bytes, whole.size, path) };
}
