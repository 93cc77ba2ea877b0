/** Batch screening types shared by the service, the CLI and the screening view. */
import type { ErrorCode } from './errors';
import type { ExecutionProviderName } from './prediction';
import type { Verdict } from './verdict';

/**
 * `rejected`: the chest gate turned the film away (errorCode says why); no probabilities.
 * `skipped`: the file is named like an image but is not one (errorMessage says what it is).
 * `error`: an image that could not be read or scored.
 */
export type ScreeningRowStatus = 'ok' | 'error' | 'rejected' | 'skipped';

export interface ScreeningRow {
  /** Path of the source file (as given/walked on this machine). */
  path: string;
  /** For DICOM multi-frame / DICOMDIR entries: the frame screened (0-based). */
  frame: number;
  status: ScreeningRowStatus;
  errorCode: ErrorCode | null;
  errorMessage: string | null;
  /** Probabilities in `labels` order (null for error rows). */
  probabilities: number[] | null;
  prediction: string | null;
  modelId: string;
  executionProvider: ExecutionProviderName | null;
  ms: number;
  /**
   * call / uncertain / unfamiliar for scored rows (null otherwise). Absent in rows stored before
   * the verdict existed; those rows are read, sorted and exported without one.
   */
  verdict?: Verdict | null;
}

export type ScreeningState = 'scanning' | 'running' | 'finished' | 'cancelled' | 'failed';

export interface ScreeningProgress {
  jobId: string;
  state: ScreeningState;
  total: number;
  done: number;
  errors: number;
  /** Images per second over the recent window. */
  ratePerSecond: number;
  /** Seconds left at the current rate; null when unknown. */
  etaSeconds: number | null;
  /** Rows carried over from an earlier, interrupted run of the same job. */
  resumed: number;
  message?: string;
}

export interface ScreeningJobSummary {
  jobId: string;
  folders: string[];
  modelId: string;
  labels: string[];
  createdAt: string;
  state: ScreeningState | 'interrupted';
  total: number;
  done: number;
  errors: number;
}
