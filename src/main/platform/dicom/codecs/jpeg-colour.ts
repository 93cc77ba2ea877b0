/**
 * The colour transform of a 3-component DCT JPEG stream. libjpeg decides it from the stream
 * (jdapimin.c default_decompress_parms): a JFIF APP0 means YCbCr; else an Adobe APP14 says so by
 * its transform flag (0 = none, RGB); else component ids 'R','G','B' mean RGB and anything else
 * YCbCr. DCMTK (dcmdjpeg's default, +cp) follows the Photometric Interpretation instead: YBR_*
 * is converted, RGB is not. Where the two disagree we follow DCMTK, by rewriting the stream's
 * markers so that libjpeg-turbo reaches DCMTK's decision, and report the disagreement.
 */

export type JpegColourSpace = 'YCbCr' | 'RGB';

interface ColourMarkers {
  jfif: number[];
  adobe: { at: number; transform: number }[];
  componentIds: number[];
}

function scanMarkers(data: Uint8Array): ColourMarkers {
  const found: ColourMarkers = { jfif: [], adobe: [], componentIds: [] };
  let pos = 2;
  while (pos + 4 <= data.length && data[pos] === 0xff) {
    const marker = data[pos + 1];
    if (marker === 0xff) {
      pos++;
      continue;
    }
    const length = (data[pos + 2] << 8) | data[pos + 3];
    const text = (from: number, n: number): string =>
      String.fromCharCode(...data.subarray(pos + 4 + from, pos + 4 + from + n));
    if (marker === 0xe0 && length >= 7 && text(0, 5) === 'JFIF\0') found.jfif.push(pos);
    if (marker === 0xee && length >= 14 && text(0, 5) === 'Adobe') {
      found.adobe.push({ at: pos, transform: data[pos + 4 + 11] });
    }
    if (marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc) {
      const count = data[pos + 9];
      for (let c = 0; c < count; c++) found.componentIds.push(data[pos + 10 + 3 * c]);
    }
    if (marker === 0xda || length < 2) break;
    pos += 2 + length;
  }
  return found;
}

/** What libjpeg would do with this stream on its own. */
export function streamColourSpace(data: Uint8Array): JpegColourSpace {
  const markers = scanMarkers(data);
  if (markers.jfif.length > 0) return 'YCbCr';
  if (markers.adobe.length > 0) return markers.adobe[0].transform === 0 ? 'RGB' : 'YCbCr';
  const [a, b, c] = markers.componentIds;
  return a === 0x52 && b === 0x47 && c === 0x42 ? 'RGB' : 'YCbCr';
}

/** DCMTK's decision from the Photometric Interpretation (YBR_* is converted, RGB is not). */
export function photometricColourSpace(photometric: string): JpegColourSpace {
  return photometric.startsWith('YBR') ? 'YCbCr' : 'RGB';
}

/**
 * A copy of the stream that libjpeg decodes as `wanted`: JFIF and Adobe segments become comments
 * (same length, so nothing else moves) and one Adobe APP14 with the wanted transform follows SOI.
 */
export function withColourSpace(data: Uint8Array, wanted: JpegColourSpace): Uint8Array {
  const markers = scanMarkers(data);
  const copy = data.slice();
  for (const at of [...markers.jfif, ...markers.adobe.map((a) => a.at)]) copy[at + 1] = 0xfe;
  // APP14: "Adobe", version 100, flags0 0, flags1 0, transform.
  const adobe = new Uint8Array([
    0xff,
    0xee,
    0x00,
    0x0e,
    0x41,
    0x64,
    0x6f,
    0x62,
    0x65,
    0x00,
    0x64,
    0x00,
    0x00,
    0x00,
    0x00,
    wanted === 'RGB' ? 0 : 1,
  ]);
  const out = new Uint8Array(copy.length + adobe.length);
  out.set(copy.subarray(0, 2), 0);
  out.set(adobe, 2);
  out.set(copy.subarray(2), 2 + adobe.length);
  return out;
}
