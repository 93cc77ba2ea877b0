/**
 * A pool of worker threads that open and decode images, so neither the thread answering IPC nor
 * the inference worker spends time on codecs. Sized from the core count; workers start on first
 * use. Thumbnails (someone is looking) go ahead of batch decodes. The pool queues paths only:
 * callers bound how many decoded results they hold (screening keeps a fixed number in flight).
 */
import { availableParallelism } from 'node:os';
import type { Worker } from 'node:worker_threads';
import { CodedError } from '../../../shared/errors';
import { spawnEntryWorker } from '../../base/workers/spawn-entry-worker';
import type { DecodeReply, DecodeRequest, DecodeTask } from './protocol';
import type { GrayRaster, ModelGrayImage } from './tasks';

export interface DecodePool {
  readonly size: number;
  decodeForModel(path: string): Promise<ModelGrayImage>;
  thumbnail(path: string, maxSize: number): Promise<GrayRaster>;
  /** Stops the workers; tasks not answered yet reject. */
  dispose(): Promise<void>;
}

/**
 * One worker per core: the inference worker and the IPC thread mostly wait on each other and
 * on the decoders, so a decoder per core keeps every core busy (the OS shares them); capped
 * because each worker holds a V8 heap and a decoded film.
 */
export function defaultDecodePoolSize(cores: number = availableParallelism()): number {
  return Math.max(1, Math.min(8, cores));
}

/** The built `decode-worker.js` beside the bundle, else the TypeScript entry through tsx. */
function spawnDecodeWorker(): Worker {
  return spawnEntryWorker({
    name: 'decode-worker',
    callerDir: __dirname,
    missingCode: 'INTERNAL_ERROR',
  });
}

interface Job {
  request: DecodeRequest;
  resolve(result: ModelGrayImage | GrayRaster): void;
  reject(error: Error): void;
}

class PoolWorker {
  private readonly worker = spawnDecodeWorker();
  current: Job | null = null;
  constructor(
    onReply: (self: PoolWorker, reply: DecodeReply) => void,
    onDeath: (self: PoolWorker, error: Error) => void,
  ) {
    this.worker.on('message', (reply: DecodeReply) => onReply(this, reply));
    this.worker.on('error', (error) => onDeath(this, error));
    this.worker.on('exit', (code) => onDeath(this, new Error(`exited with code ${code}`)));
  }
  /** Busy workers keep the process alive; idle ones do not (a CLI exits when it is done). */
  run(job: Job): void {
    this.current = job;
    this.worker.ref();
    this.worker.postMessage(job.request);
  }
  finished(): Job | null {
    const job = this.current;
    this.current = null;
    this.worker.unref();
    return job;
  }
  async terminate(): Promise<void> {
    this.worker.removeAllListeners('exit');
    this.worker.removeAllListeners('error');
    await this.worker.terminate();
  }
}

export function createDecodePool(options: { size?: number } = {}): DecodePool {
  const size = Math.max(1, Math.floor(options.size ?? defaultDecodePoolSize()));
  const idle: PoolWorker[] = [];
  const all = new Set<PoolWorker>();
  const interactive: Job[] = [];
  const batch: Job[] = [];
  let nextId = 1;
  let disposed = false;

  function onReply(worker: PoolWorker, reply: DecodeReply): void {
    const job = worker.finished();
    if (job && job.request.id === reply.id) {
      if (reply.ok) job.resolve(reply.result);
      else job.reject(new CodedError(reply.error.code, reply.error.message));
    }
    idle.push(worker);
    dispatch();
  }

  /** A worker that died (a codec crashed it) fails its task only; a fresh one replaces it. */
  function onDeath(worker: PoolWorker, error: Error): void {
    if (!all.delete(worker)) return;
    const index = idle.indexOf(worker);
    if (index >= 0) idle.splice(index, 1);
    worker.current?.reject(
      new CodedError('INTERNAL_ERROR', `Decode worker stopped: ${error.message}`),
    );
    worker.current = null;
    dispatch();
  }

  function dispatch(): void {
    while (!disposed && (interactive.length > 0 || batch.length > 0)) {
      let worker = idle.pop();
      if (!worker && all.size < size) {
        worker = new PoolWorker(onReply, onDeath);
        all.add(worker);
      }
      if (!worker) return;
      worker.run((interactive.shift() ?? batch.shift()) as Job);
    }
  }

  function submit<T extends ModelGrayImage | GrayRaster>(
    task: DecodeTask,
    queue: Job[],
  ): Promise<T> {
    if (disposed) return Promise.reject(new CodedError('INTERNAL_ERROR', 'Decode pool disposed'));
    return new Promise<T>((resolve, reject) => {
      queue.push({
        request: { id: nextId++, task },
        resolve: resolve as Job['resolve'],
        reject,
      });
      dispatch();
    });
  }

  return {
    size,
    decodeForModel: (path) => submit<ModelGrayImage>({ kind: 'model-gray', path }, batch),
    thumbnail: (path, maxSize) =>
      submit<GrayRaster>({ kind: 'thumbnail', path, maxSize }, interactive),
    async dispose() {
      if (disposed) return;
      disposed = true;
      const stopped = new CodedError('INTERNAL_ERROR', 'Decode pool disposed');
      for (const job of [...interactive.splice(0), ...batch.splice(0)]) job.reject(stopped);
      const workers = [...all];
      all.clear();
      idle.length = 0;
      for (const worker of workers) {
        worker.current?.reject(stopped);
        worker.current = null;
      }
      await Promise.all(workers.map((worker) => worker.terminate()));
    },
  };
}
