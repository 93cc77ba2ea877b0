/**
 * The model's drift reference: what the app's pipeline said of the model's calibration films
 * (training/splits/calib.csv), stored beside the model as `drift-reference.json` by
 * training/drift_reference.ts. One observation per film, no paths or patient data; it is tied to
 * the model's graph by its sha256, so a retrained model needs its own reference.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { DriftObservation } from '../../shared/drift';
import { CodedError } from '../../shared/errors';
import type { DriftReferenceSummary } from './compare';

export const DRIFT_REFERENCE_FILE = 'drift-reference.json';
export const DRIFT_REFERENCE_GENERATOR =
  'npx tsx training/drift_reference.ts --model <model folder> --manifest training/splits/calib.csv';

export interface DriftReferenceFile {
  format: 1;
  modelId: string;
  modelSha256: string;
  createdAt: string;
  /** The command that wrote it. */
  generator: string;
  /** The films it describes (a split file, relative to the repository). */
  source: string;
  labels: string[];
  /** Films listed in the source, and those that could not be read (not in `observations`). */
  films: { listed: number; unreadable: number };
  observations: DriftObservation[];
}

const round = (v: number): number => Math.round(v * 1e5) / 1e5;

/** The file's content (values rounded to 5 decimals: the tests do not need more). */
export function driftReferenceJson(reference: DriftReferenceFile): string {
  const observations = reference.observations.map((o) => ({
    rejected: o.rejected,
    probabilities: o.probabilities?.map(round) ?? null,
    unfamiliar: o.unfamiliar,
    distance: o.distance === null ? null : round(o.distance),
  }));
  return `${JSON.stringify({ ...reference, observations })}\n`;
}

/** The reference stored with the model in `modelDir`; refused when missing or made for another graph. */
export async function readDriftReference(
  modelDir: string,
  model: { id: string; sha256: string },
): Promise<DriftReferenceFile & DriftReferenceSummary> {
  const path = join(modelDir, DRIFT_REFERENCE_FILE);
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch {
    throw new CodedError(
      'MODEL_NOT_FOUND',
      `Model "${model.id}" has no drift reference (${DRIFT_REFERENCE_FILE} in its folder); ` +
        `it is made with: ${DRIFT_REFERENCE_GENERATOR}`,
    );
  }
  const reference = JSON.parse(text) as DriftReferenceFile;
  if (reference.modelSha256 !== model.sha256) {
    throw new CodedError(
      'INVALID_REQUEST',
      `The drift reference in ${modelDir} was made for another graph of "${reference.modelId}"; ` +
        `make it again with: ${DRIFT_REFERENCE_GENERATOR}`,
    );
  }
  return reference;
}
