/**
 * The study list: everything the user opened (files, folders walked recursively, DICOMDIRs
 * followed), each image under an opaque random id, grouped patient > study > series > image.
 * The renderer only ever sees ids and display names; paths stay here.
 *
 * Seams: `walk.ts` visits what was added and reads headers as it goes (`header-index.ts`: up to
 * Pixel Data, never a frame); `thumbnails.ts` makes thumbnails lazily in the decode pool;
 * `snapshot.ts` groups and sorts; `open-film.ts` keeps the decoded frame of an open film with its
 * model input and analysis, so the viewer, the model and a report export share one decode.
 */
import { randomUUID } from 'node:crypto';
import { basename, resolve } from 'node:path';
import { CodedError, toErrorInfo } from '../../shared/errors';
import type { DecodedFrame, ImageMetadata } from '../../shared/imaging';
import type { LoadedImage, Thumbnail } from '../../shared/ipc/contract';
import type { LibraryAddProgress, LibrarySnapshot } from '../../shared/library';
import { renderThumbnail } from '../decode-pool/tasks';
import type { ImageSummary } from './header-index';
import { LruCache } from './lru-cache';
import { OpenFilm } from './open-film';
import { buildSnapshot, type LibraryProblem, type SnapshotEntry } from './snapshot';
import { ThumbnailCache, type RenderThumbnail } from './thumbnails';
import { walkPaths } from './walk';

export { UNIDENTIFIED_PATIENT } from './snapshot';

/** The parts of the imaging module the library uses (injected, so tests can count calls). */
export interface LibraryImaging {
  /** Opens a file for the viewer (metadata now, frames on demand). */
  openImage(path: string): Promise<{
    metadata: ImageMetadata;
    decodeFrame(index: number): Promise<DecodedFrame>;
  }>;
  readDicomdir(path: string): Promise<{ filePath: string }[]>;
}

type OpenedImage = Awaited<ReturnType<LibraryImaging['openImage']>>;

interface ImageEntry extends SnapshotEntry {
  path: string;
}

export interface LibraryOptions {
  imaging: LibraryImaging;
  /** Thumbnail maker; give the decode pool's so thumbnails are made off this thread. */
  renderThumbnail?: RenderThumbnail;
  /** Opened files kept in memory for quick frame loads (each may hold a whole file). */
  openCacheSize?: number;
  /** Decoded frames kept with their analyses (the film on screen and the one before it). */
  openFilmCacheSize?: number;
  thumbnailCacheSize?: number;
  /** Most files one folder walk will look at. */
  maxFilesPerFolder?: number;
  /** Headers read at once while adding. */
  concurrency?: number;
}

export interface AddOptions {
  /** Stops the walk; what was listed so far stays listed. */
  signal?: AbortSignal;
  /** Counts while adding (at most every `progressIntervalMs`) and once at the end. */
  onProgress?: (progress: LibraryAddProgress) => void;
  progressIntervalMs?: number;
}

export interface Library {
  /** Adds files and folders (walked recursively; DICOMDIRs followed); returns the new list. */
  addPaths(paths: string[], options?: AddOptions): Promise<LibrarySnapshot>;
  snapshot(): LibrarySnapshot;
  /** Path of an image the user opened; throws for unknown ids. */
  pathOf(imageId: string): string;
  open(imageId: string): Promise<OpenedImage>;
  /** The frame for the viewer (decoded once while the film stays open). */
  loadFrame(imageId: string, frame: number): Promise<LoadedImage>;
  /** The open film: its decoded frame, model input and analyses, kept for the last few frames. */
  openFilm(imageId: string, frame: number): Promise<OpenFilm>;
  thumbnail(imageId: string, maxSize: number): Promise<Thumbnail>;
  /** Id for a file found by screening, so a result row can be opened (not added to the list). */
  registerScreenedFile(path: string): string;
  /** Opaque id for a folder the user picked for screening. */
  registerFolder(path: string): string;
  folderPath(folderId: string): string;
  clearCaches(): void;
}

export function newOpaqueId(): string {
  return randomUUID().replaceAll('-', '');
}

export function createLibrary(options: LibraryOptions): Library {
  const { imaging } = options;
  const maxFilesPerFolder = options.maxFilesPerFolder ?? 50_000;
  const concurrency = options.concurrency ?? 8;
  const entries = new Map<string, ImageEntry>();
  const idByPath = new Map<string, string>();
  const problemsByPath = new Map<string, LibraryProblem>();
  const folders = new Map<string, string>();
  const folderIdByPath = new Map<string, string>();
  const openCache = new LruCache<string, Promise<OpenedImage>>(options.openCacheSize ?? 4);
  const openFilms = new LruCache<string, Promise<OpenFilm>>(options.openFilmCacheSize ?? 2);
  const thumbnails = new ThumbnailCache(
    options.renderThumbnail ?? renderThumbnail,
    options.thumbnailCacheSize ?? 512,
  );
  // Opaque keys for groups, stable across snapshots.
  const groupKeys = new Map<string, string>();
  const groupKey = (identity: string) => {
    let key = groupKeys.get(identity);
    if (!key) {
      key = newOpaqueId();
      groupKeys.set(identity, key);
    }
    return key;
  };

  function entryFor(imageId: string): ImageEntry {
    const entry = entries.get(imageId);
    if (!entry)
      throw new CodedError('INVALID_REQUEST', 'Unknown image id (not opened in this session)');
    return entry;
  }

  function openEntry(entry: ImageEntry): Promise<OpenedImage> {
    let opened = openCache.get(entry.imageId);
    if (!opened) {
      opened = imaging.openImage(entry.path);
      // A failed open is not cached: the file may be fixed or reappear.
      opened.catch(() => openCache.delete(entry.imageId));
      openCache.set(entry.imageId, opened);
    }
    return opened;
  }

  function list(path: string, displayName: string, summary: ImageSummary): void {
    const known = idByPath.get(path);
    const entry: ImageEntry = (known && entries.get(known)) || {
      imageId: newOpaqueId(),
      path,
      displayName,
      listed: true,
    };
    entry.listed = true;
    entry.displayName = displayName;
    entry.summary = summary;
    entries.set(entry.imageId, entry);
    idByPath.set(path, entry.imageId);
    problemsByPath.delete(path);
  }

  async function decodeFilm(imageId: string, frameIndex: number): Promise<OpenFilm> {
    const entry = entryFor(imageId);
    const started = performance.now();
    const opened = await openEntry(entry);
    if (frameIndex >= opened.metadata.numberOfFrames) {
      throw new CodedError(
        'FRAME_OUT_OF_RANGE',
        `Frame ${frameIndex} requested; the image has ${opened.metadata.numberOfFrames}`,
      );
    }
    const frame = await opened.decodeFrame(frameIndex);
    const loaded = { imageId, metadata: opened.metadata, frame };
    return new OpenFilm(entry.path, loaded, performance.now() - started);
  }

  function openFilm(imageId: string, frameIndex: number): Promise<OpenFilm> {
    const key = `${imageId}#${frameIndex}`;
    let film = openFilms.get(key);
    if (!film) {
      film = decodeFilm(imageId, frameIndex);
      // A failed decode is not kept: the file may be fixed or reappear.
      film.catch(() => openFilms.delete(key));
      openFilms.set(key, film);
    }
    return film;
  }

  const snapshot = (): LibrarySnapshot =>
    buildSnapshot(entries.values(), problemsByPath.values(), groupKey);

  return {
    async addPaths(paths, addOptions = {}) {
      const { signal, onProgress } = addOptions;
      const interval = addOptions.progressIntervalMs ?? 250;
      const progress: LibraryAddProgress = {
        state: 'reading',
        filesFound: 0,
        filesRead: 0,
        imagesListed: 0,
        problems: 0,
      };
      let lastEmit = 0;
      const emit = (force = false): void => {
        const now = performance.now();
        if (!onProgress || (!force && now - lastEmit < interval)) return;
        lastEmit = now;
        onProgress({ ...progress });
      };
      await walkPaths(
        paths,
        { readDicomdir: imaging.readDicomdir, concurrency, maxFilesPerFolder, signal },
        {
          isListed: (path) => {
            const known = idByPath.get(path);
            return Boolean(known && entries.get(known)?.listed);
          },
          listed: (path, displayName, summary) => {
            list(path, displayName, summary);
            progress.imagesListed++;
          },
          problem: (path, displayName, error) => {
            problemsByPath.set(path, { displayName, error: toErrorInfo(error) });
            progress.problems++;
          },
          progress: (event) => {
            if (event === 'found') progress.filesFound++;
            else progress.filesRead++;
            emit();
          },
        },
      );
      progress.state = signal?.aborted ? 'cancelled' : 'finished';
      emit(true);
      return snapshot();
    },
    snapshot,
    pathOf(imageId) {
      return entryFor(imageId).path;
    },
    open(imageId) {
      return openEntry(entryFor(imageId));
    },
    async loadFrame(imageId, frameIndex) {
      return (await openFilm(imageId, frameIndex)).loaded;
    },
    openFilm,
    thumbnail(imageId, maxSize) {
      const entry = entryFor(imageId);
      return thumbnails.get(imageId, entry.path, maxSize);
    },
    registerScreenedFile(given) {
      const path = resolve(given);
      const known = idByPath.get(path);
      if (known) return known;
      const entry: ImageEntry = {
        imageId: newOpaqueId(),
        path,
        displayName: basename(path),
        listed: false,
      };
      entries.set(entry.imageId, entry);
      idByPath.set(path, entry.imageId);
      return entry.imageId;
    },
    registerFolder(given) {
      const path = resolve(given);
      const known = folderIdByPath.get(path);
      if (known) return known;
      const folderId = newOpaqueId();
      folders.set(folderId, path);
      folderIdByPath.set(path, folderId);
      return folderId;
    },
    folderPath(folderId) {
      const path = folders.get(folderId);
      if (path === undefined)
        throw new CodedError('INVALID_REQUEST', 'Unknown folder id (not picked in this session)');
      return path;
    },
    clearCaches() {
      openCache.clear();
      openFilms.clear();
      thumbnails.clear();
    },
  };
}
