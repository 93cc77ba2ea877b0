/** Inference results shared by the engine, the CLI, screening and the prediction panel. */
import type { Verdict } from './verdict';
import type { ModelCalibration } from './model-manifest';

export type ExecutionProviderName = 'cuda' | 'dml' | 'coreml' | 'webgpu' | 'cpu';

/** Which provider the engine ended up on, and why the ones asked before it were not used. */
export interface ExecutionProviderReport {
  active: ExecutionProviderName;
  requested: ExecutionProviderName[];
  rejected: { provider: ExecutionProviderName; reason: string }[];
  intraOpThreads: number;
}

export type ThresholdStatus = 'above-threshold' | 'below-threshold';

/**
 * A heatmap registered to the original image: cell (row r, column c) of the grid covers the
 * source-image rectangle x in [originX + c*cellWidth, originX + (c+1)*cellWidth), y likewise.
 * The grid covers exactly the region the model saw (its crop), in source pixel coordinates.
 */
export interface HeatmapGrid {
  method: 'class-activation' | 'occlusion';
  /** The class this map explains. */
  label: string;
  gridWidth: number;
  gridHeight: number;
  /** Row-major, gridWidth*gridHeight values, normalised to 0..1 (1 = most evidence for label). */
  values: Float32Array;
  originX: number;
  originY: number;
  cellWidth: number;
  cellHeight: number;
  /** Size of the source image the registration refers to. */
  imageWidth: number;
  imageHeight: number;
}

/**
 * The lung fields the segmenter found, on its grid laid over the whole image: cell (c, r) covers
 * source x in [c*imageWidth/gridWidth, (c+1)*imageWidth/gridWidth), y likewise.
 */
export interface LungOutlineGrid {
  gridWidth: number;
  gridHeight: number;
  /** Row-major, 1 = lung. */
  cells: Uint8Array;
  imageWidth: number;
  imageHeight: number;
  segmenterId: string;
}

export interface PredictionResult {
  status: 'scored';
  /** The chest gate's verdict (accepted; `decidedBy` null when the model has no segmenter). */
  gate: ChestGateVerdict;
  /** Lung fields the pipeline cropped to (models with a segmenter). */
  lungs?: LungOutlineGrid;
  modelId: string;
  modelName: string;
  modelVersion: string;
  labels: string[];
  /** In label order; sums to 1. */
  probabilities: number[];
  predictedLabel: string;
  predictedProbability: number;
  threshold: number;
  thresholdStatus: ThresholdStatus;
  executionProvider: ExecutionProviderName;
  timing: {
    decodeMs: number;
    /** Lung segmentation (0 without a segmenter). */
    segmentMs: number;
    preprocessMs: number;
    inferenceMs: number;
    heatmapMs: number;
    totalMs: number;
  };
  heatmap?: HeatmapGrid;
  /** call / uncertain / unfamiliar (src/shared/verdict.ts), decided from `probabilities`. */
  verdict: Verdict;
  /** The temperature applied to `probabilities`; null = the model is uncalibrated. */
  calibration: ModelCalibration | null;
}

/** Why the chest gate turned a film away (no probabilities are computed for it). */
export type GateRejectionCode = 'NOT_A_FRONTAL_CHEST_XRAY';

/**
 * The chest gate's verdict, decided before any score: from the DICOM header (modality, body part,
 * view position) and from the lung-field segmenter (two plausible lung fields). A rejection is a
 * result, not an error: the film is still shown, and reports say it was not scored.
 */
export interface ChestGateVerdict {
  accepted: boolean;
  /** Set when rejected. */
  code: GateRejectionCode | null;
  /** Plain-words reason, e.g. "Modality is CT, not a radiograph" or "no two lung fields found". */
  reason: string | null;
  /** Which check decided: the header, the segmenter, or none (accepted). */
  decidedBy: 'header' | 'segmenter' | null;
}

/** A film the gate turned away: what the UI, screening rows and reports get instead of scores. */
export interface RejectedFilm {
  status: 'rejected';
  gate: ChestGateVerdict;
  /** What the segmenter found, when it ran (a header rejection never runs it). */
  lungs?: LungOutlineGrid;
  modelId: string;
  modelName: string;
  modelVersion: string;
  executionProvider: ExecutionProviderName;
}

/** What the pipeline returns for one film: scores, or the gate's rejection. */
export type AnalysisResult = PredictionResult | RejectedFilm;

/** What the UI shows about the loaded model. */
export interface ModelInfo {
  id: string;
  name: string;
  version: string;
  labels: string[];
  thresholds: Record<string, number>;
  inputSize: { width: number; height: number };
  heatmapMethod: 'class-activation' | 'occlusion';
  provider: ExecutionProviderReport;
  intendedUse: string;
  hasModelCard: boolean;
  /** Plain-words summary of the model's validation and shortcut-audit figures, when known. */
  evaluationSummary?: string[];
  /** The lung segmenter the pipeline runs first, when the model names one. */
  segmenter?: { id: string; name: string; version: string; hasModelCard: boolean };
  /** Temperature applied to every probability; null = uncalibrated (show it as such). */
  calibration: ModelCalibration | null;
  /** How `call` is told from `uncertain`: the margin and how it was chosen (null: the default). */
  verdictRule: { margin: number; minProbability: number | null; chosenOn: string | null };
  /** The unfamiliar-film check from the training films' features; null = the model has none. */
  familiarityCheck: { unfamiliarAbove: number; fitted_on: string } | null;
}
