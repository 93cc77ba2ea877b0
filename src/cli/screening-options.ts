/**
 * Argument handling shared by the commands that screen (`screen`, `receive --screen`,
 * `pacs retrieve --screen`): the model and store options, loading the model, the store check,
 * ports and AE titles, and the progress line. One place, so the commands cannot drift apart.
 */
import { isAbsolute, relative, resolve } from 'node:path';
import { UsageError } from './command';
import { toErrorInfo } from '../shared/errors';
import { aeTitleProblem } from '../shared/dicom-receiver';
import { RESEARCH_NOTICE } from '../shared/notice';
import type { ScreeningProgress } from '../shared/screening';
import { createInferenceEngine, defaultModelDir, type InferenceEngine } from '../main/inference';
import { defaultStoreDir } from '../main/screening';

/** parseArgs options every screening command takes. */
export const SCREENING_OPTIONS = {
  model: { type: 'string' },
  store: { type: 'string' },
} as const;

function isInside(child: string, parent: string): boolean {
  const rel = relative(parent, child);
  return rel === '' || (!rel.startsWith('..') && !isAbsolute(rel));
}

/** The store folder (resolved), which must not lie inside a folder being screened. */
export function storeDirOption(store: string | undefined, screenedFolders: string[]): string {
  const storeDir = resolve(store ?? defaultStoreDir());
  if (screenedFolders.some((folder) => isInside(storeDir, resolve(folder))))
    throw new UsageError(
      `the store (${storeDir}) must not be inside a screened folder; pass --store elsewhere`,
    );
  return storeDir;
}

/** Loads the model (--model or the default); prints why and returns null when it cannot. */
export async function loadEngineOption(model: string | undefined): Promise<InferenceEngine | null> {
  try {
    const engine = await createInferenceEngine({ modelDir: model ?? defaultModelDir() });
    console.error(RESEARCH_NOTICE);
    return engine;
  } catch (error) {
    const info = toErrorInfo(error);
    console.error(`Cannot load the model: ${info.code}: ${info.message}`);
    return null;
  }
}

/** A TCP port option (`allowZero`: 0 = the system picks one). */
export function portOption(value: string | undefined, flag: string, allowZero = true): number {
  const port = Number(value);
  const lowest = allowZero ? 0 : 1;
  if (value === undefined || !Number.isInteger(port) || port < lowest || port > 65535)
    throw new UsageError(`expected ${flag} <${lowest}-65535>`);
  return port;
}

export function aeTitleOption(value: string | undefined, flag: string): string {
  if (value === undefined) throw new UsageError(`expected ${flag} <AE title, 1-16 characters>`);
  const problem = aeTitleProblem(value);
  if (problem) throw new UsageError(`${flag}: ${problem}`);
  return value;
}

function formatSeconds(seconds: number | null): string {
  if (seconds === null || !Number.isFinite(seconds)) return '--:--';
  const s = Math.round(seconds);
  return `${Math.floor(s / 60)}:${String(s % 60).padStart(2, '0')}`;
}

/** A one-line bar redrawn in place on a terminal; a plain line every few seconds otherwise. */
export function progressPrinter(): { update: (p: ScreeningProgress) => void; end: () => void } {
  const tty = process.stderr.isTTY === true;
  let lastPrinted = 0;
  let drawn = false;
  return {
    update(p) {
      const now = performance.now();
      const final = p.state !== 'running' && p.state !== 'scanning';
      if (!final && now - lastPrinted < (tty ? 100 : 5000)) return;
      lastPrinted = now;
      const fraction = p.total > 0 ? p.done / p.total : 0;
      const text =
        p.state === 'scanning'
          ? 'scanning folders...'
          : `${p.done}/${p.total} (${(fraction * 100).toFixed(0)}%)  errors ${p.errors}  ` +
            `${p.ratePerSecond.toFixed(1)} img/s  ETA ${formatSeconds(p.etaSeconds)}`;
      if (tty) {
        const width = 30;
        const filled = Math.round(fraction * width);
        const bar =
          p.state === 'scanning' ? '' : `[${'#'.repeat(filled)}${'-'.repeat(width - filled)}] `;
        process.stderr.write(`\r\x1b[2K${bar}${text}`);
        drawn = true;
      } else {
        process.stderr.write(`${text}\n`);
      }
    },
    end() {
      if (tty && drawn) process.stderr.write('\n');
    },
  };
}
