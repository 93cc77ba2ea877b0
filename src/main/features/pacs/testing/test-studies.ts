/**
 * Test studies for the PACS tests and bench: the shared chest films (CR and DX, several transfer
 * syntaxes), copied into a temporary folder and given, with dcmodify, new Study / Series / SOP
 * Instance UIDs and their own patient, accession number and study date. Never written in place.
 */
import { chmod, copyFile, mkdir } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { DICOM_DIR } from '../../../platform/inference/testing/test-support';
import { dumpValues, run } from '../../../platform/dicom-network/testing/test-support';

/** Chest films with File Meta, small enough to screen quickly on two cores. */
export const CHEST_SOURCES: readonly string[] = [
  'nih_cxr_dx_mono2_8bit_explicit_le.dcm',
  'siim_cxr_cr_mono2_8bit_jpegbaseline.dcm',
  'nih_cxr_dx_mono2_8bit_jpegls_lossless.dcm',
  'barre_cr_mono1_10bit_chest_explicit_le.dcm',
  'nih_cxr_dx_mono2_8bit_rle.dcm',
  'siim_cxr_cr_mono2_8bit_explicit_le.dcm',
  'barre_cr_mono1_10bit_chest_jpegls_lossless.dcm',
  'barre_cr_mono1_10bit_chest_rle.dcm',
  'nih_cxr_dx_mono2_8bit_jpeg_lossless_sv1.dcm',
  'nih_cxr_dx_mono2_8bit_implicitvr.dcm',
].map((name) => join(DICOM_DIR, name));

export interface TestStudy {
  path: string;
  studyInstanceUid: string;
  sopInstanceUid: string;
  patientName: string;
  patientId: string;
  accessionNumber: string;
  studyDate: string;
}

/** `count` one-film studies in `dir`; study i is dated 2026-11-(i+1) (i < 28). */
export async function makeTestStudies(
  dir: string,
  count: number,
  prefix = 'PACS',
): Promise<TestStudy[]> {
  await mkdir(dir, { recursive: true });
  const studies: Omit<TestStudy, 'studyInstanceUid' | 'sopInstanceUid'>[] = [];
  for (let i = 0; i < count; i++) {
    const source = CHEST_SOURCES[i % CHEST_SOURCES.length];
    const path = join(dir, `${String(i).padStart(3, '0')}-${basename(source)}`);
    await copyFile(source, path);
    await chmod(path, 0o644);
    const n = String(i + 1).padStart(2, '0');
    const study = {
      path,
      patientName: `${prefix}^Patient${n}`,
      patientId: `${prefix}${n}`,
      accessionNumber: `${prefix}ACC${n}`,
      studyDate: `202611${String((i % 28) + 1).padStart(2, '0')}`,
    };
    await run('dcmodify', [
      '-nb',
      '-q',
      '-gst',
      '-gse',
      '-gin',
      '-i',
      `(0010,0010)=${study.patientName}`,
      '-i',
      `(0010,0020)=${study.patientId}`,
      '-i',
      `(0008,0050)=${study.accessionNumber}`,
      '-i',
      `(0008,0020)=${study.studyDate}`,
      path,
    ]);
    studies.push(study);
  }
  const paths = studies.map((s) => s.path);
  const studyUids = await dumpValues(paths, '0020,000d');
  const sopUids = await dumpValues(paths, '0008,0018');
  return studies.map((study, i) => ({
    ...study,
    studyInstanceUid: studyUids[i],
    sopInstanceUid: sopUids[i],
  }));
}

/** The data set of a Part 10 file: what follows group 0002 (its length from (0002,0000)). */
export function datasetOf(file: Uint8Array): Buffer {
  const bytes = Buffer.from(file.buffer, file.byteOffset, file.byteLength);
  if (bytes.toString('latin1', 128, 132) !== 'DICM') throw new Error('not a Part 10 file');
  if (bytes.readUInt32LE(132) !== 0x00000002) throw new Error('(0002,0000) is not first');
  return bytes.subarray(144 + bytes.readUInt32LE(140));
}
