/** What the engine reports about itself: its execution provider and the model the UI shows. */
import type { ModelCalibration } from './model-manifest';

export type ExecutionProviderName = 'cuda' | 'dml' | 'coreml' | 'webgpu' | 'cpu';

/** Which provider the engine ended up on, and why the ones asked before it were not used. */
export interface ExecutionProviderReport {
  active: ExecutionProviderName;
  requested: ExecutionProviderName[];
  rejected: { provider: ExecutionProviderName; reason: string }[];
  intraOpThreads: number;
}

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
