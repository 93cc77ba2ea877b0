/**
 * VOI LUT Function SIGMOID (PS3.3 C.11.2.1.3.1) for the viewer. cornerstone-core only knows the
 * linear window and table VOI LUTs, so the sigmoid of the current window is handed to it as a VOI
 * LUT table, rebuilt whenever the window changes (DOM-free, unit-tested).
 *
 * cornerstone-core details this relies on: it infers a table's entry width from its largest
 * entry (so a 0xFFFF sentinel past the image's range pins it to 16 bits, shifted down by 8), and
 * it rounds modality values before a table lookup when slope or intercept is fractional (so
 * quantised images look up by stored value through an identity modality LUT instead).
 */
import type { CornerstoneImage, CornerstoneVoiLut } from 'cornerstone-core';

/** y = ymax / (1 + exp(-4 (x - c) / w)) with ymin 0, ymax 255, rounded as the main-side display. */
export function sigmoid8(x: number, center: number, width: number): number {
  return Math.round(255 / (1 + Math.exp((-4 * (x - center)) / width)));
}

export interface SigmoidLuts {
  voiLUT: CornerstoneVoiLut;
  /** Only for quantised (non-integer) images: stored value -> itself. */
  modalityLUT?: CornerstoneVoiLut;
}

type StoredRange = Pick<
  CornerstoneImage,
  'minPixelValue' | 'maxPixelValue' | 'slope' | 'intercept'
>;

const identityCache = new Map<number, CornerstoneVoiLut>();

function identityModalityLut(last: number): CornerstoneVoiLut {
  let table = identityCache.get(last);
  if (!table) {
    table = {
      id: `identity:${last}`,
      firstValueMapped: 0,
      numBitsPerEntry: 16,
      lut: Array.from({ length: last + 1 }, (_, i) => i),
    };
    identityCache.set(last, table);
  }
  return table;
}

/** The tables that make cornerstone draw the sigmoid of window (center, width). */
export function sigmoidLuts(image: StoredRange, center: number, width: number): SigmoidLuts {
  const { minPixelValue: first, maxPixelValue: last, slope, intercept } = image;
  const quantised = slope !== 1 || intercept !== 0;
  if (quantised && first !== 0) throw new Error('quantised images store values from 0');
  const count = last - first + 1;
  const lut = new Array<number>(count + 1);
  for (let i = 0; i < count; i++) {
    lut[i] = sigmoid8((first + i) * slope + intercept, center, width) << 8;
  }
  lut[count] = 0xffff; // sentinel at last + 1, never looked up (see above)
  const voiLUT: CornerstoneVoiLut = {
    id: `sigmoid:${center}:${width}:${first}:${last}:${slope}:${intercept}`,
    firstValueMapped: first,
    numBitsPerEntry: 16,
    lut,
  };
  return quantised ? { voiLUT, modalityLUT: identityModalityLut(last) } : { voiLUT };
}

/**
 * What cornerstone-core's generateLut computes for one stored value from these tables
 * (generateNonLinearVOILUT / generateNonLinearModalityLUT, rounding as it does): the test
 * checks the tables through this, the e2e test checks the canvas.
 */
export function cornerstoneDisplayValue(
  luts: SigmoidLuts,
  image: StoredRange,
  stored: number,
): number {
  const floatRescale = image.slope % 1 !== 0 || image.intercept % 1 !== 0;
  const modality = luts.modalityLUT
    ? luts.modalityLUT.lut[stored]
    : stored * image.slope + image.intercept;
  const table = luts.voiLUT;
  const bits = Math.max(...table.lut).toString(2).length;
  const shift = bits - 8;
  const maxMapped = table.firstValueMapped + table.lut.length - 1;
  if (modality < table.firstValueMapped) return table.lut[0] >> shift;
  if (modality >= maxMapped) return table.lut[table.lut.length - 1] >> shift;
  const index = (floatRescale ? Math.round(modality) : modality) - table.firstValueMapped;
  return table.lut[index] >> shift;
}
