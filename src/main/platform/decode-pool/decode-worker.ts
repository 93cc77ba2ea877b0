/**
 * Entry of a decode-pool worker thread: one task at a time, answered by id, pixels transferred.
 * Built by electron-vite as the `decode-worker` entry beside the main bundle.
 */
import { parentPort } from 'node:worker_threads';
import type { DecodeReply, DecodeRequest } from './protocol';
import { decodeForModel, fileErrorInfo, renderThumbnail } from './tasks';

/** The buffer behind a typed array, when the array is all of it (else a copy would be sent). */
function ownBuffer(array: Float32Array | Uint8Array): ArrayBuffer[] {
  const { buffer } = array;
  return buffer instanceof ArrayBuffer &&
    array.byteOffset === 0 &&
    array.byteLength === buffer.byteLength
    ? [buffer]
    : [];
}

async function handle({ id, task }: DecodeRequest): Promise<void> {
  let reply: DecodeReply;
  let transfer: ArrayBuffer[] = [];
  try {
    if (task.kind === 'model-gray') {
      const result = await decodeForModel(task.path);
      reply = { id, ok: true, result };
      transfer = ownBuffer(result.gray);
    } else {
      const result = await renderThumbnail(task.path, task.maxSize);
      reply = { id, ok: true, result };
      transfer = ownBuffer(result.gray);
    }
  } catch (error) {
    reply = { id, ok: false, error: fileErrorInfo(error) };
  }
  parentPort?.postMessage(reply, transfer);
}

parentPort?.on('message', (request: DecodeRequest) => void handle(request));
