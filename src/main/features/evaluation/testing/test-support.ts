/** Shared by the evaluation tests: small manifests over the shared chest X-rays (read in place). */
import { readFile, writeFile } from 'node:fs/promises';
import { join, relative, resolve } from 'node:path';
import { parse } from 'csv-parse/sync';
import { stringify } from 'csv-stringify/sync';
import { SHARED_DATA } from '../../../platform/inference/testing/test-support';

export const CLASSES = ['normal', 'pneumonia', 'COVID-19'];

/**
 * Writes `<folder>/manifest.csv` with the rows `choose` picks from the shared manifest (all its
 * columns, image paths relative to the new manifest's folder) and returns the chosen rows as they
 * are in the shared manifest.
 */
export async function writeSubsetManifest(
  folder: string,
  choose: (all: Record<string, string>[]) => Record<string, string>[],
): Promise<Record<string, string>[]> {
  const all = parse(await readFile(join(SHARED_DATA, 'cxr/manifest.csv'), 'utf8'), {
    columns: true,
  }) as Record<string, string>[];
  const chosen = choose(all);
  const rows = chosen.map((r) => ({
    ...r,
    file: relative(folder, resolve(SHARED_DATA, 'cxr', r.file)),
  }));
  await writeFile(
    join(folder, 'manifest.csv'),
    stringify(rows, { header: true, columns: Object.keys(all[0]) }),
  );
  return chosen;
}
