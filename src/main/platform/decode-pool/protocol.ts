/** Messages between a decode pool and its worker threads. */
import type { CodedErrorInfo } from '../../../shared/errors';
import type { GrayRaster, ModelGrayImage } from './tasks';

export type DecodeTask =
  { kind: 'model-gray'; path: string } | { kind: 'thumbnail'; path: string; maxSize: number };

export interface DecodeRequest {
  id: number;
  task: DecodeTask;
}

/** Pixel buffers in a result are transferred, not copied. */
export type DecodeReply =
  | { id: number; ok: true; result: ModelGrayImage | GrayRaster }
  | { id: number; ok: false; error: CodedErrorInfo };
