/**
 * DICOM RLE Lossless (PS3.5 Annex G): a 64-byte header of segment offsets, then one PackBits
 * segment per byte plane, most significant byte first, sample by sample. Output is interleaved.
 */
import { CodedError } from '../../../../shared/errors';

export interface RleFrameShape {
  rows: number;
  columns: number;
  samplesPerPixel: number;
  bitsAllocated: number;
}

/** PackBits into `out` at `start` with `stride` between bytes; returns bytes written. */
function unpackSegment(
  segment: Uint8Array,
  out: Uint8Array,
  start: number,
  stride: number,
  count: number,
): number {
  let written = 0;
  let i = 0;
  while (i < segment.length && written < count) {
    const n = segment[i++];
    if (n < 128) {
      const run = Math.min(n + 1, count - written, segment.length - i);
      if (stride === 1) out.set(segment.subarray(i, i + run), start + written);
      else for (let k = 0; k < run; k++) out[start + (written + k) * stride] = segment[i + k];
      i += n + 1;
      written += run;
    } else if (n > 128) {
      if (i >= segment.length) break;
      const value = segment[i++];
      const run = Math.min(257 - n, count - written);
      if (stride === 1) out.fill(value, start + written, start + written + run);
      else for (let k = 0; k < run; k++) out[start + (written + k) * stride] = value;
      written += run;
    }
  }
  return written;
}

/**
 * Decodes one RLE frame to little-endian interleaved bytes (bitsAllocated/8 bytes per sample), in
 * a fresh aligned buffer that the caller views as 16/32-bit samples without another copy.
 */
export function decodeRle(frame: Uint8Array, shape: RleFrameShape): Uint8Array {
  const bytesPerSample = shape.bitsAllocated / 8;
  if (!Number.isInteger(bytesPerSample) || bytesPerSample < 1) {
    throw new CodedError(
      'INVALID_PIXEL_ATTRIBUTES',
      `RLE with ${shape.bitsAllocated} bits allocated`,
    );
  }
  if (frame.length < 64) throw new CodedError('CODEC_ERROR', 'RLE frame shorter than its header');
  const view = new DataView(frame.buffer, frame.byteOffset, frame.byteLength);
  const segments = view.getUint32(0, true);
  const expected = bytesPerSample * shape.samplesPerPixel;
  if (segments !== expected) {
    throw new CodedError(
      'CODEC_ERROR',
      `RLE header has ${segments} segments, expected ${expected}`,
    );
  }
  const pixels = shape.rows * shape.columns;
  const bytesPerPixel = expected;
  const out = new Uint8Array(pixels * bytesPerPixel);
  for (let s = 0; s < segments; s++) {
    const begin = view.getUint32(4 + 4 * s, true);
    const end = s + 1 < segments ? view.getUint32(8 + 4 * s, true) : frame.length;
    if (begin < 64 || begin > frame.length || end < begin || end > frame.length) {
      throw new CodedError('CODEC_ERROR', `RLE segment ${s} offsets ${begin}..${end} out of range`);
    }
    const sample = Math.floor(s / bytesPerSample);
    const byteInSample = bytesPerSample - 1 - (s % bytesPerSample); // MSB segment first
    const start = sample * bytesPerSample + byteInSample;
    const written = unpackSegment(frame.subarray(begin, end), out, start, bytesPerPixel, pixels);
    if (written < pixels) {
      throw new CodedError('CODEC_ERROR', `RLE segment ${s} holds ${written} of ${pixels} bytes`);
    }
  }
  return out;
}
