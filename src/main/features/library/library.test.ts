import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { PNG } from 'pngjs';
import { afterAll, describe, expect, it } from 'vitest';
import type { LibrarySnapshot } from '../../../shared/library';
import * as imaging from '../../platform/imaging';
import { createLibrary, UNIDENTIFIED_PATIENT } from './library';

const dicomDir = resolve(__dirname, '../../../../../shared/data/dicom');
const cxrDir = resolve(__dirname, '../../../../../shared/data/cxr/images');
const work = mkdtempSync(join(tmpdir(), 'library-test-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

const OPAQUE_ID = /^[0-9a-f]{32}$/;

function allImages(snapshot: LibrarySnapshot) {
  return snapshot.patients.flatMap((p) =>
    p.studies.flatMap((s) => s.series.flatMap((se) => se.images)),
  );
}

/** A 40x20 gradient PNG written to the test's temp folder. */
function writePng(path: string): void {
  const png = new PNG({ width: 40, height: 20, colorType: 0, inputColorType: 0 });
  for (let y = 0; y < 20; y++) for (let x = 0; x < 40; x++) png.data[y * 40 + x] = x * 6;
  writeFileSync(path, PNG.sync.write(png, { colorType: 0, inputColorType: 0 }));
}

describe('library on real files', () => {
  it('groups a DICOMDIR set patient > study > series > image', async () => {
    const library = createLibrary({ imaging });
    const snapshot = await library.addPaths([join(dicomDir, 'dicomdir_set', 'DICOMDIR')]);
    expect(snapshot.problems).toEqual([]);
    expect(snapshot.patients.map((p) => [p.patientName, p.patientId])).toEqual([
      ['Doe Archibald', '77654033'],
      ['Doe Peter', '98890234'],
    ]);
    const archibald = snapshot.patients[0];
    // Newest study first.
    expect(archibald.studies.map((s) => s.studyDate)).toEqual(['20010101', '19950903']);
    const ct = archibald.studies[1].series;
    expect(ct).toHaveLength(1);
    expect(ct[0].modality).toBe('CT');
    expect(ct[0].images.map((i) => i.instanceNumber)).toEqual([18, 180, 181, 182]);
    expect(archibald.studies[0].series.map((s) => s.seriesNumber)).toEqual([1, 2, 3]);

    const images = allImages(snapshot);
    expect(images.length).toBeGreaterThan(20);
    expect(new Set(images.map((i) => i.imageId)).size).toBe(images.length);
    for (const image of images) expect(image.imageId).toMatch(OPAQUE_ID);
    // The renderer gets ids and names relative to what was opened, never absolute paths.
    expect(JSON.stringify(snapshot)).not.toContain(dicomDir);
    expect(images[0].displayName).toMatch(/^dicomdir_set\/77654033\/CR1\//);
  });

  it('lists PNG and JPEG files under the unidentified patient, one study per file', async () => {
    const library = createLibrary({ imaging });
    const png = join(work, 'gradient.png');
    writePng(png);
    const jpeg = join(
      cxrDir,
      'actualmed-CR_1_2_840_113564_1722810170_20200320072856343530_1003000225002_png.jpg',
    );
    const snapshot = await library.addPaths([png, jpeg]);
    expect(snapshot.problems).toEqual([]);
    expect(snapshot.patients).toHaveLength(1);
    const [patient] = snapshot.patients;
    expect(patient.patientName).toBe(UNIDENTIFIED_PATIENT);
    expect(patient.studies.map((s) => s.description).sort()).toEqual([
      'actualmed-CR_1_2_840_113564_1722810170_20200320072856343530_1003000225002_png.jpg',
      'gradient.png',
    ]);
    const images = allImages(snapshot);
    expect(images.map((i) => i.sourceKind).sort()).toEqual(['jpeg', 'png']);

    const pngImage = images.find((i) => i.sourceKind === 'png');
    const loaded = await library.loadFrame(pngImage!.imageId, 0);
    expect([loaded.frame.columns, loaded.frame.rows]).toEqual([40, 20]);
    const thumbnail = await library.thumbnail(pngImage!.imageId, 16);
    expect([thumbnail.width, thumbnail.height]).toEqual([16, 8]);
    // Area-averaged gradient: dark on the left, bright on the right.
    expect(thumbnail.gray[0]).toBeLessThan(thumbnail.gray[15]);
  });

  it('lists unreadable files as problems with their codes, and skips non-images in folders', async () => {
    const folder = join(work, 'mixed');
    mkdirSync(join(folder, 'nested'), { recursive: true });
    copyFileSync(join(dicomDir, 'odd_mr_truncated.dcm'), join(folder, 'truncated.dcm'));
    copyFileSync(join(dicomDir, 'nopixels_sr.dcm'), join(folder, 'nested', 'report.dcm'));
    copyFileSync(join(dicomDir, 'odd_meta_missing_transfer_syntax.dcm'), join(folder, 'no-ts.dcm'));
    copyFileSync(join(dicomDir, 'ct_small_explicit_le.dcm'), join(folder, 'nested', 'ct.dcm'));
    writeFileSync(join(folder, 'README.txt'), 'not an image');

    const library = createLibrary({ imaging });
    const snapshot = await library.addPaths([
      folder,
      join(folder, 'README.txt'),
      join(work, 'missing.dcm'),
    ]);
    const problems = Object.fromEntries(
      snapshot.problems.map((p) => [p.displayName, p.error.code]),
    );
    expect(problems).toEqual({
      'mixed/truncated.dcm': 'TRUNCATED',
      'mixed/nested/report.dcm': 'NO_PIXEL_DATA',
      'mixed/no-ts.dcm': 'MISSING_TRANSFER_SYNTAX',
      // Named directly, so reported; found by the folder walk, it was skipped silently.
      'README.txt': 'UNSUPPORTED_FORMAT',
      'missing.dcm': 'FILE_NOT_FOUND',
    });
    expect(allImages(snapshot).map((i) => i.displayName)).toEqual(['mixed/nested/ct.dcm']);

    // Adding the same folder again lists nothing twice and keeps the ids.
    const again = await library.addPaths([folder]);
    expect(allImages(again)).toEqual(allImages(snapshot));
  });

  it('loads any frame of a multi-frame file and refuses frames past the end', async () => {
    const library = createLibrary({ imaging });
    const snapshot = await library.addPaths([join(dicomDir, 'mr_multiframe10_j2k_lossless.dcm')]);
    const [image] = allImages(snapshot);
    expect(image.numberOfFrames).toBe(10);
    const last = await library.loadFrame(image.imageId, 9);
    expect(last.frame.frameIndex).toBe(9);
    expect(last.frame.modalityPixels).toBeInstanceOf(Float32Array);
    await expect(library.loadFrame(image.imageId, 10)).rejects.toMatchObject({
      code: 'FRAME_OUT_OF_RANGE',
    });
  });

  it('resolves only ids it handed out', async () => {
    const library = createLibrary({ imaging });
    await expect(library.loadFrame('0123456789abcdef0123456789abcdef', 0)).rejects.toMatchObject({
      code: 'INVALID_REQUEST',
    });
    expect(() => library.folderPath('nope')).toThrow(/Unknown folder id/);

    const folderId = library.registerFolder(dicomDir);
    expect(folderId).toMatch(OPAQUE_ID);
    expect(library.registerFolder(dicomDir)).toBe(folderId);
    expect(library.folderPath(folderId)).toBe(dicomDir);

    // A screening row's file opens by id without joining the study list.
    const rowImage = library.registerScreenedFile(join(dicomDir, 'nih_cxr_dx_mono2_8bit_rle.dcm'));
    expect(library.snapshot().patients).toEqual([]);
    const loaded = await library.loadFrame(rowImage, 0);
    expect(loaded.metadata.modality).toBe('DX');
    const thumbnail = await library.thumbnail(rowImage, 64);
    expect([thumbnail.width, thumbnail.height, thumbnail.gray.length]).toEqual([64, 64, 64 * 64]);
  });
});
