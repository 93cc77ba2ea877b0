/** Reads a JPEG stream's frame header (SOFn) without decoding, to route and size-check it. */

export interface JpegFrameHeader {
  /** 0xC0..0xCF marker byte (C0 baseline, C1 extended, C2 progressive, C3 lossless ...). */
  sofMarker: number;
  precision: number;
  height: number;
  width: number;
  components: { id: number; h: number; v: number; tq: number }[];
}

/** Returns the first frame header, or undefined when the stream has none before its scan. */
export function readJpegFrameHeader(data: Uint8Array): JpegFrameHeader | undefined {
  if (data.length < 4 || data[0] !== 0xff || data[1] !== 0xd8) return undefined;
  let pos = 2;
  while (pos + 4 <= data.length) {
    if (data[pos] !== 0xff) return undefined;
    const marker = data[pos + 1];
    if (marker === 0xff) {
      pos++; // fill byte
      continue;
    }
    const length = (data[pos + 2] << 8) | data[pos + 3];
    const isSof =
      marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc;
    if (isSof) {
      if (pos + 10 > data.length) return undefined;
      const count = data[pos + 9];
      const components: JpegFrameHeader['components'] = [];
      for (let c = 0; c < count && pos + 12 + 3 * c < data.length; c++) {
        const at = pos + 10 + 3 * c;
        components.push({
          id: data[at],
          h: data[at + 1] >> 4,
          v: data[at + 1] & 15,
          tq: data[at + 2],
        });
      }
      return {
        sofMarker: marker,
        precision: data[pos + 4],
        height: (data[pos + 5] << 8) | data[pos + 6],
        width: (data[pos + 7] << 8) | data[pos + 8],
        components,
      };
    }
    if (marker === 0xda || length < 2) return undefined;
    pos += 2 + length;
  }
  return undefined;
}
