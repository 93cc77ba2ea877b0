/**
 * A folder of 10,000 DICOM files (the shared files with new UIDs): the list fills from headers
 * alone, every file listed once, no frame decoded (decodeStoredFrame and openImage are counted),
 * progress streams while the walk goes, and a cancelled add keeps what it listed.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { LibraryAddProgress, LibrarySnapshot } from '../../../shared/library';
import * as imaging from '../../platform/imaging';
import { createLibrary, type LibraryImaging } from './library';
import { LISTABLE_SHARED_FILES, makeDicomArchive } from './testing/test-support';

const frameDecodes = vi.hoisted(() => ({ count: 0 }));
vi.mock('../../platform/dicom/decode', async (importOriginal) => {
  const real = await importOriginal<typeof import('../../platform/dicom/decode')>();
  return {
    ...real,
    decodeStoredFrame: (...args: Parameters<typeof real.decodeStoredFrame>) => {
      frameDecodes.count++;
      return real.decodeStoredFrame(...args);
    },
  };
});

const FILES = 10_000;
let archive: string;
let paths: string[];

beforeAll(async () => {
  archive = await mkdtemp(join(tmpdir(), 'library-archive-'));
  paths = await makeDicomArchive(join(archive, 'archive'), FILES);
}, 300_000);
afterAll(() => rm(archive, { recursive: true, force: true }));

function countingImaging(): LibraryImaging & { opens: number } {
  const counted = {
    opens: 0,
    openImage: (path: string) => {
      counted.opens++;
      return imaging.openImage(path);
    },
    readDicomdir: imaging.readDicomdir,
  };
  return counted;
}

function allImages(snapshot: LibrarySnapshot) {
  return snapshot.patients.flatMap((p) =>
    p.studies.flatMap((s) => s.series.flatMap((se) => se.images)),
  );
}

describe('study list at archive scale', () => {
  it('lists 10,000 DICOM files from their headers without decoding a frame', async () => {
    const counted = countingImaging();
    const library = createLibrary({ imaging: counted });
    const progress: LibraryAddProgress[] = [];
    let listedWhileWalking = 0;
    const snapshot = await library.addPaths([join(archive, 'archive')], {
      onProgress: (p) => {
        progress.push(p);
        if (p.state === 'reading' && listedWhileWalking === 0)
          listedWhileWalking = allImages(library.snapshot()).length;
      },
      progressIntervalMs: 50,
    });
    expect(frameDecodes.count).toBe(0);
    expect(counted.opens).toBe(0);

    expect(snapshot.problems).toEqual([]);
    const images = allImages(snapshot);
    expect(images).toHaveLength(FILES);
    expect(new Set(images.map((i) => i.imageId)).size).toBe(FILES);
    const expectedNames = paths.map(
      (p) => `archive/${p.slice(join(archive, 'archive').length + 1)}`,
    );
    expect(images.map((i) => i.displayName).sort()).toEqual(expectedNames.sort());
    // Every file has its own study (new UIDs), grouped under the source file's patient.
    const studies = snapshot.patients.flatMap((p) => p.studies);
    expect(studies).toHaveLength(FILES);
    const multiframeCopies = paths.filter(
      (_, i) =>
        LISTABLE_SHARED_FILES[i % LISTABLE_SHARED_FILES.length] ===
        'mr_multiframe10_j2k_lossless.dcm',
    ).length;
    expect(images.filter((i) => i.modality === 'MR' && i.numberOfFrames === 10)).toHaveLength(
      multiframeCopies,
    );

    // The list streamed: progress came while reading, with images already listed.
    expect(progress.filter((p) => p.state === 'reading').length).toBeGreaterThan(2);
    expect(listedWhileWalking).toBeGreaterThan(0);
    expect(listedWhileWalking).toBeLessThan(FILES);
    expect(progress.at(-1)).toEqual({
      state: 'finished',
      filesFound: FILES,
      filesRead: FILES,
      imagesListed: FILES,
      problems: 0,
    });

    // The counter does see decodes: opening one image for the viewer decodes one frame.
    const loaded = await library.loadFrame(images[0].imageId, 0);
    expect(loaded.frame.rows).toBeGreaterThan(0);
    expect(frameDecodes.count).toBe(1);
  }, 300_000);

  it('stops on cancel, keeps what it listed, and a second add lists the rest once', async () => {
    const library = createLibrary({ imaging: countingImaging() });
    const controller = new AbortController();
    const first = await library.addPaths([join(archive, 'archive')], {
      signal: controller.signal,
      progressIntervalMs: 0,
      onProgress: (p) => {
        if (p.filesRead >= 500) controller.abort();
      },
    });
    const partial = allImages(first).length;
    expect(partial).toBeGreaterThanOrEqual(500);
    expect(partial).toBeLessThan(FILES);

    let last: LibraryAddProgress | undefined;
    const second = await library.addPaths([join(archive, 'archive')], {
      onProgress: (p) => (last = p),
    });
    expect(allImages(second)).toHaveLength(FILES);
    expect(new Set(allImages(second).map((i) => i.imageId)).size).toBe(FILES);
    expect(last?.state).toBe('finished');
    expect(last?.imagesListed).toBe(FILES - partial);
  }, 300_000);
});
