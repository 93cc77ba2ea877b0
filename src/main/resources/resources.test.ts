/**
 * The resource resolver in the repository and in a packaged layout made in a temp folder. The
 * packaged app itself (the resolver bundled inside app.asar) is checked by `npm run package:check`.
 */
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { defaultModelDir } from '../inference';
import {
  bundledModelsDir,
  listModelFolders,
  locateResources,
  modelRoots,
  samplesDir,
} from './index';

const repoResources = resolve(__dirname, '../../../resources');
const scratch = mkdtempSync(join(tmpdir(), 'resources-resolver-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

function modelFolder(root: string, name: string): string {
  const dir = join(root, name);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'model.json'), '{}');
  return dir;
}

describe('in the repository', () => {
  it('finds resources/ from sources, also when started elsewhere', () => {
    expect(locateResources()).toEqual({ dir: repoResources, layout: 'repository' });
    expect(locateResources({ searchFrom: [tmpdir(), __dirname] })?.dir).toBe(repoResources);
    expect(samplesDir()).toBe(join(repoResources, 'samples'));
  });

  it('lists every bundled model folder that holds a manifest; the default is the newest classifier', () => {
    const bundled = join(repoResources, 'models');
    const withManifest = readdirSync(bundled, { withFileTypes: true })
      .filter((e) => e.isDirectory() && readdirSync(join(bundled, e.name)).includes('model.json'))
      .map((e) => join(bundled, e.name))
      .sort();
    expect(withManifest.length).toBeGreaterThan(0);
    expect(listModelFolders()).toEqual(withManifest);
    // Segmenters are never the default; of the classifiers the newest (provenance.createdAt) is.
    expect(defaultModelDir()).toBe(join(bundled, 'covidnet-cxr-lungs-v4'));
  });

  it("ignores Electron's own resources folder in a dev run (the code is not inside it)", () => {
    const process_ = process as NodeJS.Process & { resourcesPath?: string };
    const saved = process_.resourcesPath;
    process_.resourcesPath = join(scratch, 'node_modules/electron/dist/resources');
    try {
      expect(locateResources()).toEqual({ dir: repoResources, layout: 'repository' });
    } finally {
      process_.resourcesPath = saved;
    }
  });
});

describe('in a packaged layout', () => {
  const resourcesPath = join(scratch, 'app', 'resources');
  const models = join(resourcesPath, 'models');
  const classifier = modelFolder(models, 'b-classifier');
  const segmenter = modelFolder(models, 'a-lung-segmenter');
  mkdirSync(join(models, 'notes-without-manifest'), { recursive: true });
  const userModels = join(scratch, 'user-data', 'models');
  const userModel = modelFolder(userModels, 'z-own-model');

  it('uses the given resources folder and lists every model folder in it', () => {
    expect(locateResources({ resourcesPath })).toEqual({ dir: resourcesPath, layout: 'packaged' });
    expect(bundledModelsDir({ resourcesPath })).toBe(models);
    expect(samplesDir({ resourcesPath })).toBe(join(resourcesPath, 'samples'));
    expect(listModelFolders({ resourcesPath })).toEqual([segmenter, classifier]);
  });

  it("puts the user's own models first, so a model placed there is the one used", () => {
    expect(modelRoots({ resourcesPath, userModelsDir: userModels })).toEqual([userModels, models]);
    expect(listModelFolders({ resourcesPath, userModelsDir: userModels })).toEqual([
      userModel,
      segmenter,
      classifier,
    ]);
    expect(defaultModelDir({ resourcesPath, userModelsDir: userModels })).toBe(userModel);
    // A user models folder that does not exist yet is skipped.
    expect(defaultModelDir({ resourcesPath, userModelsDir: join(scratch, 'none') })).toBe(
      segmenter,
    );
  });

  it('says where it looked when there is no model', () => {
    const empty = join(scratch, 'empty', 'resources');
    expect(() => defaultModelDir({ resourcesPath: empty })).toThrow(
      expect.objectContaining({ code: 'MODEL_NOT_FOUND', message: expect.stringContaining(empty) }),
    );
  });
});

describe('outside any repository or app', () => {
  it('finds nothing and says so with a coded error', () => {
    const nowhere = join(scratch, 'nowhere');
    mkdirSync(nowhere);
    expect(locateResources({ searchFrom: [nowhere] })).toBeNull();
    expect(() => samplesDir({ searchFrom: [nowhere] })).toThrow(
      expect.objectContaining({ code: 'FILE_NOT_FOUND' }),
    );
  });
});
