/** The outline of the segmenter's lung cells as line segments in source-image pixels (DOM-free). */
import type { LungOutlineGrid } from './analysis';

/** One straight piece of the outline, from (x0, y0) to (x1, y1), in source-image pixels. */
export interface OutlineSegment {
  x0: number;
  y0: number;
  x1: number;
  y1: number;
}

/**
 * Traces every cell edge that separates a lung cell from a non-lung cell (or from outside the
 * grid), and joins neighbouring edges on the same grid line into one segment, so a straight run
 * of the border is one line. Cell (c, r) covers x in [c, c+1) * imageWidth/gridWidth, y likewise.
 */
export function lungOutlineSegments(grid: LungOutlineGrid): OutlineSegment[] {
  const { gridWidth: width, gridHeight: height, cells } = grid;
  if (cells.length !== width * height) {
    throw new Error(`lung grid has ${cells.length} cells, expected ${width}x${height}`);
  }
  const lung = (c: number, r: number): boolean =>
    c >= 0 && r >= 0 && c < width && r < height && cells[r * width + c] === 1;
  const sx = grid.imageWidth / width;
  const sy = grid.imageHeight / height;
  const segments: OutlineSegment[] = [];

  // Horizontal edges: grid line y = r lies between rows r-1 and r.
  for (let r = 0; r <= height; r++) {
    let runStart = -1;
    for (let c = 0; c <= width; c++) {
      const edge = c < width && lung(c, r - 1) !== lung(c, r);
      if (edge && runStart < 0) runStart = c;
      if (!edge && runStart >= 0) {
        segments.push({ x0: runStart * sx, y0: r * sy, x1: c * sx, y1: r * sy });
        runStart = -1;
      }
    }
  }
  // Vertical edges: grid line x = c lies between columns c-1 and c.
  for (let c = 0; c <= width; c++) {
    let runStart = -1;
    for (let r = 0; r <= height; r++) {
      const edge = r < height && lung(c - 1, r) !== lung(c, r);
      if (edge && runStart < 0) runStart = r;
      if (!edge && runStart >= 0) {
        segments.push({ x0: c * sx, y0: runStart * sy, x1: c * sx, y1: r * sy });
        runStart = -1;
      }
    }
  }
  return segments;
}

/** Whether a grid has any lung cell (an empty one draws nothing). */
export function hasLungCells(grid: LungOutlineGrid): boolean {
  return grid.cells.some((cell) => cell === 1);
}
