import { describe, expect, it } from 'vitest';
import type { LungOutlineGrid } from './analysis';
import { hasLungCells, lungOutlineSegments, type OutlineSegment } from './lung-outline';

/** A grid from rows of '#' (lung) and '.' (not lung). */
function grid(rows: string[], imageWidth: number, imageHeight: number): LungOutlineGrid {
  const gridWidth = rows[0].length;
  const cells = Uint8Array.from(rows.join('').split(''), (ch) => (ch === '#' ? 1 : 0));
  return {
    gridWidth,
    gridHeight: rows.length,
    cells,
    imageWidth,
    imageHeight,
    segmenterId: 'test',
  };
}

const key = (s: OutlineSegment): string => `${s.x0},${s.y0}-${s.x1},${s.y1}`;
const length = (segments: OutlineSegment[]): number =>
  segments.reduce((sum, s) => sum + Math.hypot(s.x1 - s.x0, s.y1 - s.y0), 0);

describe('lung outline', () => {
  it('outlines one block of cells with four segments, in image pixels', () => {
    // 4x3 grid over a 400x300 image: 100 px cells; lung block at columns 1-2, rows 1-2.
    const segments = lungOutlineSegments(grid(['....', '.##.', '.##.'], 400, 300));
    expect(segments.map(key).sort()).toEqual(
      ['100,100-300,100', '100,300-300,300', '100,100-100,300', '300,100-300,300'].sort(),
    );
  });

  it('scales non-square cells and closes the outline at the grid edge', () => {
    // 2x2 grid over 512x256: cells 256x128. Left column is lung, touching the top, left, bottom.
    const segments = lungOutlineSegments(grid(['#.', '#.'], 512, 256));
    expect(segments.map(key).sort()).toEqual(
      ['0,0-256,0', '0,256-256,256', '0,0-0,256', '256,0-256,256'].sort(),
    );
  });

  it('traces two lungs separately and follows an L-shaped border cell by cell', () => {
    const twoLungs = grid(['#..#', '#..#', '##.#'], 4, 3);
    const segments = lungOutlineSegments(twoLungs);
    // Perimeter of the left L (4 cells) is 10 cell edges, of the right bar (3 cells) 8.
    expect(length(segments)).toBe(18);
    // Every segment lies on a grid line and separates lung from non-lung along its whole length.
    const lung = (c: number, r: number) =>
      c >= 0 && r >= 0 && c < 4 && r < 3 && twoLungs.cells[r * 4 + c] === 1;
    for (const s of segments) {
      if (s.y0 === s.y1) {
        for (let c = s.x0; c < s.x1; c++) expect(lung(c, s.y0 - 1)).not.toBe(lung(c, s.y0));
      } else {
        for (let r = s.y0; r < s.y1; r++) expect(lung(s.x0 - 1, r)).not.toBe(lung(s.x0, r));
      }
    }
    // A hole inside a lung is outlined too (4 more edges).
    expect(length(lungOutlineSegments(grid(['###', '#.#', '###'], 3, 3)))).toBe(16);
  });

  it('draws nothing for an empty grid and refuses a grid of the wrong size', () => {
    const empty = grid(['...', '...'], 30, 20);
    expect(lungOutlineSegments(empty)).toEqual([]);
    expect(hasLungCells(empty)).toBe(false);
    expect(hasLungCells(grid(['.#'], 2, 1))).toBe(true);
    expect(() => lungOutlineSegments({ ...empty, gridWidth: 4 })).toThrow(/expected 4x2/);
  });
});
