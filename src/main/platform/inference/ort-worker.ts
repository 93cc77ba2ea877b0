/**
 * The worker thread that owns the onnxruntime InferenceSession. `session.run` blocks its thread,
 * so it lives here and the calling thread (Electron main, CLI, screening) stays free.
 */
import { parentPort } from 'node:worker_threads';
import * as ort from 'onnxruntime-node';
import type { ExecutionProviderName } from '../../../shared/prediction';
import type { GraphValueInfo } from './manifest';
import type { WorkerReply, WorkerRequest, WorkerTensor } from './worker-protocol';

// Provider load failures are returned in `rejected`; without this ORT also prints them to stderr.
ort.env.logLevel = 'fatal';

const sessions = new Map<string, ort.InferenceSession>();

function post(reply: WorkerReply, transfer: ArrayBuffer[] = []): void {
  parentPort?.postMessage(reply, transfer);
}

function describe(meta: readonly ort.InferenceSession.ValueMetadata[]): GraphValueInfo[] {
  return meta.map((m) =>
    m.isTensor ? { name: m.name, type: m.type, shape: [...m.shape] } : { name: m.name },
  );
}

async function init(request: Extract<WorkerRequest, { type: 'init' }>): Promise<void> {
  const rejected: { provider: ExecutionProviderName; reason: string }[] = [];
  for (const provider of request.providers) {
    try {
      const session = await ort.InferenceSession.create(request.graphPath, {
        executionProviders: [provider],
        intraOpNumThreads: request.intraOpThreads,
        interOpNumThreads: 1,
        graphOptimizationLevel: 'all',
      });
      sessions.set(request.session, session);
      post({
        type: 'ready',
        active: provider,
        rejected,
        inputs: describe(session.inputMetadata),
        outputs: describe(session.outputMetadata),
      });
      return;
    } catch (error) {
      rejected.push({ provider, reason: error instanceof Error ? error.message : String(error) });
    }
  }
  post({ type: 'init-failed', message: 'no execution provider could load the model', rejected });
}

async function run(request: Extract<WorkerRequest, { type: 'run' }>): Promise<void> {
  const session = sessions.get(request.session);
  if (!session) {
    post({
      type: 'run-failed',
      id: request.id,
      message: `session ${request.session} not initialised`,
    });
    return;
  }
  try {
    const feeds: Record<string, ort.Tensor> = {};
    for (const [name, t] of Object.entries(request.feeds)) {
      feeds[name] = new ort.Tensor('float32', new Float32Array(t.data), t.dims);
    }
    const started = performance.now();
    const results = await session.run(feeds, request.fetches);
    const runMs = performance.now() - started;
    const outputs: Record<string, WorkerTensor> = {};
    const transfer: ArrayBuffer[] = [];
    for (const name of request.fetches) {
      const tensor = results[name];
      // Copy out of ORT's buffer so the copy can be transferred to the caller.
      const copy = Float32Array.from(tensor.data as Float32Array);
      outputs[name] = { data: copy.buffer, dims: [...tensor.dims] };
      transfer.push(copy.buffer);
      tensor.dispose();
    }
    post({ type: 'result', id: request.id, outputs, runMs }, transfer);
  } catch (error) {
    post({
      type: 'run-failed',
      id: request.id,
      message: error instanceof Error ? error.message : String(error),
    });
  }
}

// Requests are handled one at a time in arrival order: a run never overlaps another.
let queue: Promise<void> = Promise.resolve();
parentPort?.on('message', (request: WorkerRequest) => {
  queue = queue.then(() => (request.type === 'init' ? init(request) : run(request)));
});
