/**
 * Starts a worker thread from one of the app's own worker entries (ort-worker, decode-worker).
 * A build ships `<name>.js` beside the main bundle (its own electron-vite entry); from sources
 * (tsx, vitest, or a build without that entry run inside the repo) `<name>.ts` is loaded through
 * tsx's CommonJS hook.
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { CodedError, type ErrorCode } from '../../../shared/errors';

export interface WorkerEntry {
  /** Entry name without extension, e.g. `decode-worker`. */
  name: string;
  /** The calling module's `__dirname`: the bundle's folder in a build, the module's from sources. */
  callerDir: string;
  /** More folders that may hold `<name>.ts` (the repo's source folder when run from a build). */
  sourceDirs?: readonly string[];
  /** Code of the error thrown when no script is found. */
  missingCode: ErrorCode;
}

export function spawnEntryWorker(entry: WorkerEntry): Worker {
  const built = join(entry.callerDir, `${entry.name}.js`);
  if (existsSync(built)) return new Worker(built);
  const source = [entry.callerDir, ...(entry.sourceDirs ?? [])]
    .map((dir) => join(dir, `${entry.name}.ts`))
    .find((candidate) => existsSync(candidate));
  if (!source) {
    throw new CodedError(
      entry.missingCode,
      `Worker script ${entry.name} not found (looked for ${built})`,
    );
  }
  const tsxApi = createRequire(source).resolve('tsx/cjs/api');
  const bootstrap = `require(${JSON.stringify(tsxApi)}).register(); require(${JSON.stringify(source)});`;
  return new Worker(bootstrap, { eval: true });
}
