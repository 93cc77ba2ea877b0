/**
 * Films "like the reference films" for the drift tests: held-out films (training/splits/val_v3.csv,
 * never trained or calibrated on) drawn from each source in the share that source has in the
 * reference split (training/splits/calib.csv) -- a clinic whose mix of sources matches. Every
 * k-th film of a source, so the draw is the same on every run.
 */
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parse } from 'csv-parse/sync';
import { REPO_ROOT } from '../../../platform/inference/testing/test-support';

function rowsOf(split: string): Record<string, string>[] {
  return parse(readFileSync(join(REPO_ROOT, 'training/splits', split), 'utf8'), {
    columns: true,
  }) as Record<string, string>[];
}

/** About `count` film paths (absolute), sources in the reference split's proportions. */
export function filmsLikeReference(count: number): string[] {
  const reference = rowsOf('calib.csv');
  const held = rowsOf('val_v3.csv');
  const sources = [...new Set(reference.map((r) => r.source))].sort();
  const films: string[] = [];
  for (const source of sources) {
    const share = reference.filter((r) => r.source === source).length / reference.length;
    const ofSource = held.filter((r) => r.source === source);
    const wanted = Math.min(ofSource.length, Math.round(share * count));
    if (wanted === 0) continue;
    const step = ofSource.length / wanted;
    for (let i = 0; i < wanted; i++) {
      films.push(resolve(REPO_ROOT, 'training/splits', ofSource[Math.floor(i * step)].file));
    }
  }
  return films;
}
