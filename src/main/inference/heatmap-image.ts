/**
 * A heatmap blended over the display image, for files (CLI `predict --heatmap`, reports). The
 * grid is sampled bilinearly between cell centres in source pixel coordinates, so the overlay
 * lands exactly on the region the model saw; pixels outside the crop stay plain gray. With the
 * segmenter's lung fields, the tint stays inside the lungs (soft-edged), and it fades out towards
 * the crop's edges so no hard square shows.
 */
import { PNG } from 'pngjs';
import type { HeatmapGrid, LungOutlineGrid } from '../../shared/analysis';
import { cropEdgeWeight, lungWeight, sampleHeatmap } from '../../shared/heatmap-sampling';

export {
  CROP_EDGE_FADE,
  cropEdgeWeight,
  lungWeight,
  sampleHeatmap,
} from '../../shared/heatmap-sampling';

/** Inferno (matplotlib, perceptually uniform), 9 stops; interpolated linearly in between. */
const INFERNO_STOPS: [number, number, number][] = [
  [0, 0, 4],
  [31, 12, 72],
  [85, 15, 109],
  [136, 34, 106],
  [186, 54, 85],
  [227, 89, 51],
  [249, 140, 10],
  [249, 201, 50],
  [252, 255, 164],
];

/** RGB of the colour map at t in 0..1. */
export function inferno(t: number): [number, number, number] {
  const clamped = Math.min(1, Math.max(0, Number.isFinite(t) ? t : 0));
  const position = clamped * (INFERNO_STOPS.length - 1);
  const i = Math.min(INFERNO_STOPS.length - 2, Math.floor(position));
  const f = position - i;
  const a = INFERNO_STOPS[i];
  const b = INFERNO_STOPS[i + 1];
  return [0, 1, 2].map((k) => Math.round(a[k] + (b[k] - a[k]) * f)) as [number, number, number];
}

/** RGBA image: display gray with the colour-mapped heatmap blended in (opacity up to `alpha`). */
export function renderHeatmapOverlay(
  display: Uint8Array,
  width: number,
  height: number,
  grid: HeatmapGrid,
  options: { alpha?: number; lungs?: LungOutlineGrid } = {},
): Uint8Array {
  const alpha = options.alpha ?? 0.6;
  // A lung grid for another image size (or none) cannot mask this one.
  const lungs =
    options.lungs && options.lungs.imageWidth === width && options.lungs.imageHeight === height
      ? options.lungs
      : null;
  const rgba = new Uint8Array(width * height * 4);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const p = y * width + x;
      const gray = display[p];
      const value = sampleHeatmap(grid, x, y);
      const out = p * 4;
      const weight =
        value === null ? 0 : cropEdgeWeight(grid, x, y) * (lungs ? lungWeight(lungs, x, y) : 1);
      if (value === null || weight <= 0) {
        rgba[out] = rgba[out + 1] = rgba[out + 2] = gray;
      } else {
        const [r, g, b] = inferno(value);
        // Opacity grows with the value, so regions with no evidence keep their gray levels.
        const a = alpha * value * weight;
        rgba[out] = Math.round(gray * (1 - a) + r * a);
        rgba[out + 1] = Math.round(gray * (1 - a) + g * a);
        rgba[out + 2] = Math.round(gray * (1 - a) + b * a);
      }
      rgba[out + 3] = 255;
    }
  }
  return rgba;
}

export function encodePng(rgba: Uint8Array, width: number, height: number): Buffer {
  const png = new PNG({ width, height });
  png.data = Buffer.from(rgba.buffer, rgba.byteOffset, rgba.byteLength);
  return PNG.sync.write(png);
}

/** 8-bit gray as a PNG (colour type 0). */
export function encodeGrayPng(gray: Uint8Array, width: number, height: number): Buffer {
  const png = new PNG({ width, height, colorType: 0, inputColorType: 0, inputHasAlpha: false });
  png.data = Buffer.from(gray.buffer, gray.byteOffset, gray.byteLength);
  return PNG.sync.write(png, { colorType: 0, inputColorType: 0, inputHasAlpha: false });
}

/**
 * The heatmap at the source image's own size as a 16-bit binary PGM (maxval 65535, big-endian
 * samples): the positive evidence for the heatmap's class, 0 where there is none or outside the
 * region the model saw.
 */
export function heatmapEvidencePgm(grid: HeatmapGrid): Buffer {
  const { imageWidth: width, imageHeight: height } = grid;
  const header = Buffer.from(`P5\n${width} ${height}\n65535\n`, 'ascii');
  const body = Buffer.alloc(width * height * 2);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const v = sampleHeatmap(grid, x, y) ?? 0;
      body.writeUInt16BE(Math.round(Math.min(1, Math.max(0, v)) * 65535), (y * width + x) * 2);
    }
  }
  return Buffer.concat([header, body]);
}
