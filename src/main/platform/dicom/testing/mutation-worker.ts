/**
 * Child process for the mutation test: receives {id, file, kind, seed} cases over IPC, builds the
 * mutated bytes, opens and decodes frame 0, and replies with the outcome and the time taken.
 * A crash or hang here is what the parent's watchdog counts.
 */
import { readFileSync } from 'node:fs';
import { CodedError } from '../../../../shared/errors';
import { openImageBuffer } from '../../imaging/index';
import { mutate, type MutationCase } from './mutations';
import { dicomPath } from './test-support';

const cache = new Map<string, Uint8Array>();

process.on('message', (message: MutationCase) => {
  void (async () => {
    let original = cache.get(message.file);
    if (!original) {
      original = new Uint8Array(readFileSync(message.file));
      cache.set(message.file, original);
    }
    const bytes = mutate(original, message);
    const start = performance.now();
    const cpuStart = process.cpuUsage();
    let outcome: string;
    try {
      const image = await openImageBuffer(bytes, message.file);
      await image.decodeFrame(0);
      outcome = 'decoded';
    } catch (error) {
      outcome =
        error instanceof CodedError ? error.code : `UNCODED: ${String(error)}`.slice(0, 200);
    }
    const cpu = process.cpuUsage(cpuStart);
    process.send?.({
      id: message.id,
      outcome,
      ms: performance.now() - start,
      cpuMs: (cpu.user + cpu.system) / 1000,
    });
  })();
});
// Instantiate every WASM codec before the first timed case, so timings are decode times.
const WARM_UP = [
  'mr_small_jpegls_lossless.dcm',
  'mr_multiframe10_j2k_lossless.dcm',
  'siim_cxr_cr_mono2_8bit_jpegbaseline.dcm',
];
void (async () => {
  for (const name of WARM_UP) {
    try {
      await (
        await openImageBuffer(new Uint8Array(readFileSync(dicomPath(name))), name)
      ).decodeFrame(0);
    } catch {
      // a warm-up failure shows up in the cases themselves
    }
  }
  process.send?.({ ready: true });
})();
