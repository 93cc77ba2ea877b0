/**
 * Stored samples -> DecodedFrame (PS3.3 C.11): bits-stored masking and sign extension, pixel
 * padding, Modality LUT (LUT Sequence or rescale), and colour (RGB, YBR, PALETTE COLOR) to 8-bit RGB.
 */
import { CodedError } from '../../../shared/errors';
import type { DecodedFrame, ImageMetadata, LookupTable } from '../../../shared/imaging';
import type { StoredFrame } from '../dicom/decode';
import type { PaletteLuts } from '../dicom/metadata';

function storedValueFixer(meta: ImageMetadata, needsFix: boolean): (v: number) => number {
  const bits = meta.bitsStored;
  if (!needsFix || bits >= 32) return (v) => v;
  const shift = 32 - bits;
  if (meta.pixelRepresentation === 1) return (v) => (v << shift) >> shift;
  return (v) => (v << shift) >>> shift;
}

function lutLookup(lut: LookupTable, value: number): number {
  let index = Math.round(value) - lut.firstValueMapped;
  if (index < 0) index = 0;
  else if (index >= lut.data.length) index = lut.data.length - 1;
  return lut.data[index];
}

/** 0: samples are values; 1: mask to Bits Stored; 2: sign-extend from Bits Stored. */
function storedValueFix(stored: StoredFrame, meta: ImageMetadata): 0 | 1 | 2 {
  if (!stored.needsBitsStoredFix || meta.bitsStored >= 32) return 0;
  return meta.pixelRepresentation === 1 ? 2 : 1;
}

function grayscaleFrame(
  stored: StoredFrame,
  meta: ImageMetadata,
  modalityLut: LookupTable | undefined,
  frameIndex: number,
): DecodedFrame {
  const n = meta.rows * meta.columns;
  const fix = storedValueFix(stored, meta);
  const shift = 32 - meta.bitsStored;
  const out = new Float32Array(n);
  const hasPadding = meta.pixelPaddingValue !== undefined;
  const padLow = Math.min(
    meta.pixelPaddingValue ?? 0,
    meta.pixelPaddingRangeLimit ?? meta.pixelPaddingValue ?? 0,
  );
  const padHigh = Math.max(
    meta.pixelPaddingValue ?? 0,
    meta.pixelPaddingRangeLimit ?? meta.pixelPaddingValue ?? 0,
  );
  const mask = hasPadding ? new Uint8Array(n) : undefined;
  const slope = meta.rescaleSlope;
  const intercept = meta.rescaleIntercept;
  const samples = stored.samples;
  const rescaled = slope !== 1 || intercept !== 0;
  if (meta.bitsAllocated <= 16) {
    // One native conversion into the output, then every step in place on that Float32Array:
    // the loop sees one array type whatever the codec returned (a per-kind megamorphic load in
    // this loop is what made one syntax several times slower than its twin).
    out.set(samples.length === n ? samples : samples.subarray(0, n));
    if (fix !== 0 || modalityLut || mask || rescaled) {
      for (let i = 0; i < n; i++) {
        // Integers below 2^16 here: int32 bit operations are exact and fast.
        const stored = out[i] | 0;
        const value =
          fix === 0 ? stored : fix === 1 ? (stored << shift) >>> shift : (stored << shift) >> shift;
        if (mask && value >= padLow && value <= padHigh) mask[i] = 1;
        out[i] = modalityLut ? lutLookup(modalityLut, value) : value * slope + intercept;
      }
    }
  } else {
    for (let i = 0; i < n; i++) {
      const raw = samples[i];
      const value =
        fix === 0 ? raw : fix === 1 ? (raw << shift) >>> shift : (raw << shift) >> shift;
      out[i] = modalityLut ? lutLookup(modalityLut, value) : value * slope + intercept;
      if (mask && value >= padLow && value <= padHigh) mask[i] = 1;
    }
  }
  let min = Infinity;
  let max = -Infinity;
  for (let i = 0; i < n; i++) {
    if (mask && mask[i]) continue;
    const v = out[i];
    if (v < min) min = v;
    if (v > max) max = v;
  }
  if (min > max) min = max = 0;
  return {
    frameIndex,
    rows: meta.rows,
    columns: meta.columns,
    kind: 'grayscale',
    modalityPixels: out,
    minValue: min,
    maxValue: max,
    ...(mask ? { paddingMask: mask } : {}),
  };
}

function clamp8(v: number): number {
  return v < 0 ? 0 : v > 255 ? 255 : Math.round(v);
}

function paletteEntry8(lut: LookupTable, index: number): number {
  const value = lutLookup(lut, index);
  return lut.bitsPerEntry > 8 ? value >> 8 : value & 0xff;
}

function colourFrame(
  stored: StoredFrame,
  meta: ImageMetadata,
  palette: PaletteLuts | undefined,
  frameIndex: number,
): DecodedFrame {
  const n = meta.rows * meta.columns;
  const rgb = new Uint8Array(n * 3);
  const samples = stored.samples;
  if (stored.photometric === 'PALETTE COLOR' && palette) {
    const fix = storedValueFixer({ ...meta, pixelRepresentation: 0 }, stored.needsBitsStoredFix);
    for (let i = 0; i < n; i++) {
      const index = fix(samples[i]);
      rgb[3 * i] = paletteEntry8(palette.red, index);
      rgb[3 * i + 1] = paletteEntry8(palette.green, index);
      rgb[3 * i + 2] = paletteEntry8(palette.blue, index);
    }
  } else {
    // Wider-than-8-bit colour is scaled down to 8 bits for display.
    const shift = stored.needsBitsStoredFix
      ? Math.max(0, meta.bitsStored - 8)
      : Math.max(0, meta.bitsAllocated - 8);
    const scale = 2 ** -shift;
    const at = stored.planar
      ? (i: number, c: number) => samples[c * n + i]
      : (i: number, c: number) => samples[3 * i + c];
    const ybr = stored.photometric === 'YBR_FULL' || stored.photometric === 'YBR_FULL_422';
    for (let i = 0; i < n; i++) {
      const a = at(i, 0) * scale;
      const b = at(i, 1) * scale;
      const c = at(i, 2) * scale;
      if (ybr) {
        // PS3.3 C.7.6.3.1.2 (YBR_FULL -> RGB)
        rgb[3 * i] = clamp8(a + 1.402 * (c - 128));
        rgb[3 * i + 1] = clamp8(a - 0.344136 * (b - 128) - 0.714136 * (c - 128));
        rgb[3 * i + 2] = clamp8(a + 1.772 * (b - 128));
      } else {
        rgb[3 * i] = clamp8(a);
        rgb[3 * i + 1] = clamp8(b);
        rgb[3 * i + 2] = clamp8(c);
      }
    }
  }
  return {
    frameIndex,
    rows: meta.rows,
    columns: meta.columns,
    kind: 'rgb',
    rgb,
    minValue: 0,
    maxValue: 255,
  };
}

export function storedToDecodedFrame(
  stored: StoredFrame,
  fullMeta: ImageMetadata,
  frameIndex: number,
  modalityLut?: LookupTable,
  palette?: PaletteLuts,
): DecodedFrame {
  const meta = stored.reduced
    ? { ...fullMeta, rows: stored.reduced.rows, columns: stored.reduced.columns }
    : fullMeta;
  const expected =
    meta.rows *
    meta.columns *
    (stored.photometric === 'PALETTE COLOR' ? 1 : stored.samplesPerPixel);
  if (stored.samples.length < expected) {
    throw new CodedError(
      'PIXEL_DATA_LENGTH_MISMATCH',
      `decoded frame holds ${stored.samples.length} samples, ${expected} expected`,
    );
  }
  const frame =
    stored.photometric === 'MONOCHROME1' || stored.photometric === 'MONOCHROME2'
      ? grayscaleFrame(stored, meta, modalityLut, frameIndex)
      : colourFrame(stored, meta, palette, frameIndex);
  if (stored.reduced) frame.resolutionLevel = stored.reduced.level;
  if (stored.notes) frame.decodeNotes = stored.notes;
  return frame;
}
