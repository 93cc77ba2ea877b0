/**
 * Model cards by model id: a card's link to a sibling card (`../lungseg-unet-v1/MODEL_CARD.md`)
 * reaches main as the id alone, which is looked up among the model folders main already knows.
 * The id is never joined onto a path, and the card file named by a manifest must sit in its
 * model folder, so no request can read anything else.
 */
import { readFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { CodedError } from '../../shared/errors';
import { MODEL_ID_PATTERN } from '../../shared/model-id';
import { loadModelManifest, loadSegmenterManifest } from '../platform/inference/manifest';

export interface ModelCard {
  modelId: string;
  name: string;
  markdown: string;
}

/** A model folder's manifest, read as a classifier's, else as a lung segmenter's. */
async function manifestOf(
  dir: string,
): Promise<{ name: string; version: string; modelCard?: string }> {
  try {
    return (await loadModelManifest(dir)).manifest;
  } catch {
    return (await loadSegmenterManifest(dir)).manifest;
  }
}

/** The card of the first folder in `modelFolders` whose name is `modelId`. */
export async function readModelCardById(
  modelId: string,
  modelFolders: readonly string[],
): Promise<ModelCard> {
  if (!MODEL_ID_PATTERN.test(modelId)) {
    throw new CodedError('INVALID_REQUEST', 'A model id is a model folder name');
  }
  const dir = modelFolders.find((folder) => basename(folder) === modelId);
  if (!dir) throw new CodedError('MODEL_NOT_FOUND', `No model folder named ${modelId}`);
  const manifest = await manifestOf(dir);
  const card = manifest.modelCard;
  if (!card || basename(card) !== card) {
    throw new CodedError('FILE_NOT_FOUND', `Model ${modelId} has no model card`);
  }
  let markdown: string;
  try {
    markdown = await readFile(join(dir, card), 'utf8');
  } catch (cause) {
    throw new CodedError('FILE_NOT_FOUND', `Model ${modelId} names a card it does not have`, {
      cause,
    });
  }
  return { modelId, name: `${manifest.name} ${manifest.version}`, markdown };
}
