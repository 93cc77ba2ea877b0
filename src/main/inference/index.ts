export { createInferenceEngine, defaultModelDir, filmInputOf } from './engine';
export type {
  AnalyseOptions,
  Classification,
  FilmInput,
  InferenceEngine,
  InferenceEngineOptions,
} from './engine';
export {
  calibratedProbabilities,
  featureDistance,
  familiarityOf,
  pooledFeatures,
  softmax,
  trustedScores,
  verdictFor,
} from './trust';
export { defaultInferenceWorkers } from './worker-client';
export {
  assertGraphMatchesManifest,
  compareGraphWithManifest,
  loadModelManifest,
  parseModelManifest,
  sha256File,
  verifyGraphChecksum,
} from './manifest';
export type { GraphSignature, GraphValueInfo, LoadedManifest } from './manifest';
export {
  cropRect,
  gridRegistration,
  preprocessGray,
  resizeArea,
  resizeBilinear,
} from './preprocess';
export type { GrayImage, ModelTensor, PixelRect } from './preprocess';
export { defaultIntraOpThreads, platformProviderOrder } from './providers';
