/**
 * What the drift monitor records of each film, from the app's own pipeline: the chest gate's
 * decision, the calibrated probabilities, the verdict's unfamiliar flag and the feature distance.
 * The same record comes from a film scored now (`covidnet drift`, the reference generator) or
 * from a screening row already stored (the app's drift view over recent screening and receiver
 * films), so both sides of a comparison are measured the same way.
 */
import type { DriftObservation } from '../../shared/drift';
import type { ScreeningRow } from '../../shared/screening';
import { toErrorInfo } from '../../shared/errors';
import { decodeForModel } from '../decode-pool';
import type { FilmAnalysis } from '../../shared/analysis';
import type { InferenceEngine } from '../inference';
import { chestHeaderOf } from '../inference/lungs/gate';
import { ScreeningSources } from '../screening';

export function observationOfOutcome(outcome: FilmAnalysis): DriftObservation {
  if (outcome.status === 'rejected') {
    return { rejected: true, probabilities: null, unfamiliar: null, distance: null };
  }
  return {
    rejected: false,
    probabilities: outcome.probabilities,
    unfamiliar: outcome.verdict.kind === 'unfamiliar',
    distance: outcome.verdict.familiarity.distance,
  };
}

/** A stored screening row as an observation; null for rows that could not be read. */
export function observationOfRow(row: ScreeningRow): DriftObservation | null {
  if (row.status === 'rejected') {
    return { rejected: true, probabilities: null, unfamiliar: null, distance: null };
  }
  if (row.status !== 'ok' || row.probabilities === null) return null;
  return {
    rejected: false,
    probabilities: row.probabilities,
    unfamiliar: row.verdict ? row.verdict.kind === 'unfamiliar' : null,
    distance: row.verdict?.familiarity.distance ?? null,
  };
}

/** Decodes one file and runs the whole pipeline (gate, segmenter, crop, classifier, calibration). */
async function observeFile(engine: InferenceEngine, path: string): Promise<DriftObservation> {
  const image = await decodeForModel(path);
  const outcome = await engine.analyse(
    {
      gray: { data: image.gray, width: image.width, height: image.height },
      header: chestHeaderOf(image),
    },
    { heatmaps: false },
  );
  return observationOfOutcome(outcome);
}

export interface ObservedFilms {
  observations: DriftObservation[];
  /** Paths that could not be read or decoded, with why. */
  unreadable: { path: string; reason: string }[];
}

/** Every film in the given files (an explicit list, e.g. the reference split). */
export async function observeFiles(
  engine: InferenceEngine,
  paths: readonly string[],
  onProgress?: (done: number, total: number) => void,
): Promise<ObservedFilms> {
  const result: ObservedFilms = { observations: [], unreadable: [] };
  for (const [i, path] of paths.entries()) {
    try {
      result.observations.push(await observeFile(engine, path));
    } catch (error) {
      result.unreadable.push({ path, reason: toErrorInfo(error).message });
    }
    onProgress?.(i + 1, paths.length);
  }
  return result;
}

/** Every film the screening walk finds in the folders (DICOMDIRs followed). */
export async function observeFolders(
  engine: InferenceEngine,
  folders: readonly string[],
  onProgress?: (done: number, total: number) => void,
): Promise<ObservedFilms> {
  const sources = new ScreeningSources([...folders]);
  await sources.count();
  const paths: string[] = [];
  const unreadable: ObservedFilms['unreadable'] = [];
  for await (const item of sources.items()) {
    if (item.kind === 'error') unreadable.push({ path: item.path, reason: item.error.message });
    else paths.push(item.path);
  }
  const observed = await observeFiles(engine, paths, onProgress);
  return {
    observations: observed.observations,
    unreadable: [...unreadable, ...observed.unreadable],
  };
}
