/** Reads what routing needs from a JPEG 2000 main header without decoding. */

/**
 * Number of wavelet decomposition levels in the COD segment of the main header (T.800 A.6.1),
 * i.e. how many times the image can be halved at decode; undefined when there is no COD.
 * Accepts a raw codestream or a JP2 file (the codestream is found by its SOC+SIZ markers).
 */
export function j2kDecompositionLevels(data: Uint8Array): number | undefined {
  let pos = -1;
  for (let i = 0; i + 3 < data.length && i < 4096; i++) {
    if (data[i] === 0xff && data[i + 1] === 0x4f && data[i + 2] === 0xff && data[i + 3] === 0x51) {
      pos = i + 2;
      break;
    }
  }
  if (pos < 0) return undefined;
  while (pos + 4 <= data.length && data[pos] === 0xff) {
    const marker = data[pos + 1];
    const length = (data[pos + 2] << 8) | data[pos + 3];
    if (marker === 0x90 || length < 2) return undefined; // first tile: the main header is over
    // COD: Lcod, Scod, progression order, layers (2), MCT, then the decomposition levels.
    if (marker === 0x52) return pos + 9 < data.length ? data[pos + 9] : undefined;
    pos += 2 + length;
  }
  return undefined;
}
