/**
 * Files the operating system asks the app to open: command-line arguments (a double-clicked
 * `.dcm` on Windows and Linux, a second launch while the app runs) and macOS `open-file` events.
 * Plain Node (no `electron` import) so the parsing is unit-tested; the bootstrap only feeds it.
 * The paths it keeps go to the library through the same add as "Open files…".
 */
import { statSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** As many paths as one drop may carry (library:addDropped's limit). */
export const MAX_LAUNCH_PATHS = 1000;
const MAX_PATH_LENGTH = 4096;

export interface LaunchArgvOptions {
  /** Folder relative paths are resolved against (the launching shell's, for a second instance). */
  cwd: string;
  /**
   * True when started as `electron <app>` (process.defaultApp): argv[1] is then the app's own
   * path, not a file to open. A packaged app's argv[1] is already the first argument.
   */
  defaultApp: boolean;
}

export interface LaunchPaths {
  /** Absolute paths of files and folders that exist. */
  paths: string[];
  /** Arguments that looked like files but were not opened, and why. */
  ignored: { argument: string; reason: string }[];
}

/** One argument or open-file path -> an absolute path, or why it is not one to open. */
function toPath(argument: string, cwd: string): { path: string } | { reason: string } {
  if (argument.length === 0 || argument.length > MAX_PATH_LENGTH || argument.includes('\0')) {
    return { reason: 'not a usable path' };
  }
  let path = argument;
  if (/^file:/i.test(argument)) {
    try {
      path = fileURLToPath(argument);
    } catch {
      return { reason: 'not a local file URL' };
    }
  } else if (/^[a-z][a-z0-9+.-]+:\/\//i.test(argument)) {
    return { reason: 'not a local file' };
  }
  const absolute = isAbsolute(path) ? resolve(path) : resolve(cwd, path);
  try {
    const info = statSync(absolute);
    if (!info.isFile() && !info.isDirectory()) return { reason: 'not a file or folder' };
  } catch {
    return { reason: 'does not exist' };
  }
  return { path: absolute };
}

/** Validates paths handed over one by one (macOS open-file) or after argv parsing. */
export function launchPathsFrom(candidates: readonly string[], cwd: string): LaunchPaths {
  const result: LaunchPaths = { paths: [], ignored: [] };
  const seen = new Set<string>();
  for (const argument of candidates) {
    const checked = toPath(argument, cwd);
    if ('reason' in checked) {
      result.ignored.push({ argument, reason: checked.reason });
    } else if (!seen.has(checked.path)) {
      if (result.paths.length >= MAX_LAUNCH_PATHS) {
        result.ignored.push({ argument, reason: `more than ${MAX_LAUNCH_PATHS} files` });
        continue;
      }
      seen.add(checked.path);
      result.paths.push(checked.path);
    }
  }
  return result;
}

/**
 * argv -> the files to open: drops the executable (and the app path under `electron .`) and
 * every switch (`--inspect`, Chromium's `--no-sandbox`, macOS's `-psn_0_1234`); after a bare
 * `--` every argument is a file, even one starting with '-'.
 */
export function launchPathsFromArgv(
  argv: readonly string[],
  options: LaunchArgvOptions,
): LaunchPaths {
  const candidates: string[] = [];
  let afterSeparator = false;
  for (const argument of argv.slice(options.defaultApp ? 2 : 1)) {
    if (!afterSeparator && argument === '--') {
      afterSeparator = true;
      continue;
    }
    if (!afterSeparator && argument.startsWith('-')) continue;
    candidates.push(argument);
  }
  return launchPathsFrom(candidates, options.cwd);
}

/**
 * Paths waiting for the renderer: the OS may hand them over before the window exists (argv, an
 * early open-file) or at any time later; the renderer takes them when it starts and when told.
 */
export class LaunchQueue {
  private pending: string[] = [];

  /** Queues paths; returns how many were new. */
  push(paths: readonly string[]): number {
    const before = this.pending.length;
    for (const path of paths) {
      if (this.pending.length >= MAX_LAUNCH_PATHS) break;
      if (!this.pending.includes(path)) this.pending.push(path);
    }
    return this.pending.length - before;
  }

  take(): string[] {
    const paths = this.pending;
    this.pending = [];
    return paths;
  }
}
