/**
 * Locates the bytes of one frame: native pixel data by offset; encapsulated pixel data by the
 * Extended or Basic Offset Table, one-fragment-per-frame, or start-of-codestream markers.
 */
import type { DataSet, Element, Fragment } from 'dicom-parser';
import { CodedError } from '../../../shared/errors';
import { elementBytes } from './attributes';

function concat(parts: Uint8Array[]): Uint8Array {
  if (parts.length === 1) return parts[0];
  const total = parts.reduce((n, p) => n + p.length, 0);
  const out = new Uint8Array(total);
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

function fragmentBytes(dataSet: DataSet, element: Element, fragment: Fragment): Uint8Array {
  const start = fragment.position;
  const end = start + fragment.length;
  if (start < 0 || end > dataSet.byteArray.length) {
    throw new CodedError(
      'TRUNCATED',
      `pixel data fragment at ${start} runs past the end of the file`,
    );
  }
  return dataSet.byteArray.subarray(start, end);
}

/** True when a fragment starts a new codestream (JPEG SOI, J2K SOC, JP2 signature box). */
function startsCodestream(bytes: Uint8Array): boolean {
  if (bytes.length < 2) return false;
  if (bytes[0] === 0xff && (bytes[1] === 0xd8 || bytes[1] === 0x4f)) return true;
  return (
    bytes.length >= 8 &&
    bytes[4] === 0x6a &&
    bytes[5] === 0x50 &&
    bytes[6] === 0x20 &&
    bytes[7] === 0x20
  );
}

function extendedOffsets(dataSet: DataSet): number[] | undefined {
  const table = elementBytes(dataSet, 'x7fe00001');
  if (!table || table.length % 8 !== 0) return undefined;
  const view = new DataView(table.buffer, table.byteOffset, table.byteLength);
  const offsets: number[] = [];
  for (let i = 0; i < table.length; i += 8) offsets.push(Number(view.getBigUint64(i, true)));
  return offsets;
}

/** Groups fragment indexes into frames. */
export function frameFragmentGroups(
  dataSet: DataSet,
  element: Element,
  numberOfFrames: number,
): number[][] {
  const fragments = element.fragments ?? [];
  if (fragments.length === 0)
    throw new CodedError('NO_PIXEL_DATA', 'encapsulated pixel data has no fragments');
  const offsets =
    extendedOffsets(dataSet) ??
    (element.basicOffsetTable?.length ? element.basicOffsetTable : undefined);
  if (offsets && offsets.length === numberOfFrames) {
    const groups: number[][] = offsets.map(() => []);
    fragments.forEach((fragment, index) => {
      let frame = -1;
      for (let f = 0; f < offsets.length; f++) if (fragment.offset >= offsets[f]) frame = f;
      if (frame >= 0) groups[frame].push(index);
    });
    if (groups.every((g) => g.length > 0)) return groups;
  }
  if (numberOfFrames === 1) return [fragments.map((_, i) => i)];
  if (fragments.length === numberOfFrames) return fragments.map((_, i) => [i]);
  const groups: number[][] = [];
  fragments.forEach((fragment, index) => {
    const bytes = fragmentBytes(dataSet, element, fragment);
    if (groups.length === 0 || startsCodestream(bytes)) groups.push([index]);
    else groups[groups.length - 1].push(index);
  });
  return groups;
}

/** The encoded bytes of one frame of encapsulated pixel data. */
export function encapsulatedFrame(
  dataSet: DataSet,
  element: Element,
  frameIndex: number,
  numberOfFrames: number,
): Uint8Array {
  const groups = frameFragmentGroups(dataSet, element, numberOfFrames);
  const group = groups[frameIndex];
  if (!group) {
    throw new CodedError(
      'FRAME_OUT_OF_RANGE',
      `frame ${frameIndex} not found (${groups.length} frames in pixel data)`,
    );
  }
  const fragments = element.fragments ?? [];
  return concat(group.map((i) => fragmentBytes(dataSet, element, fragments[i])));
}

/**
 * The bytes of one frame of native (uncompressed) pixel data, a view into the file. Bit-packed
 * frames are returned whole-byte aligned; `alignBytes` widens the span to whole words (for
 * byte-swapping), `bitOffset` then counts from the returned start.
 */
export function nativeFrame(
  dataSet: DataSet,
  element: Element,
  frameIndex: number,
  frameBits: number,
  alignBytes = 1,
): {
  bytes: Uint8Array;
  bitOffset: number;
} {
  const startBit = frameIndex * frameBits;
  const exactStart = Math.floor(startBit / 8);
  const startByte = exactStart - (exactStart % alignBytes);
  const exactEnd = Math.ceil((startBit + frameBits) / 8);
  const endByte = Math.min(
    exactEnd + ((alignBytes - (exactEnd % alignBytes)) % alignBytes),
    Math.max(exactEnd, element.length),
  );
  const available = Math.min(element.length, dataSet.byteArray.length - element.dataOffset);
  if (exactEnd > available || endByte > available) {
    const truncatedFile = element.dataOffset + element.length > dataSet.byteArray.length;
    throw new CodedError(
      truncatedFile ? 'TRUNCATED' : 'PIXEL_DATA_LENGTH_MISMATCH',
      `frame ${frameIndex} needs bytes ${exactStart}..${exactEnd} but pixel data holds ${available}`,
    );
  }
  return {
    bytes: dataSet.byteArray.subarray(element.dataOffset + startByte, element.dataOffset + endByte),
    bitOffset: startBit - startByte * 8,
  };
}
