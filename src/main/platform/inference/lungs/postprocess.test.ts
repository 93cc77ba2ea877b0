import { describe, expect, it } from 'vitest';
import { headerVerdict, maskVerdict, measureLungMask } from './gate';
import { dilateSquare, lungMaskOnModelGrid, lungSquare } from './lung-crop';
import { lungBoxCells, lungMaskAtImageSize, postprocessLungProbability } from './postprocess';

const SPEC = { threshold: 0.5, minComponentFraction: 0.004 };
const GATE = {
  minLungFraction: 0.08,
  maxLungFraction: 0.75,
  minLungAreaRatio: 0.2,
  centroidRowRange: [0.15, 0.8] as [number, number],
  boxAspectRange: [0.4, 1.6] as [number, number],
  minMeanProbability: 0.87,
  chosenOn: 'test',
};

/** A 64x64 P(lung) grid with filled rectangles at probability p. */
function grid(rects: [number, number, number, number][], p = 0.95, size = 64): Float32Array {
  const prob = new Float32Array(size * size).fill(0.02);
  for (const [x0, y0, x1, y1] of rects) {
    for (let y = y0; y < y1; y++) for (let x = x0; x < x1; x++) prob[y * size + x] = p;
  }
  return prob;
}

describe('lung post-processing', () => {
  it('keeps the two largest components, drops specks, fills holes', () => {
    const prob = grid([
      [8, 12, 28, 52],
      [36, 12, 56, 50],
      [60, 2, 62, 4], // speck (4 cells, below 0.4% of the grid)
      [2, 58, 6, 62], // third region, smaller than both lungs
    ]);
    prob[30 * 64 + 15] = 0.1; // hole inside the right lung
    const mask = postprocessLungProbability(prob, 64, 64, SPEC);
    expect(mask.components).toHaveLength(2);
    expect(mask.components.map((c) => c.area)).toEqual([20 * 40, 20 * 38]);
    expect(mask.data[30 * 64 + 15]).toBe(1);
    expect(mask.data[60 * 64 + 3]).toBe(0);
    expect(lungBoxCells(mask)).toEqual({ x0: 8, y0: 12, x1: 56, y1: 52 });
  });

  it('splits one region spanning both lungs at the mediastinum', () => {
    const prob = grid([
      [8, 10, 28, 50],
      [36, 10, 56, 50],
      [28, 40, 36, 44], // bridge below the heart
    ]);
    const mask = postprocessLungProbability(prob, 64, 64, SPEC);
    expect(mask.components).toHaveLength(2);
    expect(measureLungMask(mask).sideBySide).toBe(true);
  });

  it('brings the mask to the image size, registered to the grid', () => {
    const prob = grid([
      [8, 12, 28, 52],
      [36, 12, 56, 50],
    ]);
    const mask = postprocessLungProbability(prob, 64, 64, SPEC);
    const full = lungMaskAtImageSize(mask, prob, 0.5, 640, 320);
    expect(full.length).toBe(640 * 320);
    // Cell (10, 20) is lung: image pixels x 100..109, y 100..104; cell (32, 20) is not.
    expect(full[102 * 640 + 105]).toBe(1);
    expect(full[102 * 640 + 325]).toBe(0);
  });

  it('samples the mask on the model grid and dilates it', () => {
    const prob = grid([
      [8, 12, 28, 52],
      [36, 12, 56, 50],
    ]);
    const mask = postprocessLungProbability(prob, 64, 64, SPEC);
    const square = lungSquare(mask, 640, 640, 0);
    expect(square).toEqual({ x: 80, y: 80, width: 480, height: 480 });
    const onGrid = lungMaskOnModelGrid(mask, square!, 640, 640, 48, 48);
    const lung = onGrid.reduce((a, b) => a + b, 0);
    expect(lung).toBe(20 * 40 + 20 * 38); // one model pixel per mask cell here
    const grown = dilateSquare(onGrid, 48, 48, 2);
    expect(grown.reduce((a, b) => a + b, 0)).toBeGreaterThan(lung);
  });
});

describe('chest gate', () => {
  it('turns away non-radiographs, other body parts and lateral views by the header', () => {
    expect(headerVerdict({ modality: 'CT' }).reason).toMatch(/Modality is CT/);
    expect(headerVerdict({ modality: 'CR', bodyPartExamined: 'CSPINE' }).reason).toMatch(/CSPINE/);
    expect(headerVerdict({ modality: 'DX', viewPosition: 'LL' }).reason).toMatch(/frontal/);
    expect(
      headerVerdict({ modality: 'DX', bodyPartExamined: 'CHEST', viewPosition: 'PA' }).accepted,
    ).toBe(true);
    expect(headerVerdict(null).accepted).toBe(true);
  });

  it('needs two plausible lung fields', () => {
    const two = postprocessLungProbability(
      grid([
        [8, 12, 28, 52],
        [36, 12, 56, 50],
      ]),
      64,
      64,
      SPEC,
    );
    expect(maskVerdict(two, GATE)).toMatchObject({ accepted: true });
    const one = postprocessLungProbability(grid([[8, 12, 28, 52]]), 64, 64, SPEC);
    expect(maskVerdict(one, GATE)).toMatchObject({ accepted: false, decidedBy: 'segmenter' });
    const unsure = postprocessLungProbability(
      grid(
        [
          [8, 12, 28, 52],
          [36, 12, 56, 50],
        ],
        0.6,
      ),
      64,
      64,
      SPEC,
    );
    expect(maskVerdict(unsure, GATE).reason).toMatch(/not confident/);
    const stacked = postprocessLungProbability(
      grid([
        [8, 4, 56, 20],
        [8, 40, 56, 60],
      ]),
      64,
      64,
      SPEC,
    );
    expect(maskVerdict(stacked, GATE).accepted).toBe(false);
  });
});
