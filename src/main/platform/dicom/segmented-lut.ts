/**
 * Segmented Palette Color Lookup Table Data (PS3.3 C.7.9.2) expanded into a plain table.
 * Segments: discrete (opcode 0: n entries follow), linear (opcode 1: a straight line from the
 * previous segment's last entry to y1 over n entries, the previous entry not repeated) and
 * indirect (opcode 2: copy n segments found at a byte offset into the segmented data).
 */
import { CodedError } from '../../../shared/errors';

/** Indirect segments may point back at indirect segments: bound the nesting, not trust it. */
const MAX_INDIRECTION = 8;

function fail(message: string): never {
  throw new CodedError('UNSUPPORTED_PHOTOMETRIC', `Segmented palette LUT: ${message}`);
}

/**
 * `words` are the segmented data's entries (16-bit words, or bytes for 8-bit entries, as GDCM
 * and pydicom read them); `bytesPerWord` turns an indirect segment's byte offset into an index.
 * Returns exactly `entries` values (short tables are an error, extra values are dropped).
 */
export function expandSegmentedLut(
  words: ArrayLike<number>,
  entries: number,
  bytesPerWord: 1 | 2,
): number[] {
  const out: number[] = [];
  const expand = (start: number, maxSegments: number, depth: number): void => {
    if (depth > MAX_INDIRECTION) fail('indirect segments nest too deep');
    let at = start;
    let segments = 0;
    // `at + 1`: a trailing pad word is not a segment (every segment is longer than two words).
    while (at + 1 < words.length && segments < maxSegments && out.length < entries) {
      const opcode = words[at];
      const length = words[at + 1];
      at += 2;
      if (opcode === 0) {
        if (at + length > words.length) fail('discrete segment runs past the data');
        for (let i = 0; i < length; i++) out.push(words[at + i]);
        at += length;
      } else if (opcode === 1) {
        if (out.length === 0) fail('the first segment is linear');
        if (at >= words.length) fail('linear segment runs past the data');
        const y0 = out[out.length - 1];
        const y1 = words[at++];
        for (let i = 1; i <= length; i++) out.push(Math.round(y0 + ((y1 - y0) * i) / length));
      } else if (opcode === 2) {
        if (out.length === 0) fail('the first segment is indirect');
        const wordsForOffset = bytesPerWord === 2 ? 2 : 4;
        if (at + wordsForOffset > words.length) fail('indirect segment runs past the data');
        // 32-bit byte offset, least significant 16 bits first.
        const byteOffset =
          bytesPerWord === 2
            ? words[at] + words[at + 1] * 0x10000
            : words[at] + (words[at + 1] << 8) + (words[at + 2] << 16) + words[at + 3] * 2 ** 24;
        at += wordsForOffset;
        if (byteOffset % bytesPerWord !== 0 || byteOffset / bytesPerWord >= words.length)
          fail('indirect segment offset outside the data');
        expand(byteOffset / bytesPerWord, length, depth + 1);
      } else {
        fail(`unknown segment opcode ${opcode}`);
      }
      segments++;
    }
  };
  expand(0, Number.POSITIVE_INFINITY, 0);
  if (out.length < entries)
    fail(`expands to ${out.length} entries, the descriptor says ${entries}`);
  return out.length > entries ? out.slice(0, entries) : out;
}
