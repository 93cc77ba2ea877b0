/**
 * What adding paths to the study list visits: files named directly, folders walked recursively
 * (the screening walk rules: hidden entries skipped, link loops cut) and the files DICOMDIRs
 * reference, each header read once, a few at a time, while the walk goes on. Nothing is
 * collected first, so the list fills as the walk goes and memory does not grow with the folder.
 */
import { stat } from 'node:fs/promises';
import { basename, dirname, relative, resolve, sep } from 'node:path';
import { CodedError } from '../../../shared/errors';
import { walkFiles } from '../screening/sources';
import { readImageHeader, type HeaderRead, type ImageSummary } from './header-index';

export interface WalkSink {
  /** True when the file is already listed (its header is not read again). */
  isListed(path: string): boolean;
  listed(path: string, displayName: string, summary: ImageSummary): void;
  problem(path: string, displayName: string, error: unknown): void;
  /** Called for every file found and for every file whose header has been read. */
  progress(event: 'found' | 'read'): void;
}

export interface WalkOptions {
  readDicomdir(path: string): Promise<{ filePath: string }[]>;
  /** Headers read at once. */
  concurrency: number;
  /** Most files one folder walk will look at. */
  maxFilesPerFolder: number;
  signal?: AbortSignal;
}

/** Path shown to the user: relative to the folder they picked, else the file name. */
export function displayNameFor(path: string, pickedRoot: string | null): string {
  if (pickedRoot === null) return basename(path);
  const rel = relative(pickedRoot, path);
  return rel && !rel.startsWith('..')
    ? `${basename(pickedRoot)}/${rel.split(sep).join('/')}`
    : basename(path);
}

/** Runs `work` on every item with at most `limit` at once, pulling items only as lanes free up. */
async function forEachLimited<T>(
  items: AsyncIterable<T> | Iterable<T>,
  limit: number,
  work: (item: T) => Promise<void>,
  signal?: AbortSignal,
): Promise<void> {
  const iterator =
    Symbol.asyncIterator in items
      ? items[Symbol.asyncIterator]()
      : (items as Iterable<T>)[Symbol.iterator]();
  const lane = async (): Promise<void> => {
    for (;;) {
      if (signal?.aborted) return;
      const next = await iterator.next();
      if (next.done) return;
      await work(next.value);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, limit) }, lane));
}

async function* capped<T>(items: AsyncIterable<T>, max: number): AsyncGenerator<T> {
  let count = 0;
  for await (const item of items) {
    if (count++ >= max) return;
    yield item;
  }
}

/** Adds the given files and folders to `sink`; resolves when done or cancelled. */
export async function walkPaths(
  paths: string[],
  options: WalkOptions,
  sink: WalkSink,
): Promise<void> {
  const { signal } = options;
  // Files visited in this call (a walk and a DICOMDIR may both name one).
  const visited = new Set<string>();

  async function header(path: string, displayName: string): Promise<HeaderRead | null> {
    try {
      return await readImageHeader(path);
    } catch (error) {
      sink.problem(path, displayName, error);
      return null;
    } finally {
      sink.progress('read');
    }
  }

  /** A file a DICOMDIR references or the user named: must be an image. */
  async function addImageFile(path: string, displayName: string): Promise<void> {
    if (visited.has(path) || sink.isListed(path)) return;
    visited.add(path);
    sink.progress('found');
    const read = await header(path, displayName);
    if (read?.kind === 'image') sink.listed(path, displayName, read.summary);
    else if (read)
      sink.problem(
        path,
        displayName,
        new CodedError(
          read.kind === 'dicomdir' ? 'UNSUPPORTED_FORMAT' : 'NOT_DICOM',
          `${displayName}: not a DICOM, PNG or JPEG image`,
        ),
      );
  }

  async function addDicomdir(path: string, pickedRoot: string | null): Promise<void> {
    const root = pickedRoot ?? dirname(path);
    let references: { filePath: string }[];
    try {
      references = await options.readDicomdir(path);
    } catch (error) {
      sink.problem(path, displayNameFor(path, pickedRoot), error);
      return;
    }
    await forEachLimited(
      references,
      options.concurrency,
      (reference) => {
        const file = resolve(reference.filePath);
        return addImageFile(file, displayNameFor(file, root));
      },
      signal,
    );
  }

  /** A file the walk found: non-images (READMEs, ...) are skipped silently. */
  async function addWalkedFile(path: string, folder: string): Promise<void> {
    if (visited.has(path) || sink.isListed(path)) return;
    visited.add(path);
    sink.progress('found');
    const displayName = displayNameFor(path, folder);
    const read = await header(path, displayName);
    if (read?.kind === 'image') sink.listed(path, displayName, read.summary);
    else if (read?.kind === 'dicomdir') await addDicomdir(path, folder);
  }

  /** A file the user named directly: unknown formats are reported, not ignored. */
  async function addNamedFile(path: string): Promise<void> {
    // Not skipped when a walk saw it: a walk passes over non-images silently, a name does not.
    if (sink.isListed(path)) return;
    visited.add(path);
    sink.progress('found');
    const read = await header(path, basename(path));
    if (read?.kind === 'image') sink.listed(path, basename(path), read.summary);
    else if (read?.kind === 'dicomdir') await addDicomdir(path, null);
    else if (read)
      sink.problem(
        path,
        basename(path),
        new CodedError('UNSUPPORTED_FORMAT', 'Not a DICOM, DICOMDIR, PNG or JPEG file'),
      );
  }

  for (const given of paths) {
    if (signal?.aborted) return;
    const path = resolve(given);
    let isFolder: boolean;
    try {
      isFolder = (await stat(path)).isDirectory();
    } catch (error) {
      const code =
        (error as NodeJS.ErrnoException).code === 'ENOENT' ? 'FILE_NOT_FOUND' : 'FILE_UNREADABLE';
      sink.problem(path, basename(path), new CodedError(code, `Cannot open ${basename(path)}`));
      continue;
    }
    if (!isFolder) {
      await addNamedFile(path);
      continue;
    }
    await forEachLimited(
      capped(walkFiles([path], signal), options.maxFilesPerFolder),
      options.concurrency,
      (file) => addWalkedFile(file, path),
      signal,
    );
  }
}
