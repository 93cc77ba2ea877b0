export {
  LABELS_MANIFEST_FILE,
  REPORT_FILE,
  SCORES_FILE,
  readSiteValidationReport,
  readStoredScores,
  runDirOf,
  noLabelsMessage,
  plural,
  runSiteValidation,
} from './run';
export type { SiteValidationOptions, SiteValidationOutcome, StoredScores } from './run';
export { joinLabels, readLabelsCsv, readingsAsLabels } from './labels';
export type { FilmLabel, LabelJoin } from './labels';
export { chooseOperatingPoint } from './operating-point';
export type { ScoredFilm } from './operating-point';
export {
  PROFILES_FILE,
  defaultSiteValidationDir,
  namedOperatingPoint,
  openSiteProfileStore,
} from './profiles';
export type { CreateProfileRequest, SiteProfileStore } from './profiles';
export { smallNShortfalls } from './profiles';
export { aucEstimate, thresholdForSensitivity, wilsonEstimate } from './statistics';
export {
  crossFittedRecalibration,
  fitSiteCalibration,
  recalibrationOfScores,
} from './recalibration';
export { formatChoice, formatEstimate, formatRecalibration, siteValidationLines } from './summary';
