/**
 * What a batch screens: a streaming walk over folders that recognises images by content, follows
 * DICOMDIRs, and yields every screenable file once.
 *
 * Choices: symlinks are followed but each directory is entered once (by real path), so a link
 * loop ends; hidden entries (".*") and OS system folders are skipped; a file that is not DICOM,
 * PNG or JPEG but is named like one (.dcm, .png, .jpg, ..., or no extension, as DICOM files often
 * are, unless it is text) is a skipped row with the reason, so a user sees why it was not
 * screened; other files (notes, spreadsheets) are ignored and only counted; a DICOMDIR is an index, not a row: the
 * files it references are rows, once, even when the walk finds them too or several DICOMDIRs
 * reference them. A DICOMDIR that cannot be read is an error row.
 */
import { opendir, realpath, stat } from 'node:fs/promises';
import { basename, extname, join, relative, resolve, sep } from 'node:path';
import { CodedError, toErrorInfo, type CodedErrorInfo } from '../../shared/errors';
import { readDicomdir, sniffSourceKind } from '../imaging';
import { readHead } from '../imaging/sniff';

const SYSTEM_FOLDERS = new Set([
  '$RECYCLE.BIN',
  'System Volume Information',
  '__MACOSX',
  'lost+found',
]);

function isSkippedName(name: string): boolean {
  return name.startsWith('.') || SYSTEM_FOLDERS.has(name);
}

/** Every regular file under the roots (depth first, sorted, each directory entered once). */
export async function* walkFiles(roots: string[], signal?: AbortSignal): AsyncGenerator<string> {
  const visitedDirs = new Set<string>();
  async function* walkDir(dir: string): AsyncGenerator<string> {
    const real = await realpath(dir).catch(() => null);
    if (real === null || visitedDirs.has(real)) return;
    visitedDirs.add(real);
    const names: string[] = [];
    try {
      for await (const entry of await opendir(dir))
        if (!isSkippedName(entry.name)) names.push(entry.name);
    } catch {
      return; // unreadable folder: nothing to screen in it
    }
    names.sort();
    for (const name of names) {
      if (signal?.aborted) return;
      const path = join(dir, name);
      const info = await stat(path).catch(() => null); // follows symlinks; dangling ones are skipped
      if (info?.isDirectory()) yield* walkDir(path);
      else if (info?.isFile()) yield path;
    }
  }
  for (const root of roots) {
    const path = resolve(root);
    const info = await stat(path).catch(() => null);
    if (info?.isDirectory()) yield* walkDir(path);
    else if (info?.isFile()) yield path;
  }
}

export type ScreeningItem =
  | { path: string; kind: 'dicom' | 'png' | 'jpeg'; viaDicomdir: string | null }
  | { path: string; kind: 'error'; error: CodedErrorInfo }
  /** Named like an image but not one: a row saying why it was not screened. */
  | { path: string; kind: 'skipped'; reason: CodedErrorInfo };

/** Extensions that say "image" (DICOM files often have none at all). */
const IMAGE_EXTENSIONS = new Set([
  '',
  '.dcm',
  '.dicom',
  '.dic',
  '.ima',
  '.png',
  '.jpg',
  '.jpeg',
  '.jpe',
  '.jfif',
]);

/**
 * Why a file that is not an image still gets a (skipped) row, or null when it is ignored: named
 * like an image (.dcm, .png, .jpg, ...) it gets one whatever it holds; without an extension (as
 * DICOM files often are) it gets one unless it is text (a README).
 */
async function skipReason(path: string): Promise<CodedErrorInfo | null> {
  const extension = extname(basename(path)).toLowerCase();
  if (!IMAGE_EXTENSIONS.has(extension)) return null;
  const head = await readHead(path, 512).catch(() => null);
  const text =
    head !== null &&
    head.length > 0 &&
    head.every((b) => b === 0x09 || b === 0x0a || b === 0x0d || (b >= 0x20 && b < 0x7f));
  if (extension === '' && text) return null;
  const what =
    head === null
      ? 'it could not be read'
      : head.length === 0
        ? 'it is empty'
        : text
          ? 'it is a text file'
          : 'its content is none of these';
  return {
    code: 'UNSUPPORTED_FORMAT',
    message: `not a DICOM, PNG or JPEG file, whatever its name says: ${what}`,
  };
}

type SourceKindOrDir = Awaited<ReturnType<typeof sniffSourceKind>>;

async function sniff(path: string): Promise<SourceKindOrDir | { error: CodedErrorInfo }> {
  try {
    return await sniffSourceKind(path);
  } catch (error) {
    return { error: toErrorInfo(error) };
  }
}

async function dicomdirEntries(path: string): Promise<string[] | CodedErrorInfo> {
  try {
    const entries = await readDicomdir(path);
    return entries.map((e) => resolve(e.filePath));
  } catch (error) {
    return toErrorInfo(error);
  }
}

/**
 * Two streaming passes: `count()` walks once to learn the total and which files DICOMDIRs
 * reference; `items()` walks again and yields. Only the referenced set is held in memory.
 */
export class ScreeningSources {
  private referenced = new Set<string>();
  private counted = false;
  /** Files the last count() found that are neither images nor named like one (not rows). */
  ignored = 0;

  constructor(
    private readonly roots: string[],
    private readonly signal?: AbortSignal,
  ) {}

  /** Number of items `items()` will yield. */
  async count(): Promise<number> {
    let walkedImages = 0;
    let dicomdirErrors = 0;
    this.ignored = 0;
    for await (const path of walkFiles(this.roots, this.signal)) {
      const kind = await sniff(path);
      if (kind === null) {
        if (await skipReason(path)) walkedImages++;
        else this.ignored++;
        continue;
      }
      if (kind === 'dicomdir') {
        const entries = await dicomdirEntries(path);
        if (Array.isArray(entries)) for (const e of entries) this.referenced.add(e);
        else dicomdirErrors++;
      } else {
        walkedImages++;
      }
    }
    // Referenced files the walk also counted are screened once, through their DICOMDIR.
    let overlap = 0;
    for (const path of this.referenced) if (await this.walkWouldYield(path)) overlap++;
    this.counted = true;
    return walkedImages - overlap + this.referenced.size + dicomdirErrors;
  }

  private async walkWouldYield(path: string): Promise<boolean> {
    const real = await realpath(path).catch(() => null);
    if (real === null) return false;
    for (const root of this.roots) {
      const rootReal = await realpath(resolve(root)).catch(() => null);
      if (rootReal === null) continue;
      const rel = relative(rootReal, real);
      if (rel === '' || rel.startsWith('..') || rel.split(sep).some(isSkippedName)) continue;
      const kind = await sniff(path);
      return typeof kind === 'string' && kind !== 'dicomdir';
    }
    return false;
  }

  /** The item for one file that appeared after the walk, or null when it is not an image. */
  async itemOf(path: string): Promise<ScreeningItem | null> {
    const kind = await sniff(path);
    if (kind === null) {
      const reason = await skipReason(path);
      return reason ? { path, kind: 'skipped', reason } : null;
    }
    if (kind === 'dicomdir') return null;
    if (typeof kind === 'object') return { path, kind: 'error', error: kind.error };
    return { path, kind, viaDicomdir: null };
  }

  async *items(): AsyncGenerator<ScreeningItem> {
    if (!this.counted)
      throw new CodedError('INTERNAL_ERROR', 'ScreeningSources.count() must run before items()');
    const emitted = new Set<string>();
    for await (const path of walkFiles(this.roots, this.signal)) {
      if (this.referenced.has(path)) continue;
      const kind = await sniff(path);
      if (kind === null) {
        const reason = await skipReason(path);
        if (reason) yield { path, kind: 'skipped', reason };
        continue;
      }
      if (typeof kind === 'object') {
        yield { path, kind: 'error', error: kind.error };
      } else if (kind === 'dicomdir') {
        const entries = await dicomdirEntries(path);
        if (!Array.isArray(entries)) {
          yield { path, kind: 'error', error: entries };
          continue;
        }
        for (const entry of entries) {
          if (emitted.has(entry)) continue;
          emitted.add(entry);
          yield { path: entry, kind: 'dicom', viaDicomdir: path };
        }
      } else {
        yield { path, kind, viaDicomdir: null };
      }
    }
  }
}
