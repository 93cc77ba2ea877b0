/**
 * Draws the app icon (build/icon.png, 512x512, committed): two lungs and a trachea on a dark
 * rounded square. electron-builder makes the .ico and .icns from it.
 *   npx tsx scripts/packaging/make-icon.ts [out.png]
 */
import { writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { PNG } from 'pngjs';

const SIZE = 512;
const SUPERSAMPLE = 4;
type Rgba = [number, number, number, number];
const BACKGROUND: Rgba = [18, 48, 58, 255];
const LUNG: Rgba = [214, 228, 234, 255];
const AIRWAY: Rgba = [120, 200, 210, 255];

/** Inside a square of side 1 (coordinates 0..1) with corners of radius r. */
function inRoundedSquare(x: number, y: number, r: number): boolean {
  const dx = Math.max(r - x, 0, x - (1 - r));
  const dy = Math.max(r - y, 0, y - (1 - r));
  return dx * dx + dy * dy <= r * r;
}

function inEllipse(x: number, y: number, cx: number, cy: number, rx: number, ry: number): boolean {
  return ((x - cx) / rx) ** 2 + ((y - cy) / ry) ** 2 <= 1;
}

/** One lung: a tall ellipse, its inner lower edge cut by the heart's circle. */
function inLung(x: number, y: number, side: -1 | 1): boolean {
  const cx = 0.5 + side * 0.19;
  if (!inEllipse(x, y, cx, 0.56, 0.15, 0.27)) return false;
  if (inEllipse(x, y, 0.5 + side * 0.04, 0.7, 0.11, 0.13)) return false;
  return Math.abs(x - 0.5) > 0.045;
}

/** Trachea down the middle, splitting into the two main bronchi. */
function inAirway(x: number, y: number): boolean {
  const half = 0.018;
  if (y >= 0.17 && y <= 0.42 && Math.abs(x - 0.5) <= half) return true;
  if (y > 0.42 && y <= 0.52) {
    const offset = (y - 0.42) * 0.9;
    return Math.abs(Math.abs(x - 0.5) - offset) <= half;
  }
  return false;
}

function colourAt(x: number, y: number): Rgba {
  if (!inRoundedSquare(x, y, 0.18)) return [0, 0, 0, 0];
  if (inAirway(x, y)) return AIRWAY;
  if (inLung(x, y, -1) || inLung(x, y, 1)) return LUNG;
  return BACKGROUND;
}

export function drawIcon(): PNG {
  const png = new PNG({ width: SIZE, height: SIZE });
  const samples = SUPERSAMPLE * SUPERSAMPLE;
  for (let py = 0; py < SIZE; py++) {
    for (let px = 0; px < SIZE; px++) {
      const sum = [0, 0, 0, 0];
      for (let sy = 0; sy < SUPERSAMPLE; sy++) {
        for (let sx = 0; sx < SUPERSAMPLE; sx++) {
          const colour = colourAt(
            (px + (sx + 0.5) / SUPERSAMPLE) / SIZE,
            (py + (sy + 0.5) / SUPERSAMPLE) / SIZE,
          );
          // Premultiplied, so transparent samples do not darken the edges.
          for (let c = 0; c < 3; c++) sum[c] += (colour[c] * colour[3]) / 255;
          sum[3] += colour[3];
        }
      }
      const offset = (py * SIZE + px) * 4;
      const alpha = sum[3] / samples;
      for (let c = 0; c < 3; c++) {
        png.data[offset + c] = alpha > 0 ? Math.round((sum[c] / samples / alpha) * 255) : 0;
      }
      png.data[offset + 3] = Math.round(alpha);
    }
  }
  return png;
}

if (require.main === module) {
  const out = resolve(process.argv[2] ?? resolve(__dirname, '../../build/icon.png'));
  writeFileSync(out, PNG.sync.write(drawIcon()));
  console.log(`wrote ${out}`);
}
