/**
 * Runs electron-builder offline the way `npm run package:check` needs it: `--linux --dir` with a
 * stand-in Electron distribution (no Electron binary can be downloaded here). electron-builder
 * copies that folder, renames its executable, writes app.asar and app.asar.unpacked, copies the
 * extraResources, and schema-checks the whole electron-builder.yml (every platform's section).
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

export const REPO_ROOT = resolve(__dirname, '../..');
const ELECTRON_BUILDER_CLI = join(REPO_ROOT, 'node_modules/electron-builder/cli.js');

/** The Electron version electron-builder would package (the installed devDependency). */
export function electronVersion(): string {
  const manifest = JSON.parse(
    readFileSync(join(REPO_ROOT, 'node_modules/electron/package.json'), 'utf8'),
  ) as { version: string };
  return manifest.version;
}

/**
 * A folder shaped like an unpacked Linux Electron zip: an `electron` executable (a shell script
 * that refuses to run, so nothing can mistake it for Electron), `version` and `resources/`.
 */
export function makeStandInElectronDist(dir: string): string {
  mkdirSync(join(dir, 'resources'), { recursive: true });
  const executable = join(dir, 'electron');
  writeFileSync(
    executable,
    '#!/bin/sh\necho "stand-in Electron for the offline packaging check; it cannot run an app" >&2\nexit 1\n',
  );
  chmodSync(executable, 0o755);
  writeFileSync(join(dir, 'version'), `${electronVersion()}\n`);
  writeFileSync(
    join(dir, 'LICENSE'),
    'Stand-in for the Electron distribution (packaging check).\n',
  );
  return dir;
}

export interface BuilderRun {
  status: number | null;
  output: string;
}

/**
 * `electron-builder --linux --dir` for the repo's config, into `outputDir`, with `overrides`
 * (`-c.<key>=<value>` pairs) applied on top of electron-builder.yml.
 */
export function runElectronBuilderDir(
  electronDist: string,
  outputDir: string,
  overrides: Record<string, string> = {},
): BuilderRun {
  const configArgs = Object.entries({
    electronDist,
    'directories.output': outputDir,
    ...overrides,
  }).map(([key, value]) => `-c.${key}=${value}`);
  const run = spawnSync(
    process.execPath,
    [ELECTRON_BUILDER_CLI, '--linux', '--x64', '--dir', '--projectDir', REPO_ROOT, ...configArgs],
    { cwd: REPO_ROOT, encoding: 'utf8', env: { ...process.env, CI: '1' } },
  );
  return { status: run.status, output: `${run.stdout}${run.stderr}` };
}
