import { describe, expect, it } from 'vitest';
import type { ModelInputSpec } from '../../../shared/model-manifest';
import {
  cropRect,
  gridRegistration,
  preprocessGray,
  resizeArea,
  resizeBilinear,
  type GrayImage,
} from './preprocess';

function ramp(width: number, height: number): GrayImage {
  const data = new Float32Array(width * height);
  for (let y = 0; y < height; y++)
    for (let x = 0; x < width; x++) data[y * width + x] = (x * 7 + y * 13) % 256;
  return { data, width, height };
}

const TOP_CROP = { kind: 'top-fraction-then-center-square', topFraction: 0.08 } as const;
const spec: ModelInputSpec = {
  name: 'image',
  layout: 'NCHW',
  height: 4,
  width: 4,
  channels: 1,
  crop: TOP_CROP,
  resize: 'area',
  normalization: { scale: 1 / 255, mean: [0.5], std: [0.25] },
};

describe('cropRect', () => {
  it('follows training/preprocess.py crop_box integer arithmetic', () => {
    // H=1000: top=80, h2=920, side=min(920, 700)=700, y0=80+110=190, x0=0
    expect(
      cropRect(700, 1000, { kind: 'top-fraction-then-center-square', topFraction: 0.08 }),
    ).toEqual({
      x: 0,
      y: 190,
      width: 700,
      height: 700,
    });
    // Landscape: H=501 -> top=40, h2=461, side=461, x0=(900-461)//2=219
    expect(
      cropRect(900, 501, { kind: 'top-fraction-then-center-square', topFraction: 0.08 }),
    ).toEqual({
      x: 219,
      y: 40,
      width: 461,
      height: 461,
    });
    expect(cropRect(5, 8, { kind: 'center-square' })).toEqual({ x: 0, y: 1, width: 5, height: 5 });
    expect(cropRect(5, 8, { kind: 'none' })).toEqual({ x: 0, y: 0, width: 5, height: 8 });
  });
});

describe('resize', () => {
  it('area: an integer factor is the block mean; same size is the identity', () => {
    const image = ramp(8, 8);
    const rect = { x: 0, y: 0, width: 8, height: 8 };
    const out = resizeArea(image, rect, 4, 4);
    const d = image.data;
    expect(out[0]).toBeCloseTo((d[0] + d[1] + d[8] + d[9]) / 4, 5);
    expect(Array.from(resizeArea(image, rect, 8, 8))).toEqual(Array.from(d));
  });
  it('area: non-integer factor uses overlapping adaptive bins', () => {
    // 1 row of 3 -> 2: bins [0,2) and [1,3)
    const image: GrayImage = { data: Float32Array.from([0, 3, 9]), width: 3, height: 1 };
    expect(Array.from(resizeArea(image, { x: 0, y: 0, width: 3, height: 1 }, 2, 1))).toEqual([
      1.5, 6,
    ]);
  });
  it('bilinear: half-pixel centres, clamped at the border', () => {
    // 4 -> 2 (scale 2): src = 2*(o+0.5)-0.5 = 0.5, 2.5
    const image: GrayImage = { data: Float32Array.from([0, 10, 20, 30]), width: 4, height: 1 };
    expect(Array.from(resizeBilinear(image, { x: 0, y: 0, width: 4, height: 1 }, 2, 1))).toEqual([
      5, 25,
    ]);
    // 2 -> 4 (scale 0.5): src = -0.25 -> 0, 0.25, 0.75, 1.25 -> clamp index 1
    const up: GrayImage = { data: Float32Array.from([0, 10]), width: 2, height: 1 };
    expect(Array.from(resizeBilinear(up, { x: 0, y: 0, width: 2, height: 1 }, 4, 1))).toEqual([
      0, 2.5, 7.5, 10,
    ]);
  });
});

describe('preprocessGray', () => {
  it('normalises and lays out NCHW / NHWC with 1 or 3 channels', () => {
    const image: GrayImage = { data: new Float32Array(16).fill(191.25), width: 4, height: 4 };
    const flat = { ...spec, crop: { kind: 'none' as const } };
    const one = preprocessGray(image, flat);
    expect(one.dims).toEqual([1, 1, 4, 4]);
    expect(one.data[0]).toBeCloseTo((191.25 / 255 - 0.5) / 0.25, 6);
    const rgb = preprocessGray(image, {
      ...flat,
      layout: 'NHWC',
      channels: 3,
      normalization: { scale: 1 / 255, mean: [0.5, 0.4, 0.3], std: [0.25, 0.5, 1] },
    });
    expect(rgb.dims).toEqual([1, 4, 4, 3]);
    expect(rgb.data[1]).toBeCloseTo((0.75 - 0.4) / 0.5, 6);
    expect(rgb.data[4]).toBeCloseTo((0.75 - 0.4) / 0.5, 6);
    expect(rgb.data[2]).toBeCloseTo(0.75 - 0.3, 6);
  });
  it('reports the crop it used, in source pixels', () => {
    // H=25: top=floor(2.0)=2, h2=23, side=10, y0=2+(13//2)=8
    expect(preprocessGray(ramp(10, 25), spec).crop).toEqual({ x: 0, y: 8, width: 10, height: 10 });
  });
});

describe('gridRegistration', () => {
  it('maps grid cells onto the crop rectangle of a non-square image', () => {
    // 600x1000 portrait: crop y0 = 80 + (920-600)/2 = 240, side 600; 7x7 grid -> cells of 600/7 px.
    const crop = cropRect(600, 1000, TOP_CROP);
    const grid = gridRegistration(crop, 7, 7);
    expect(grid).toEqual({ originX: 0, originY: 240, cellWidth: 600 / 7, cellHeight: 600 / 7 });
    // The last cell ends exactly at the crop's far corner.
    expect(grid.originX + 7 * grid.cellWidth).toBeCloseTo(crop.x + crop.width, 9);
    expect(grid.originY + 7 * grid.cellHeight).toBeCloseTo(crop.y + crop.height, 9);
  });
});
