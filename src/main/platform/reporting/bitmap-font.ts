/**
 * A 5x8 bitmap font for printable ASCII (the classic public-domain "glcdfont" layout: 5 column
 * bytes per glyph, bit 0 at the top, bit 7 for descenders), for text burned into pixel data
 * without a font engine. Characters outside ASCII are drawn as "?".
 */

const GLYPHS = [
  '0000000000',
  '00005f0000',
  '0007000700',
  '147f147f14',
  '242a7f2a12',
  '2313086462',
  '3649562050',
  '0008070300',
  '001c224100',
  '0041221c00',
  '2a1c7f1c2a',
  '08083e0808',
  '0080703000',
  '0808080808',
  '0000606000',
  '2010080402',
  '3e5149453e',
  '00427f4000',
  '7249494946',
  '2141494d33',
  '1814127f10',
  '2745454539',
  '3c4a494931',
  '4121110907',
  '3649494936',
  '464949291e',
  '0000140000',
  '0040340000',
  '0008142241',
  '1414141414',
  '0041221408',
  '0201590906',
  '3e415d594e',
  '7c1211127c',
  '7f49494936',
  '3e41414122',
  '7f4141413e',
  '7f49494941',
  '7f09090901',
  '3e41415173',
  '7f0808087f',
  '00417f4100',
  '2040413f01',
  '7f08142241',
  '7f40404040',
  '7f021c027f',
  '7f0408107f',
  '3e4141413e',
  '7f09090906',
  '3e4151215e',
  '7f09192946',
  '2649494932',
  '03017f0103',
  '3f4040403f',
  '1f2040201f',
  '3f4038403f',
  '6314081463',
  '0304780403',
  '6159494d43',
  '007f414141',
  '0204081020',
  '004141417f',
  '0402010204',
  '4040404040',
  '0003070800',
  '2054547840',
  '7f28444438',
  '3844444428',
  '384444287f',
  '3854545418',
  '00087e0902',
  '18a4a49c78',
  '7f08040478',
  '00447d4000',
  '2040403d00',
  '7f10284400',
  '00417f4000',
  '7c04780478',
  '7c08040478',
  '3844444438',
  'fc18242418',
  '18242418fc',
  '7c08040408',
  '4854545424',
  '04043f4424',
  '3c4040207c',
  '1c2040201c',
  '3c4030403c',
  '4428102844',
  '4c9090907c',
  '4464544c44',
  '0008364100',
  '0000770000',
  '0041360800',
  '0201020402',
];

export const GLYPH_WIDTH = 5;
export const GLYPH_HEIGHT = 8;
/** Horizontal advance per character, in font pixels (glyph plus one column of space). */
export const GLYPH_ADVANCE = 6;

function glyphColumns(char: string): number[] {
  const code = char.charCodeAt(0);
  const hex = GLYPHS[code >= 0x20 && code <= 0x7e ? code - 0x20 : '?'.charCodeAt(0) - 0x20];
  return [0, 1, 2, 3, 4].map((i) => parseInt(hex.slice(i * 2, i * 2 + 2), 16));
}

/** Width in image pixels of `text` drawn at `scale`. */
export function textWidth(text: string, scale: number): number {
  return text.length * GLYPH_ADVANCE * scale;
}

/** Calls `plot(x, y)` for every lit image pixel of `text` with its top-left at (x0, y0). */
export function forEachTextPixel(
  text: string,
  x0: number,
  y0: number,
  scale: number,
  plot: (x: number, y: number) => void,
): void {
  for (let c = 0; c < text.length; c++) {
    const columns = glyphColumns(text[c]);
    for (let gx = 0; gx < GLYPH_WIDTH; gx++) {
      for (let gy = 0; gy < GLYPH_HEIGHT; gy++) {
        if (!((columns[gx] >> gy) & 1)) continue;
        const left = x0 + (c * GLYPH_ADVANCE + gx) * scale;
        const top = y0 + gy * scale;
        for (let dy = 0; dy < scale; dy++)
          for (let dx = 0; dx < scale; dx++) plot(left + dx, top + dy);
      }
    }
  }
}

/** Splits `text` into lines of at most `maxChars` characters, at spaces where possible. */
export function wrapText(text: string, maxChars: number): string[] {
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(/\s+/).filter((w) => w !== '')) {
    const candidate = line === '' ? word : `${line} ${word}`;
    if (candidate.length <= maxChars) {
      line = candidate;
      continue;
    }
    if (line !== '') lines.push(line);
    let rest = word;
    while (rest.length > maxChars) {
      lines.push(rest.slice(0, maxChars));
      rest = rest.slice(maxChars);
    }
    line = rest;
  }
  if (line !== '') lines.push(line);
  return lines;
}
