/**
 * Joining films to labels: a CSV path (relative to the CSV, or absolute) matches a film by real
 * path, so a linked copy matches; a reader's reading of a DICOM study labels that study's film
 * found elsewhere; labels that are no model class and labels without a film are counted.
 */
import { copyFile, mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DICOM_DIR } from '../inference/test-support';
import { readImageHeader } from '../library/header-index';
import { newReading } from '../reader-readings';
import { joinLabels, readLabelsCsv, readingsAsLabels } from './labels';

const DICOM_FILM = join(DICOM_DIR, 'nih_cxr_dx_mono2_8bit_explicit_le.dcm');
const OTHER_FILM = join(DICOM_DIR, 'barre_cr_mono1_10bit_chest_explicit_le.dcm');
const CLASSES = ['normal', 'pneumonia', 'COVID-19'];
let scratch: string;

beforeAll(async () => {
  scratch = await mkdtemp(join(tmpdir(), 'covidnet-labels-'));
  await mkdir(join(scratch, 'films'));
});
afterAll(async () => {
  await rm(scratch, { recursive: true, force: true });
});

describe('label join', () => {
  it('matches CSV paths by real path and counts what it cannot use', async () => {
    const linked = join(scratch, 'films', 'linked.dcm');
    await symlink(DICOM_FILM, linked);
    const copied = join(scratch, 'films', 'copy.dcm');
    await copyFile(OTHER_FILM, copied);
    await writeFile(
      join(scratch, 'labels.csv'),
      // The linked film is named by its source; the copy by a path relative to the CSV.
      `path,label\n${DICOM_FILM},pneumonia\nfilms/copy.dcm,other\nfilms/missing.dcm,normal\n`,
    );
    const labels = await readLabelsCsv(join(scratch, 'labels.csv'));
    const join_ = await joinLabels(
      [copied, linked, join(scratch, 'films', 'x.png')],
      labels,
      CLASSES,
    );
    expect(join_.labelled).toEqual([{ path: linked, label: 'pneumonia' }]);
    expect(join_.excludedByLabel).toEqual({ other: 1 });
    expect(join_.unlabelled).toEqual([join(scratch, 'films', 'x.png')]);
    expect(join_.labelsWithoutFilm).toBe(1);
  });

  it("labels a study's film with the reading made on that study elsewhere", async () => {
    const header = await readImageHeader(DICOM_FILM);
    const studyInstanceUid =
      header.kind === 'image' ? (header.summary.studyInstanceUid ?? null) : null;
    expect(studyInstanceUid).toBeTruthy();
    // Read in the viewer from another folder (e.g. the DICOM inbox), validated from this copy.
    const reading = newReading(
      { reading: 'COVID-19', agreement: 'agree', note: '', ai: null },
      { path: '/inbox/elsewhere.dcm', studyInstanceUid },
    );
    const copy = join(scratch, 'films', 'study-copy.dcm');
    await copyFile(DICOM_FILM, copy);
    const join_ = await joinLabels(
      [copy],
      readingsAsLabels([{ ...reading, id: 'r1', recordedAt: '' }]),
      CLASSES,
    );
    expect(join_.labelled).toEqual([{ path: copy, label: 'COVID-19' }]);
    expect(join_.labelsWithoutFilm).toBe(0);
  });

  it('matches labels to the model classes without regard to case, and lists labels without a film', async () => {
    const a = join(scratch, 'films', 'case-a.dcm');
    const b = join(scratch, 'films', 'case-b.dcm');
    await copyFile(DICOM_FILM, a);
    await copyFile(OTHER_FILM, b);
    await writeFile(
      join(scratch, 'case.csv'),
      'path,label\nfilms/case-a.dcm,covid-19\nfilms/case-b.dcm, Normal \nfilms/gone.dcm,normal\n',
    );
    const join_ = await joinLabels([a, b], await readLabelsCsv(join(scratch, 'case.csv')), CLASSES);
    expect(join_.labelled).toEqual([
      { path: a, label: 'COVID-19' },
      { path: b, label: 'normal' },
    ]);
    // The CSV reader trims cells, so " Normal " arrives as "Normal".
    expect(join_.caseFolded).toEqual({ 'covid-19': 'COVID-19', Normal: 'normal' });
    expect(join_.labelsWithoutFilmPaths).toEqual([join(scratch, 'films', 'gone.dcm')]);
  });

  it('refuses a CSV without path and label columns', async () => {
    await writeFile(join(scratch, 'bad.csv'), 'file_name,class\na.png,normal\n');
    await expect(readLabelsCsv(join(scratch, 'bad.csv'))).rejects.toThrow(
      /needs "path" \(or "file"\) and "label"/,
    );
  });
});
