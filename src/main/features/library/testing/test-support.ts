/**
 * Archive-sized folders for the study-list test and bench: copies of the shared DICOM files,
 * each with new Study/Series/SOP Instance UIDs (written in place, same length, so nothing else
 * in the file moves), 100 files per subfolder. Not a shipped code path.
 */
import { readFileSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { parseDicomBytes } from '../../../platform/dicom/parse';

export const SHARED_DICOM_DIR = resolve(__dirname, '../../../../../../shared/data/dicom');

/** Shared files that list cleanly and whose UIDs can be rewritten (not deflated), by size. */
export const LISTABLE_SHARED_FILES = [
  'barre_cr_mono1_10bit_chest_j2k_lossless.dcm',
  'barre_cr_mono1_10bit_chest_jpegls_lossless.dcm',
  'ct_16bit_j2k_lossless.dcm',
  'pm_float32.dcm',
  'us_palette_color_rle.dcm',
  'mr_multiframe10_j2k_lossless.dcm',
  'ct_small_explicit_le.dcm',
  'nm_jpeg_extended_12bit.dcm',
  'mr_small_explicit_big_endian.dcm',
  'mr_small_rle.dcm',
  'mr_small_jpegls_lossless.dcm',
  'sc_rgb_rle.dcm',
];
/** Larger films (chest radiographs up to 1 MiB) for the bench. */
export const LARGER_SHARED_FILES = [
  'siim_cxr_cr_mono2_8bit_explicit_le.dcm',
  'nih_cxr_dx_mono2_8bit_rle.dcm',
  'nih_cxr_dx_mono2_8bit_jpeg_lossless_sv1.dcm',
  'barre_cr_mono1_10bit_chest_explicit_le.dcm',
  'siim_cxr_cr_mono2_8bit_jpegbaseline.dcm',
];

const UID_TAGS = { study: 'x0020000d', series: 'x0020000e', instance: 'x00080018' } as const;
const MEDIA_INSTANCE_TAG = 'x00020003';

interface Template {
  bytes: Uint8Array;
  /** Where each UID's value sits, and its length. */
  slots: { kind: keyof typeof UID_TAGS; offset: number; length: number }[];
}

function template(path: string): Template {
  const buffer = readFileSync(path);
  const bytes = new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength);
  const { dataSet } = parseDicomBytes(bytes, path);
  const base = dataSet.byteArray.byteOffset - bytes.byteOffset;
  const slots: Template['slots'] = [];
  for (const [kind, tag] of Object.entries(UID_TAGS) as [keyof typeof UID_TAGS, string][]) {
    for (const element of [
      dataSet.elements[tag],
      kind === 'instance' ? dataSet.elements[MEDIA_INSTANCE_TAG] : undefined,
    ]) {
      if (element && element.length >= 12)
        slots.push({ kind, offset: base + element.dataOffset, length: element.length });
    }
  }
  return { bytes, slots };
}

/** A valid UID of exactly `length` characters (2.25 root, no leading zeros), unique per kind and n. */
function uidOfLength(length: number, kind: keyof typeof UID_TAGS, n: number): string {
  const digit = { study: '1', series: '2', instance: '3' }[kind];
  const body = String(n).padStart(length - 7, '0');
  return `2.25.9${digit}${body}`.slice(0, length);
}

/**
 * Writes `count` files under `target` (subfolders of 100), cycling through `sources`; each
 * file is its own study and series. Returns the written paths.
 */
export async function makeDicomArchive(
  target: string,
  count: number,
  sources: string[] = LISTABLE_SHARED_FILES,
): Promise<string[]> {
  const templates = sources.map((name) => template(join(SHARED_DICOM_DIR, name)));
  const paths: string[] = [];
  for (let i = 0; i < count; i++) {
    const { bytes, slots } = templates[i % templates.length];
    const copy = bytes.slice();
    for (const slot of slots) {
      const uid = uidOfLength(slot.length, slot.kind, i);
      copy.set(Buffer.from(uid.padEnd(slot.length, '\0'), 'latin1'), slot.offset);
    }
    const folder = join(target, `batch${String(Math.floor(i / 100)).padStart(3, '0')}`);
    if (i % 100 === 0) await mkdir(folder, { recursive: true });
    const path = join(folder, `image${String(i).padStart(5, '0')}.dcm`);
    await writeFile(path, copy);
    paths.push(path);
  }
  return paths;
}
