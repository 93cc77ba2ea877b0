/**
 * The calling thread's side of the onnxruntime workers: one client per worker (init, then numbered
 * run requests answered by id), and a pool that sends each run to the least busy worker.
 */
import { join } from 'node:path';
import type { Worker } from 'node:worker_threads';
import { CodedError } from '../../../shared/errors';
import { disableOnnxruntimeTelemetry } from '../../base/offline/onnxruntime-telemetry';
import { findRepoRoot } from '../../base/resources';
import { spawnEntryWorker } from '../../base/workers/spawn-entry-worker';
import type { WorkerReply, WorkerRequest, WorkerTensor } from './worker-protocol';

/** Starts the worker (`ort-worker.js` in a build, `ort-worker.ts` from sources; see spawnEntryWorker). */
function spawnOrtWorker(): Worker {
  disableOnnxruntimeTelemetry();
  const appRoot = findRepoRoot(__dirname);
  return spawnEntryWorker({
    name: 'ort-worker',
    callerDir: __dirname,
    sourceDirs: appRoot ? [join(appRoot, 'src', 'main', 'platform', 'inference')] : [],
    missingCode: 'INFERENCE_FAILED',
  });
}

export type ReadyReply = Extract<WorkerReply, { type: 'ready' }>;
export type ResultReply = Extract<WorkerReply, { type: 'result' }>;
export type InitRequest = Extract<WorkerRequest, { type: 'init' }>;

/** Owns one worker: one init per session, then numbered run requests answered by id. */
export class OrtWorkerClient {
  private readonly worker = spawnOrtWorker();
  private nextId = 1;
  private readonly pending = new Map<
    number,
    { resolve: (r: ResultReply) => void; reject: (e: Error) => void }
  >();
  private initWaiter: { resolve: (r: ReadyReply) => void; reject: (e: Error) => void } | null =
    null;
  private dead: Error | null = null;

  constructor() {
    this.worker.on('message', (reply: WorkerReply) => this.onReply(reply));
    this.worker.on('error', (error) => this.fail(error));
    this.worker.on('exit', (code) =>
      this.fail(new Error(`inference worker exited (code ${code})`)),
    );
  }

  /** Runs sent and not yet answered. */
  get inFlight(): number {
    return this.pending.size;
  }

  private fail(error: Error): void {
    this.dead ??= error;
    const coded = new CodedError('INFERENCE_FAILED', `Inference worker stopped: ${error.message}`, {
      cause: error,
    });
    this.initWaiter?.reject(coded);
    this.initWaiter = null;
    for (const waiter of this.pending.values()) waiter.reject(coded);
    this.pending.clear();
  }

  private onReply(reply: WorkerReply): void {
    if (reply.type === 'ready') {
      this.initWaiter?.resolve(reply);
      this.initWaiter = null;
    } else if (reply.type === 'init-failed') {
      const reasons = reply.rejected.map((r) => `${r.provider}: ${r.reason}`).join('; ');
      this.initWaiter?.reject(new CodedError('INFERENCE_FAILED', `${reply.message} (${reasons})`));
      this.initWaiter = null;
    } else {
      const waiter = this.pending.get(reply.id);
      if (!waiter) return;
      this.pending.delete(reply.id);
      if (reply.type === 'result') waiter.resolve(reply);
      else waiter.reject(new CodedError('INFERENCE_FAILED', `Model run failed: ${reply.message}`));
    }
  }

  init(request: InitRequest): Promise<ReadyReply> {
    return new Promise((resolvePromise, reject) => {
      this.initWaiter = { resolve: resolvePromise, reject };
      this.worker.postMessage(request);
    });
  }

  run(
    session: string,
    feeds: Record<string, WorkerTensor>,
    fetches: string[],
  ): Promise<ResultReply> {
    if (this.dead) return Promise.reject(new CodedError('INFERENCE_FAILED', this.dead.message));
    const id = this.nextId++;
    return new Promise((resolvePromise, reject) => {
      this.pending.set(id, { resolve: resolvePromise, reject });
      const request: WorkerRequest = { type: 'run', id, session, feeds, fetches };
      this.worker.postMessage(
        request,
        Object.values(feeds).map((t) => t.data),
      );
    });
  }

  async terminate(): Promise<void> {
    this.dead ??= new Error('engine disposed');
    this.worker.removeAllListeners('exit');
    await this.worker.terminate();
  }
}

/**
 * Inference workers per engine: one. Measured on 2 cores (bench/screening.bench.ts, 1,000 films,
 * the screening session raised above the machine's other load): what keeps both cores busy is
 * screening several films through the engine at once, so the main thread's segmenter resize,
 * mask post-processing and crop of one film overlap the worker's model runs of another (45.5
 * films/s on 1.78 cores, against 27.9 films/s on 1.15 cores when one film went through at a time).
 * A second worker gave no more (36.9 against 41.1 films/s in alternated runs) and costs ~90 MiB;
 * `inferenceWorkers` keeps it available where the model runs dominate (e.g. a slower CPU).
 */
export function defaultInferenceWorkers(): number {
  return 1;
}

/** Workers that all hold the same sessions; each run goes to the worker with the fewest in flight. */
export class OrtWorkerPool {
  private readonly clients: OrtWorkerClient[];

  constructor(size: number) {
    this.clients = Array.from(
      { length: Math.max(1, Math.floor(size)) },
      () => new OrtWorkerClient(),
    );
  }

  get size(): number {
    return this.clients.length;
  }

  /**
   * Loads a session in every worker: the first tries the providers in order, the others load the
   * provider it got (so one engine never mixes devices).
   */
  async init(request: InitRequest): Promise<ReadyReply> {
    const [first, ...rest] = this.clients;
    const ready = await first.init(request);
    await Promise.all(rest.map((client) => client.init({ ...request, providers: [ready.active] })));
    return ready;
  }

  run(
    session: string,
    feeds: Record<string, WorkerTensor>,
    fetches: string[],
  ): Promise<ResultReply> {
    let best = this.clients[0];
    for (const client of this.clients) if (client.inFlight < best.inFlight) best = client;
    return best.run(session, feeds, fetches);
  }

  async terminate(): Promise<void> {
    await Promise.all(this.clients.map((client) => client.terminate()));
  }
}
