/**
 * Public entry point for images: open any supported input (DICOM, DICOMDIR, PNG, JPEG), read its
 * metadata at once and decode frames on demand, then render for display or for the model.
 */
import { readFile, stat } from 'node:fs/promises';
import { CodedError } from '../../../shared/errors';
import type { DecodedFrame, ImageMetadata } from '../../../shared/imaging';
import { decodeStoredFrame, type DecodeOptions } from '../dicom/decode';
import { walkDicomdir, type DicomdirEntry } from '../dicom/dicomdir';
import { asCodedError, describeThrown } from '../dicom/errors';
import { describeDicomImage } from '../dicom/metadata';
import { MAX_INPUT_BYTES, parseDicomBytes } from '../dicom/parse';
import { storedToDecodedFrame } from './pipeline';
import { decodeJpegFile, decodePng, type RasterImage } from './raster';
import { sniffBytes, sniffSourceKind } from './sniff';

export type { DicomdirEntry } from '../dicom/dicomdir';
export type { DecodeOptions } from '../dicom/decode';
export { renderDisplay8, toModelGray, rgbToLuma, type VoiChoice } from './voi';
export { sniffSourceKind };

export interface OpenedImage {
  path: string;
  metadata: ImageMetadata;
  /**
   * Decodes one frame. `options.minDimension` lets large JPEG 2000 frames decode at a reduced
   * resolution (thumbnails, model input; see DecodeOptions); the frame's rows/columns and
   * `resolutionLevel` say what came back. Without options: full resolution.
   */
  decodeFrame(frameIndex: number, options?: DecodeOptions): Promise<DecodedFrame>;
}

async function readInput(path: string): Promise<Uint8Array> {
  let size: number;
  try {
    const info = await stat(path);
    if (!info.isFile()) throw new CodedError('FILE_UNREADABLE', `${path}: not a regular file`);
    size = info.size;
  } catch (error) {
    if (error instanceof CodedError) throw error;
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new CodedError('FILE_NOT_FOUND', `${path}: no such file`);
    throw new CodedError('FILE_UNREADABLE', `${path}: ${(error as Error).message}`);
  }
  if (size > MAX_INPUT_BYTES) throw new CodedError('FILE_TOO_LARGE', `${path}: ${size} bytes`);
  try {
    const buffer = await readFile(path);
    return new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength);
  } catch (error) {
    throw new CodedError('FILE_UNREADABLE', `${path}: ${(error as Error).message}`);
  }
}

function rasterOpened(path: string, raster: RasterImage): OpenedImage {
  return {
    path,
    metadata: raster.metadata,
    decodeFrame: async (frameIndex) => {
      if (frameIndex !== 0)
        throw new CodedError('FRAME_OUT_OF_RANGE', `${path}: frame ${frameIndex} of 1`);
      return raster.frame;
    },
  };
}

/** Opens image bytes (DICOM, PNG or JPEG, by content). Throws CodedError. */
export async function openImageBuffer(
  buffer: Uint8Array,
  pathForMessages: string,
): Promise<OpenedImage> {
  const kind = sniffBytes(buffer.subarray(0, 4096));
  if (kind === 'png') return rasterOpened(pathForMessages, decodePng(buffer, pathForMessages));
  if (kind === 'jpeg')
    return rasterOpened(pathForMessages, await decodeJpegFile(buffer, pathForMessages));
  if (kind === 'dicomdir') {
    throw new CodedError(
      'UNSUPPORTED_FORMAT',
      `${pathForMessages}: a DICOMDIR is a directory, open it with readDicomdir`,
    );
  }
  // Not sniffed: long inputs go to the DICOM parser, which gives the precise reason.
  if (kind === null && buffer.length < 132) {
    throw new CodedError('NOT_DICOM', `${pathForMessages}: not DICOM, PNG or JPEG`);
  }
  let description;
  let file;
  try {
    file = parseDicomBytes(buffer, pathForMessages);
    description = describeDicomImage(file, pathForMessages);
  } catch (error) {
    throw asCodedError(error, 'MALFORMED_DICOM', pathForMessages);
  }
  const { metadata, pixel } = description;
  return {
    path: pathForMessages,
    metadata,
    decodeFrame: async (frameIndex, options) => {
      try {
        const stored = await decodeStoredFrame(file, metadata, pixel, frameIndex, options);
        return storedToDecodedFrame(stored, metadata, frameIndex, pixel.modalityLut, pixel.palette);
      } catch (error) {
        throw asCodedError(error, 'CODEC_ERROR', `${pathForMessages}: frame ${frameIndex}`);
      }
    },
  };
}

/** Opens a file of any supported kind; metadata now, pixels on decodeFrame. Throws CodedError. */
export async function openImage(path: string): Promise<OpenedImage> {
  return openImageBuffer(await readInput(path), path);
}

/** A copy whose explicit-LE Directory Record Sequence (0004,1220) has undefined length. */
function withUndefinedRecordSequenceLength(bytes: Uint8Array): Uint8Array | undefined {
  const header = [0x04, 0x00, 0x20, 0x12, 0x53, 0x51, 0x00, 0x00];
  for (let i = 132; i + 12 <= bytes.length && i < 4096; i++) {
    if (header.every((b, k) => bytes[i + k] === b)) {
      const copy = bytes.slice();
      copy.fill(0xff, i + 8, i + 12);
      return copy;
    }
  }
  return undefined;
}

/** Lists the files a DICOMDIR references, with patient/study/series context. Throws CodedError. */
export async function readDicomdir(path: string): Promise<DicomdirEntry[]> {
  const bytes = await readInput(path);
  let file;
  try {
    file = parseDicomBytes(bytes, path);
  } catch (error) {
    // Editors that drop records often leave a stale sequence length: retry with it undefined.
    const relaxed = withUndefinedRecordSequenceLength(bytes);
    const invalid = new CodedError('DICOMDIR_INVALID', describeThrown(error), { cause: error });
    if (!relaxed) throw invalid;
    try {
      file = parseDicomBytes(relaxed, path);
    } catch {
      throw invalid;
    }
  }
  return walkDicomdir(file, path);
}
