/** Shared by the inference, screening and evaluation tests (not shipped code paths). */
import { resolve } from 'node:path';
import type { FilmAnalysis, ScoredFilm } from '../../shared/analysis';
import { defaultModelDir } from './engine';

export const REPO_ROOT = resolve(__dirname, '../../..');
/** The shared data set, used in place (never written). */
export const SHARED_DATA = resolve(REPO_ROOT, '../shared/data');
export const CXR_IMAGES = resolve(SHARED_DATA, 'cxr/images');
export const DICOM_DIR = resolve(SHARED_DATA, 'dicom');

/** The bundled model; COVIDNET_TEST_MODEL_DIR overrides it (e.g. an untrained export). */
export function testModelDir(): string {
  return process.env.COVIDNET_TEST_MODEL_DIR ?? defaultModelDir();
}

/** Python with torch (Debian's); pyenv shims earlier on PATH lack it. */
export const PYTHON = process.env.COVIDNET_PYTHON ?? '/usr/bin/python3';

/** The bundled lung segmenter's model folder. */
export const SEGMENTER_DIR = resolve(REPO_ROOT, 'resources/models/lungseg-unet-v1');

/** The first bundled classifier (whole-film crop, no segmenter): kept loadable, tested as such. */
export const V1_MODEL_DIR = resolve(REPO_ROOT, 'resources/models/covidnet-cxr-compact-v1');

/** The result of a pipeline run that the test expects to be scored (fails with the gate's reason). */
export function scored(result: FilmAnalysis): ScoredFilm {
  if (result.status !== 'scored') throw new Error(`not scored: ${result.gate.reason}`);
  return result;
}
