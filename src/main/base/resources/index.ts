/**
 * The one resolver for the app's bundled resources (model folders and sample images), used by the
 * Electron bootstrap, the CLI, tests, benches and the packaging check.
 *
 * - Packaged app: electron-builder's `extraResources` put `models/` and `samples/` directly in
 *   Electron's `process.resourcesPath` (beside `app.asar`). The app counts as packaged when this
 *   code itself runs from inside that folder (`<resourcesPath>/app.asar/out/main`).
 * - Everywhere else (tsx sources, vitest, `electron-vite build` output, dev Electron, whose
 *   `resourcesPath` is Electron's own folder): the repository's `resources/` folder, found upward
 *   from this module and then from the working directory.
 *
 * A model folder is any sub-folder of `models/` that holds a manifest (`model.json`); none is known
 * by name, so a second bundled model or a user's own folder is found the same way.
 */
import { existsSync, readdirSync } from 'node:fs';
import { dirname, isAbsolute, join, relative, resolve } from 'node:path';
import { CodedError } from '../../../shared/errors';
import { MANIFEST_FILE_NAME } from '../../../shared/model-manifest';

export const MODELS_FOLDER = 'models';
export const SAMPLES_FOLDER = 'samples';

export interface ResourceLookup {
  /**
   * A packaged app's resources folder to use as is (the packaging check points this at a laid-out
   * app). Default: Electron's `process.resourcesPath`, when this code runs from inside it.
   */
  resourcesPath?: string;
  /** Where to start looking upward for the repository; default this module's folder, the cwd. */
  searchFrom?: string[];
}

export interface ResourceLocation {
  /** The folder holding `models/` and `samples/`. */
  dir: string;
  layout: 'packaged' | 'repository';
}

/** Walks up from `start` to the repository (or unpacked app) root: package.json + resources/. */
export function findRepoRoot(start: string): string | null {
  let dir = resolve(start);
  for (;;) {
    if (existsSync(join(dir, 'package.json')) && existsSync(join(dir, 'resources'))) return dir;
    const parent = dirname(dir);
    if (parent === dir) return null;
    dir = parent;
  }
}

function isInside(child: string, parent: string): boolean {
  const rel = relative(resolve(parent), resolve(child));
  return rel !== '' && !rel.startsWith('..') && !isAbsolute(rel);
}

/** Electron's resources folder when this code is part of a packaged app, else undefined. */
function packagedResourcesPath(): string | undefined {
  const resourcesPath = (process as NodeJS.Process & { resourcesPath?: string }).resourcesPath;
  return resourcesPath && isInside(__dirname, resourcesPath) ? resourcesPath : undefined;
}

export function locateResources(lookup: ResourceLookup = {}): ResourceLocation | null {
  const packaged = lookup.resourcesPath ?? packagedResourcesPath();
  if (packaged !== undefined) return { dir: resolve(packaged), layout: 'packaged' };
  for (const start of lookup.searchFrom ?? [__dirname, process.cwd()]) {
    const root = findRepoRoot(start);
    if (root) return { dir: join(root, 'resources'), layout: 'repository' };
  }
  return null;
}

function requireResources(lookup: ResourceLookup): ResourceLocation {
  const location = locateResources(lookup);
  if (location) return location;
  throw new CodedError(
    'FILE_NOT_FOUND',
    `No resources folder: not a packaged app, and no repository above ${__dirname} or ${process.cwd()}`,
  );
}

/** The bundled models folder (it may not exist, e.g. in a checkout without a trained model). */
export function bundledModelsDir(lookup: ResourceLookup = {}): string {
  return join(requireResources(lookup).dir, MODELS_FOLDER);
}

/** The bundled sample images folder. */
export function samplesDir(lookup: ResourceLookup = {}): string {
  return join(requireResources(lookup).dir, SAMPLES_FOLDER);
}

/** Every model folder (a sub-folder holding model.json) directly under `root`, by name. */
export function modelFoldersIn(root: string): string[] {
  if (!existsSync(root)) return [];
  return readdirSync(root, { withFileTypes: true })
    .filter(
      (entry) => entry.isDirectory() && existsSync(join(root, entry.name, MANIFEST_FILE_NAME)),
    )
    .map((entry) => entry.name)
    .sort()
    .map((name) => join(root, name));
}

export interface ModelLookup extends ResourceLookup {
  /**
   * A folder of the user's own model folders (the app passes `<userData>/models`); searched
   * before the bundled models, so a model placed there is the one the app uses.
   */
  userModelsDir?: string;
}

/** The folders searched for models, in order: the user's own, then the bundled ones. */
export function modelRoots(lookup: ModelLookup = {}): string[] {
  const roots = lookup.userModelsDir ? [resolve(lookup.userModelsDir)] : [];
  const location = locateResources(lookup);
  if (location) roots.push(join(location.dir, MODELS_FOLDER));
  return roots;
}

/** Every model folder the app can find: the user's first, then the bundled ones, each by name. */
export function listModelFolders(lookup: ModelLookup = {}): string[] {
  return modelRoots(lookup).flatMap(modelFoldersIn);
}
