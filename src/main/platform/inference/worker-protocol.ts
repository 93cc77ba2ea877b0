/** Messages between the engine (calling thread) and the onnxruntime worker. */
import type { ExecutionProviderName } from '../../../shared/prediction';
import type { GraphValueInfo } from './manifest';

export interface WorkerTensor {
  /** float32 data; the ArrayBuffer is transferred, not copied. */
  data: ArrayBuffer;
  dims: number[];
}

export type WorkerRequest =
  | {
      type: 'init';
      /** Key of the session (one worker holds the classifier and the segmenter). */
      session: string;
      graphPath: string;
      providers: ExecutionProviderName[];
      intraOpThreads: number;
    }
  | {
      type: 'run';
      id: number;
      session: string;
      feeds: Record<string, WorkerTensor>;
      fetches: string[];
    };

export type WorkerReply =
  | {
      type: 'ready';
      active: ExecutionProviderName;
      rejected: { provider: ExecutionProviderName; reason: string }[];
      inputs: GraphValueInfo[];
      outputs: GraphValueInfo[];
    }
  | {
      type: 'init-failed';
      message: string;
      rejected: { provider: ExecutionProviderName; reason: string }[];
    }
  | { type: 'result'; id: number; outputs: Record<string, WorkerTensor>; runMs: number }
  | { type: 'run-failed'; id: number; message: string };
