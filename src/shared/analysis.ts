/**
 * The one result of analysing a film: what the engine's `analyse` returns and what the prediction
 * panel, the CLI, screening rows, reports and site validation all read. A film is either scored
 * (probabilities, verdict, heatmaps) or turned away by the chest gate (a result, not an error).
 */
import type { ModelCalibration } from './model-manifest';
import type { ExecutionProviderName } from './prediction';
import type { Verdict } from './verdict';

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

/** Which model produced an analysis, and where it ran. */
export interface AnalysisModel {
  modelId: string;
  modelName: string;
  modelVersion: string;
  executionProvider: ExecutionProviderName;
}

/** Milliseconds per stage of one analysis. */
export interface AnalysisTiming {
  decodeMs: number;
  /** Lung segmentation (0 without a segmenter). */
  segmentMs: number;
  preprocessMs: number;
  inferenceMs: number;
  /** Building the heatmaps (0 when analysed without them). */
  heatmapMs: number;
  totalMs: number;
}

/** A film the model scored. */
export interface ScoredFilm extends AnalysisModel {
  status: 'scored';
  /** The chest gate's verdict (accepted; `decidedBy` null when the model has no segmenter). */
  gate: ChestGateVerdict;
  /** Lung fields the pipeline cropped to (models with a segmenter). */
  lungs?: LungOutlineGrid;
  labels: string[];
  /** In label order; sums to 1 (calibrated when `calibration` is set). */
  probabilities: number[];
  /** The most probable label (the argmax of `probabilities`; nobody recomputes it). */
  predictedLabel: string;
  predictedProbability: number;
  threshold: number;
  thresholdStatus: ThresholdStatus;
  timing: AnalysisTiming;
  /**
   * Evidence maps for every class, by label (all from the same classifier run for class-activation
   * models); absent when the film was analysed without heatmaps.
   */
  heatmaps?: Record<string, HeatmapGrid>;
  /** call / uncertain / unfamiliar (src/shared/verdict.ts), decided from `probabilities`. */
  verdict: Verdict;
  /** The temperature applied to `probabilities`; null = the model is uncalibrated. */
  calibration: ModelCalibration | null;
}

/** A film the gate turned away: what the UI, screening rows and reports get instead of scores. */
export interface RejectedFilm extends AnalysisModel {
  status: 'rejected';
  gate: ChestGateVerdict;
  /** What the segmenter found, when it ran (a header rejection never runs it). */
  lungs?: LungOutlineGrid;
}

/** What analysing one film gives: scores, or the gate's rejection. */
export type FilmAnalysis = ScoredFilm | RejectedFilm;

/**
 * The heatmap explaining `label`, when the film has heatmaps. Default: the class the result
 * states (a call's class, which a site profile may make another than the highest), else the
 * highest class -- so a caption never names a class the result contradicts.
 */
export function heatmapFor(analysis: FilmAnalysis, label?: string): HeatmapGrid | undefined {
  if (analysis.status !== 'scored') return undefined;
  const called = analysis.verdict.kind === 'call' ? analysis.verdict.label : null;
  return analysis.heatmaps?.[label ?? called ?? analysis.predictedLabel];
}
