/** The COVIDx dataset builder (`covidnet dataset build`); RULES.md says what it does in words. */
export {
  buildDataset,
  readKeptSplit,
  OUTPUT_FILES,
  type BuildOptions,
  type BuildResult,
} from './build';
export { DATASET_LABELS, MANIFEST_COLUMNS, SOURCE_KINDS, SPLIT_PARTS } from './types';
export type { DatasetLabel, DatasetSourceKind, ManifestRow, SourceSpec, SplitPart } from './types';
