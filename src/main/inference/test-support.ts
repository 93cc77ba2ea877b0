/** Shared by the inference, screening and evaluation tests (not shipped code paths). */
import { resolve } from 'node:path';
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
