/**
 * Global setup of `npm run package:check`: lays the app out once (electron-builder --dir with a
 * stand-in Electron, into a temp folder) from the electron-vite build in out/, for every check.
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';
import { REPO_ROOT, makeStandInElectronDist, runElectronBuilderDir } from './electron-builder-run';

export interface PackagedAppLayout {
  /** Scratch folder of this run (removed afterwards). */
  workDir: string;
  /** The stand-in Electron distribution the layout was made from. */
  electronDist: string;
  /** The laid-out app (what an installer installs): executable, resources/. */
  appDir: string;
  /** `<appDir>/resources`, Electron's process.resourcesPath in the installed app. */
  resourcesDir: string;
}

declare module 'vitest' {
  export interface ProvidedContext {
    packagedApp: PackagedAppLayout;
  }
}

export default function setup(project: TestProject): () => void {
  if (!existsSync(join(REPO_ROOT, 'out/main/index.js'))) {
    throw new Error(
      'No electron-vite build in out/: run `npm run package:check` (it builds first)',
    );
  }
  const workDir = mkdtempSync(join(tmpdir(), 'package-check-'));
  const electronDist = makeStandInElectronDist(join(workDir, 'electron-dist'));
  const outputDir = join(workDir, 'dist');
  const run = runElectronBuilderDir(electronDist, outputDir);
  if (run.status !== 0) {
    rmSync(workDir, { recursive: true, force: true });
    throw new Error(`electron-builder --dir failed (exit ${run.status}):\n${run.output}`);
  }
  const appDir = join(outputDir, 'linux-unpacked');
  project.provide('packagedApp', {
    workDir,
    electronDist,
    appDir,
    resourcesDir: join(appDir, 'resources'),
  });
  return () => rmSync(workDir, { recursive: true, force: true });
}
