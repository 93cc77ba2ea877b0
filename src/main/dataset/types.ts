/** What the dataset builder passes between its stages (readers, hashing, grouping, split, writing). */

/** The three classes COVIDx (and the model) use. */
export const DATASET_LABELS = ['normal', 'pneumonia', 'COVID-19'] as const;
export type DatasetLabel = (typeof DATASET_LABELS)[number];

export const SOURCE_KINDS = [
  'cohen',
  'figure1',
  'actualmed',
  'nih',
  'rsna',
  'c19rdb',
  'site',
  'manifest',
] as const;
export type DatasetSourceKind = (typeof SOURCE_KINDS)[number];

export const SPLIT_PARTS = ['train', 'val', 'test'] as const;
export type SplitPart = (typeof SPLIT_PARTS)[number];

/** One `--source <kind>[:<name>]=<folder>`. */
export interface SourceSpec {
  kind: DatasetSourceKind;
  /** The manifest's `source` value (the kind unless a name was given). */
  name: string;
  folder: string;
}

/**
 * One row of a source's metadata, read and judged by the rules. `exclusion` set: the row does
 * not go in (the reason is counted); else `label` is one of the three classes.
 */
export interface Candidate {
  /** The manifest `source` value. */
  source: string;
  kind: DatasetSourceKind;
  /** Absolute path of the image (in place, never copied); null when the file is missing. */
  path: string | null;
  /** `<source>:<path inside the source folder>` (or the metadata's own name for it). */
  originalPath: string;
  /** Source-prefixed patient id (`cohen-12`, `nih-00000013`). */
  patientId: string;
  /** The finding as the metadata wrote it (for the exclusion detail and the datasheet). */
  finding: string;
  label: DatasetLabel | null;
  /** Normalised view (`PA`, `AP`, `AP supine`, ...), `not recorded`, or null to read the DICOM header. */
  view: string | null;
  licence: string;
  exclusion: string | null;
  /** Position of its `--source` on the command line (set by the builder; copies prefer the first). */
  order?: number;
}

/** A candidate that passed the metadata rules and was decoded and hashed. */
export interface Film extends Candidate {
  path: string;
  label: DatasetLabel;
  view: string;
  width: number;
  height: number;
  /** SHA-256 of the file's bytes. */
  sha256: string;
  /** 256-bit difference hash of the picture squashed to a square (8 x 32 bits). */
  dhash: Uint32Array;
  /** Local detail of the 64 x 64 square (see fingerprint.ts), for correlation. */
  detail: Int8Array;
  detailNorm: number;
}

export type DuplicateKind = 'exact' | 'near' | 'inverted';

export interface DuplicatePair {
  a: number;
  b: number;
  kind: DuplicateKind;
  /** Bits apart of the 256-bit difference hashes (against the complement for `inverted`). */
  hamming: number;
  /** Correlation of the detail images (of one against the negative for `inverted`). */
  correlation: number;
}

export interface ManifestRow {
  file: string;
  label: DatasetLabel;
  patient_id: string;
  group_id: string;
  source: string;
  view: string;
  split: SplitPart;
  licence: string;
  original_path: string;
}

/** The columns of manifest.csv, in order (training reads them by name). */
export const MANIFEST_COLUMNS: readonly (keyof ManifestRow)[] = [
  'file',
  'label',
  'patient_id',
  'group_id',
  'source',
  'view',
  'split',
  'licence',
  'original_path',
];
