/**
 * The two degradation probes v4 never trains on (posterisation, unsharp sharpening), on real films:
 * they change the film the way their names say and keep its size and anatomy.
 */
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openImage, toModelGray } from '../../imaging';
import { SHARED_DATA } from '../../inference/test-support';
import type { GrayImage } from '../../inference/preprocess';
import { applyFramingTransform, FRAMING_TRANSFORMS } from './framing';

const FILMS = ['images/nih-nofinding_00001280_004_png.jpg', 'images/hannover-00870a9c_png.jpg'];

async function film(file: string): Promise<GrayImage> {
  const image = await openImage(resolve(SHARED_DATA, 'cxr', file));
  const frame = await image.decodeFrame(0);
  return { data: toModelGray(frame, image.metadata), width: frame.columns, height: frame.rows };
}

/** Mean absolute horizontal difference: edge energy. */
function edgeEnergy(image: GrayImage): number {
  let sum = 0;
  for (let y = 0; y < image.height; y++) {
    for (let x = 1; x < image.width; x++) {
      sum += Math.abs(image.data[y * image.width + x] - image.data[y * image.width + x - 1]);
    }
  }
  return sum / (image.height * (image.width - 1));
}

function mean(image: GrayImage): number {
  return image.data.reduce((a, b) => a + b, 0) / image.data.length;
}

describe('degradation probes v4 never trains on', () => {
  it('are part of evaluate --probe', () => {
    expect(FRAMING_TRANSFORMS).toContain('posterize_4bit');
    expect(FRAMING_TRANSFORMS).toContain('unsharp_sharpen');
  });

  it.each(FILMS)(
    'posterisation leaves 16 grey levels, each within half a level (%s)',
    async (file) => {
      const gray = await film(file);
      const out = applyFramingTransform(gray, 'posterize_4bit');
      expect([out.width, out.height]).toEqual([gray.width, gray.height]);
      const levels = new Set(out.data);
      expect(levels.size).toBeLessThanOrEqual(16);
      expect(levels.size).toBeGreaterThan(8); // a real film spans most of the range
      for (let i = 0; i < gray.data.length; i += 97) {
        expect(Math.abs(out.data[i] - Math.round(gray.data[i]))).toBeLessThanOrEqual(8);
      }
    },
  );

  it.each(FILMS)('unsharp sharpening raises edge energy and keeps the mean (%s)', async (file) => {
    const gray = await film(file);
    const out = applyFramingTransform(gray, 'unsharp_sharpen');
    expect([out.width, out.height]).toEqual([gray.width, gray.height]);
    expect(edgeEnergy(out)).toBeGreaterThan(1.3 * edgeEnergy(gray));
    expect(Math.abs(mean(out) - mean(gray))).toBeLessThan(2);
    const flat = { data: new Float32Array(64 * 64).fill(100), width: 64, height: 64 };
    expect(
      Array.from(applyFramingTransform(flat, 'unsharp_sharpen').data).every((v) => v === 100),
    ).toBe(true);
  });
});
