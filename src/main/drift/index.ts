export { compareWithReference, describeDifference, DRIFT_ALPHA, MIN_RECENT_FILMS } from './compare';
export type { DriftReferenceSummary } from './compare';
export { observationOfOutcome, observationOfRow, observeFiles, observeFolders } from './observe';
export type { ObservedFilms } from './observe';
export {
  DRIFT_REFERENCE_FILE,
  DRIFT_REFERENCE_GENERATOR,
  driftReferenceJson,
  readDriftReference,
} from './reference';
export type { DriftReferenceFile } from './reference';
export { fisherExact, ksTwoSample } from './statistics';
export { driftOfRecentFilms, RECENT_FILMS_LIMIT } from './recent';
export type { RecentRowsSource } from './recent';
