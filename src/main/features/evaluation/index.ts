export { readEvaluationManifest, runEvaluation } from './evaluate';
export type {
  EvaluatedImage,
  EvaluationOptions,
  EvaluationOutcome,
  ManifestEntry,
} from './evaluate';
export { argmax, computeMetrics, confusionMatrix, rocAuc, rocCurve } from '../../base/metrics';
export type {
  ClassMetrics,
  EvaluationMetrics,
  EvaluationSample,
  SourceMetrics,
} from '../../base/metrics';
export {
  bootstrapInterval,
  ECE_BINS,
  expectedCalibrationError,
  reliabilitySvg,
  verdictFigures,
} from './calibration';
export type { CalibrationFigures, ReliabilityBin, VerdictFigures } from './calibration';
