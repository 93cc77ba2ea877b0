/**
 * The study list: everything the user opened (files, folders walked recursively, DICOMDIRs
 * followed), each image under an opaque random id, grouped patient > study > series > image.
 * The renderer only ever sees ids and display names; paths stay here.
 */
import { randomUUID } from 'node:crypto';
import { stat } from 'node:fs/promises';
import { basename, dirname, relative, resolve, sep } from 'node:path';
import { CodedError, toErrorInfo, type CodedErrorInfo } from '../../shared/errors';
import type { DecodedFrame, ImageMetadata, SourceKind } from '../../shared/imaging';
import type { LoadedImage, Thumbnail } from '../../shared/ipc/contract';
import type {
  LibraryImage,
  LibraryPatient,
  LibrarySeries,
  LibrarySnapshot,
  LibraryStudy,
} from '../../shared/library';
import { walkFiles } from '../screening/sources';
import { downscaleGray } from './downscale';

/** The parts of the imaging module the library uses (injected, so tests can count calls). */
export interface LibraryImaging {
  openImage(path: string): Promise<{
    metadata: ImageMetadata;
    decodeFrame(index: number): Promise<DecodedFrame>;
  }>;
  sniffSourceKind(path: string): Promise<SourceKind | 'dicomdir' | null>;
  readDicomdir(path: string): Promise<{ filePath: string }[]>;
  /** 8-bit display gray (bone bright), frame.rows x frame.columns. */
  renderDisplay8(frame: DecodedFrame, metadata: ImageMetadata): Uint8Array;
}

type OpenedImage = Awaited<ReturnType<LibraryImaging['openImage']>>;

/** What the list needs from an image's metadata; kept instead of the (large) opened file. */
type ImageSummary = Pick<
  ImageMetadata,
  | 'sourceKind'
  | 'numberOfFrames'
  | 'modality'
  | 'viewPosition'
  | 'instanceNumber'
  | 'patientName'
  | 'patientId'
  | 'studyInstanceUid'
  | 'studyDate'
  | 'studyDescription'
  | 'accessionNumber'
  | 'seriesInstanceUid'
  | 'seriesNumber'
  | 'seriesDescription'
>;

interface ImageEntry {
  imageId: string;
  path: string;
  displayName: string;
  /** Shown in the study list (false for images registered only to open a screening row). */
  listed: boolean;
  summary?: ImageSummary;
}

export interface LibraryOptions {
  imaging: LibraryImaging;
  /** Opened files kept in memory for quick frame loads (each may hold a whole file). */
  openCacheSize?: number;
  thumbnailCacheSize?: number;
  /** Most files one folder walk will look at. */
  maxFilesPerFolder?: number;
  /** Files opened at once while adding. */
  concurrency?: number;
}

export interface Library {
  /** Adds files and folders (walked recursively; DICOMDIRs followed); returns the new list. */
  addPaths(paths: string[]): Promise<LibrarySnapshot>;
  snapshot(): LibrarySnapshot;
  /** Path of an image the user opened; throws for unknown ids. */
  pathOf(imageId: string): string;
  open(imageId: string): Promise<OpenedImage>;
  loadFrame(imageId: string, frame: number): Promise<LoadedImage>;
  thumbnail(imageId: string, maxSize: number): Promise<Thumbnail>;
  /** Id for a file found by screening, so a result row can be opened (not added to the list). */
  registerScreenedFile(path: string): string;
  /** Opaque id for a folder the user picked for screening. */
  registerFolder(path: string): string;
  folderPath(folderId: string): string;
  clearCaches(): void;
}

export const UNIDENTIFIED_PATIENT = 'Unidentified patient';

export function newOpaqueId(): string {
  return randomUUID().replaceAll('-', '');
}

/** Small insertion-ordered cache; a hit moves the key to the young end. */
class LruCache<K, V> {
  private readonly map = new Map<K, V>();
  constructor(private readonly capacity: number) {}
  get(key: K): V | undefined {
    const value = this.map.get(key);
    if (value !== undefined) {
      this.map.delete(key);
      this.map.set(key, value);
    }
    return value;
  }
  set(key: K, value: V): void {
    this.map.delete(key);
    this.map.set(key, value);
    while (this.map.size > this.capacity) {
      const oldest = this.map.keys().next().value as K;
      this.map.delete(oldest);
    }
  }
  delete(key: K): void {
    this.map.delete(key);
  }
  clear(): void {
    this.map.clear();
  }
}

function summarize(metadata: ImageMetadata): ImageSummary {
  const {
    sourceKind,
    numberOfFrames,
    modality,
    viewPosition,
    instanceNumber,
    patientName,
    patientId,
    studyInstanceUid,
    studyDate,
    studyDescription,
    accessionNumber,
    seriesInstanceUid,
    seriesNumber,
    seriesDescription,
  } = metadata;
  return {
    sourceKind,
    numberOfFrames,
    modality,
    viewPosition,
    instanceNumber,
    patientName,
    patientId,
    studyInstanceUid,
    studyDate,
    studyDescription,
    accessionNumber,
    seriesInstanceUid,
    seriesNumber,
    seriesDescription,
  };
}

/** Path shown to the user: relative to the folder they picked, else the file name. */
function displayNameFor(path: string, pickedRoot: string | null): string {
  if (pickedRoot === null) return basename(path);
  const rel = relative(pickedRoot, path);
  return rel && !rel.startsWith('..')
    ? `${basename(pickedRoot)}/${rel.split(sep).join('/')}`
    : basename(path);
}

async function runLimited<T>(
  items: T[],
  limit: number,
  work: (item: T) => Promise<void>,
): Promise<void> {
  let next = 0;
  const lanes = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) {
      const item = items[next++];
      await work(item);
    }
  });
  await Promise.all(lanes);
}

function compareOptional<T extends string | number>(a: T | undefined, b: T | undefined): number {
  if (a === undefined) return b === undefined ? 0 : 1;
  if (b === undefined) return -1;
  return a < b ? -1 : a > b ? 1 : 0;
}

export function createLibrary(options: LibraryOptions): Library {
  const { imaging } = options;
  const maxFilesPerFolder = options.maxFilesPerFolder ?? 50_000;
  const concurrency = options.concurrency ?? 4;
  const entries = new Map<string, ImageEntry>();
  const idByPath = new Map<string, string>();
  const problemsByPath = new Map<string, { displayName: string; error: CodedErrorInfo }>();
  const folders = new Map<string, string>();
  const folderIdByPath = new Map<string, string>();
  const openCache = new LruCache<string, Promise<OpenedImage>>(options.openCacheSize ?? 4);
  const thumbnails = new LruCache<string, Promise<Thumbnail>>(options.thumbnailCacheSize ?? 512);
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

  function recordProblem(path: string, displayName: string, error: unknown): void {
    problemsByPath.set(path, { displayName, error: toErrorInfo(error) });
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

  const adding = new Map<string, Promise<void>>();

  /** Opens one file and lists it (once, even when two sources name it at the same time). */
  function addFile(path: string, displayName: string): Promise<void> {
    let pending = adding.get(path);
    if (!pending) {
      pending = addFileNow(path, displayName).finally(() => adding.delete(path));
      adding.set(path, pending);
    }
    return pending;
  }

  /** Failures become problems with their codes. */
  async function addFileNow(path: string, displayName: string): Promise<void> {
    const known = idByPath.get(path);
    const knownEntry = known ? entries.get(known) : undefined;
    if (knownEntry?.listed && knownEntry.summary) return;
    try {
      const opened = await imaging.openImage(path);
      const entry: ImageEntry = knownEntry ?? {
        imageId: newOpaqueId(),
        path,
        displayName,
        listed: true,
      };
      entry.listed = true;
      entry.displayName = displayName;
      entry.summary = summarize(opened.metadata);
      entries.set(entry.imageId, entry);
      idByPath.set(path, entry.imageId);
      openCache.set(entry.imageId, Promise.resolve(opened));
      problemsByPath.delete(path);
    } catch (error) {
      recordProblem(path, displayName, error);
    }
  }

  async function addDicomdir(path: string, pickedRoot: string | null): Promise<void> {
    const root = pickedRoot ?? dirname(path);
    let references: { filePath: string }[];
    try {
      references = await imaging.readDicomdir(path);
    } catch (error) {
      recordProblem(path, displayNameFor(path, pickedRoot), error);
      return;
    }
    await runLimited(references, concurrency, (reference) => {
      const file = resolve(reference.filePath);
      return addFile(file, displayNameFor(file, root));
    });
  }

  /** A file the user named directly: unknown formats are reported, not ignored. */
  async function addExplicitFile(path: string): Promise<void> {
    let kind: Awaited<ReturnType<LibraryImaging['sniffSourceKind']>>;
    try {
      kind = await imaging.sniffSourceKind(path);
    } catch (error) {
      recordProblem(path, basename(path), error);
      return;
    }
    if (kind === null) {
      recordProblem(
        path,
        basename(path),
        new CodedError('UNSUPPORTED_FORMAT', 'Not a DICOM, DICOMDIR, PNG or JPEG file'),
      );
    } else if (kind === 'dicomdir') {
      await addDicomdir(path, null);
    } else {
      await addFile(path, basename(path));
    }
  }

  /** Same walk rules as screening (hidden entries skipped, link loops cut), capped. */
  async function listFiles(folder: string): Promise<string[]> {
    const files: string[] = [];
    for await (const file of walkFiles([folder])) {
      files.push(file);
      if (files.length >= maxFilesPerFolder) break;
    }
    return files;
  }

  /** Walks a folder: DICOMDIRs first (they name their files), then every other readable image. */
  async function addFolder(folder: string): Promise<void> {
    const files = await listFiles(folder);
    const kinds = new Map<string, Awaited<ReturnType<LibraryImaging['sniffSourceKind']>>>();
    await runLimited(files, concurrency, async (file) => {
      try {
        kinds.set(file, await imaging.sniffSourceKind(file));
      } catch (error) {
        recordProblem(file, displayNameFor(file, folder), error);
      }
    });
    for (const file of files) {
      if (kinds.get(file) === 'dicomdir') await addDicomdir(file, folder);
    }
    // Files in a folder that are not images at all (READMEs, ...) are skipped silently.
    const images = files.filter((file) => {
      const kind = kinds.get(file);
      return kind !== undefined && kind !== null && kind !== 'dicomdir';
    });
    await runLimited(images, concurrency, (file) => addFile(file, displayNameFor(file, folder)));
  }

  function buildSnapshot(): LibrarySnapshot {
    const patients = new Map<
      string,
      LibraryPatient & {
        studyMap: Map<string, LibraryStudy & { seriesMap: Map<string, LibrarySeries> }>;
      }
    >();
    for (const entry of entries.values()) {
      const s = entry.summary;
      if (!entry.listed || !s) continue;
      const identified = s.sourceKind === 'dicom' && Boolean(s.patientId || s.patientName);
      const patientIdentity = identified
        ? `patient:${s.patientId ?? ''}\u0000${s.patientName ?? ''}`
        : 'unidentified';
      let patient = patients.get(patientIdentity);
      if (!patient) {
        patient = {
          patientKey: groupKey(patientIdentity),
          patientName: identified ? s.patientName : UNIDENTIFIED_PATIENT,
          patientId: identified ? s.patientId : undefined,
          studies: [],
          studyMap: new Map(),
        };
        patients.set(patientIdentity, patient);
      }
      const studyIdentity = s.studyInstanceUid
        ? `study:${s.studyInstanceUid}`
        : `file:${entry.imageId}`;
      let study = patient.studyMap.get(studyIdentity);
      if (!study) {
        study = {
          studyKey: groupKey(`${patientIdentity}\u0000${studyIdentity}`),
          studyDate: s.studyDate,
          description: s.studyDescription ?? (s.studyInstanceUid ? undefined : entry.displayName),
          accessionNumber: s.accessionNumber,
          series: [],
          seriesMap: new Map(),
        };
        patient.studyMap.set(studyIdentity, study);
      }
      const seriesIdentity = s.seriesInstanceUid
        ? `series:${s.seriesInstanceUid}`
        : `file:${entry.imageId}`;
      let series = study.seriesMap.get(seriesIdentity);
      if (!series) {
        series = {
          seriesKey: groupKey(`${studyIdentity}\u0000${seriesIdentity}`),
          seriesNumber: s.seriesNumber,
          modality: s.modality,
          description: s.seriesDescription,
          images: [],
        };
        study.seriesMap.set(seriesIdentity, series);
      }
      const image: LibraryImage = {
        imageId: entry.imageId,
        displayName: entry.displayName,
        sourceKind: s.sourceKind,
        numberOfFrames: s.numberOfFrames,
        modality: s.modality,
        viewPosition: s.viewPosition,
        instanceNumber: s.instanceNumber,
      };
      series.images.push(image);
    }

    const result: LibraryPatient[] = [];
    for (const { studyMap, ...patient } of patients.values()) {
      const studies: LibraryStudy[] = [];
      for (const { seriesMap, ...study } of studyMap.values()) {
        const series = [...seriesMap.values()].sort(
          (a, b) =>
            compareOptional(a.seriesNumber, b.seriesNumber) ||
            compareOptional(a.description, b.description),
        );
        for (const item of series) {
          item.images.sort(
            (a, b) =>
              compareOptional(a.instanceNumber, b.instanceNumber) ||
              compareOptional(a.displayName, b.displayName),
          );
        }
        studies.push({ ...study, series });
      }
      // Newest study first; undated ones after the dated ones, by name.
      studies.sort(
        (a, b) =>
          compareOptional(b.studyDate, a.studyDate) ||
          compareOptional(a.description, b.description),
      );
      result.push({ ...patient, studies });
    }
    result.sort((a, b) => {
      const aUnidentified = a.patientName === UNIDENTIFIED_PATIENT && a.patientId === undefined;
      const bUnidentified = b.patientName === UNIDENTIFIED_PATIENT && b.patientId === undefined;
      if (aUnidentified !== bUnidentified) return aUnidentified ? 1 : -1;
      return (
        compareOptional(a.patientName, b.patientName) || compareOptional(a.patientId, b.patientId)
      );
    });
    const problems = [...problemsByPath.values()].sort((a, b) =>
      compareOptional(a.displayName, b.displayName),
    );
    return { patients: result, problems };
  }

  return {
    async addPaths(paths) {
      for (const given of paths) {
        const path = resolve(given);
        let isFolder: boolean;
        try {
          isFolder = (await stat(path)).isDirectory();
        } catch (error) {
          const code =
            (error as NodeJS.ErrnoException).code === 'ENOENT'
              ? 'FILE_NOT_FOUND'
              : 'FILE_UNREADABLE';
          recordProblem(
            path,
            basename(path),
            new CodedError(code, `Cannot open ${basename(path)}`),
          );
          continue;
        }
        if (isFolder) await addFolder(path);
        else await addExplicitFile(path);
      }
      return buildSnapshot();
    },
    snapshot: buildSnapshot,
    pathOf(imageId) {
      return entryFor(imageId).path;
    },
    open(imageId) {
      return openEntry(entryFor(imageId));
    },
    async loadFrame(imageId, frameIndex) {
      const opened = await openEntry(entryFor(imageId));
      if (frameIndex >= opened.metadata.numberOfFrames) {
        throw new CodedError(
          'FRAME_OUT_OF_RANGE',
          `Frame ${frameIndex} requested; the image has ${opened.metadata.numberOfFrames}`,
        );
      }
      const frame = await opened.decodeFrame(frameIndex);
      return { imageId, metadata: opened.metadata, frame };
    },
    thumbnail(imageId, maxSize) {
      const entry = entryFor(imageId);
      const key = `${imageId}:${maxSize}`;
      let thumbnail = thumbnails.get(key);
      if (!thumbnail) {
        thumbnail = (async () => {
          const opened = await openEntry(entry);
          const frame = await opened.decodeFrame(0);
          const display = {
            width: frame.columns,
            height: frame.rows,
            gray: imaging.renderDisplay8(frame, opened.metadata),
          };
          return { imageId, ...downscaleGray(display, maxSize) };
        })();
        thumbnail.catch(() => thumbnails.delete(key));
        thumbnails.set(key, thumbnail);
      }
      return thumbnail;
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
      thumbnails.clear();
    },
  };
}
