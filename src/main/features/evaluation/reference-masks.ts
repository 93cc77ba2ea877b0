/**
 * Reference lung masks for `evaluate --lung-masks <csv>`: a CSV with `image` and `mask` columns
 * (as ../shared/data/lungs/manifest.csv), masks relative to the CSV, matched to evaluation images
 * by file name. 255 (any value > 127) = lung.
 */
import { readFile } from 'node:fs/promises';
import { basename, dirname, resolve } from 'node:path';
import { parse } from 'csv-parse/sync';
import { PNG } from 'pngjs';
import { CodedError } from '../../../shared/errors';

export interface ReferenceLungMask {
  path: string;
  /** The mask at width x height (nearest-neighbour when its size differs), 1 = lung. */
  load(width: number, height: number): Promise<Uint8Array>;
}

export async function readReferenceLungMasks(
  csvPath: string,
): Promise<Map<string, ReferenceLungMask>> {
  const rows = parse(await readFile(csvPath, 'utf8'), {
    columns: true,
    skip_empty_lines: true,
  }) as Record<string, string>[];
  const base = dirname(resolve(csvPath));
  const out = new Map<string, ReferenceLungMask>();
  rows.forEach((row, i) => {
    if (!row.image || !row.mask) {
      throw new CodedError(
        'INVALID_REQUEST',
        `${csvPath} row ${i + 2}: needs "image" and "mask" columns`,
      );
    }
    const path = resolve(base, row.mask);
    out.set(basename(row.image), {
      path,
      async load(width, height) {
        const png = PNG.sync.read(await readFile(path));
        const mask = new Uint8Array(width * height);
        for (let y = 0; y < height; y++) {
          const sy = Math.min(png.height - 1, Math.floor(((y + 0.5) * png.height) / height));
          for (let x = 0; x < width; x++) {
            const sx = Math.min(png.width - 1, Math.floor(((x + 0.5) * png.width) / width));
            mask[y * width + x] = png.data[(sy * png.width + sx) * 4] > 127 ? 1 : 0;
          }
        }
        return mask;
      },
    });
  });
  return out;
}
