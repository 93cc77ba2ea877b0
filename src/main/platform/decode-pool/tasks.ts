/**
 * The work a decode-pool worker does, as plain functions (the worker entry calls them; so can
 * any thread that has no pool). Nothing here depends on a model: the result is the display-ready
 * gray image and the metadata a chest gate needs.
 */
import { toErrorInfo, type CodedErrorInfo } from '../../../shared/errors';
import type { ImageMetadata } from '../../../shared/imaging';
import { openImage, renderDisplay8, toModelGray } from '../imaging';
import { downscaleGray, type GrayRaster } from '../imaging/downscale';

export type { GrayRaster } from '../imaging/downscale';

/** Frame 0 of a file as `toModelGray` makes it (0..255, bone bright), with what a gate reads. */
export interface ModelGrayImage extends Pick<
  ImageMetadata,
  'sourceKind' | 'modality' | 'bodyPartExamined' | 'viewPosition' | 'imageType'
> {
  /** Row-major, width x height. */
  gray: Float32Array;
  width: number;
  height: number;
}

/** Opens, decodes frame 0 (multi-frame files screen frame 0) and converts it for the model. */
export async function decodeForModel(path: string): Promise<ModelGrayImage> {
  const image = await openImage(path);
  const frame = await image.decodeFrame(0);
  const { sourceKind, modality, bodyPartExamined, viewPosition, imageType } = image.metadata;
  return {
    gray: toModelGray(frame, image.metadata),
    width: frame.columns,
    height: frame.rows,
    sourceKind,
    modality,
    bodyPartExamined,
    viewPosition,
    imageType,
  };
}

/** Frame 0 rendered for display (default VOI) and fitted into maxSize x maxSize. */
export async function renderThumbnail(path: string, maxSize: number): Promise<GrayRaster> {
  const image = await openImage(path);
  const frame = await image.decodeFrame(0);
  const display = {
    width: frame.columns,
    height: frame.rows,
    gray: renderDisplay8(frame, image.metadata),
  };
  return downscaleGray(display, maxSize);
}

/** Errors thrown by Node's fs (no code of ours) are reported as unreadable files. */
export function fileErrorInfo(error: unknown): CodedErrorInfo {
  const info = toErrorInfo(error);
  if (info.code !== 'INTERNAL_ERROR') return info;
  const errno = (error as { code?: unknown }).code;
  if (errno === 'ENOENT') return { code: 'FILE_NOT_FOUND', message: info.message };
  if (typeof errno === 'string' && errno.startsWith('E'))
    return { code: 'FILE_UNREADABLE', message: info.message };
  return info;
}
