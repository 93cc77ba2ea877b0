import { fork, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { isErrorCode } from '../../../shared/errors';
import { MUTATION_KINDS, type MutationCase } from './testing/mutations';
import { dicomPath } from './testing/test-support';

const SEED = 20_240_611;
const CASES = 2_000;
/**
 * Per-case limit on the worker's CPU time (user + system): the machine is shared (2 cores, other
 * jobs), so wall time measures the neighbours; hangs are caught by the wall-clock watchdog.
 */
const MAX_CASE_MS = 2_000;
/** A case with no answer after this is a hang; the worker is killed and restarted. */
const WATCHDOG_MS = 10_000;

// Every codec and structure, smaller files so that 2,000 cases fit in about a minute on 2 cores.
const FILES = [
  'barre_cr_mono1_10bit_chest_j2k_lossless.dcm',
  'barre_cr_mono1_10bit_chest_jpegls_lossless.dcm',
  'barre_cr_mono1_10bit_chest_rle.dcm',
  'barre_cr_mono1_10bit_chest_nometa_implicitvr.dcm',
  'ct_small_explicit_le.dcm',
  'mr_multiframe10_j2k_lossless.dcm',
  'mr_small_explicit_big_endian.dcm',
  'mr_small_jpegls_lossless.dcm',
  'mr_small_rle.dcm',
  'nm_jpeg_extended_12bit.dcm',
  'nopixels_sr.dcm',
  'odd_ct_no_file_meta.dcm',
  'odd_ct_jpeg_lossless_bad_sequence.dcm',
  'ot_deflated_explicit_le.dcm',
  'pm_float32.dcm',
  'sc_rgb_rle.dcm',
  'siim_cxr_cr_mono2_8bit_jpegbaseline.dcm',
  'us_palette_color_rle.dcm',
  'us_multiframe_ybr_jpeg_baseline.dcm',
].map(dicomPath);

interface Reply {
  id?: number;
  outcome?: string;
  ms?: number;
  cpuMs?: number;
  ready?: boolean;
}

class Worker {
  private child: ChildProcess | undefined;
  private ready: Promise<void> | undefined;

  private start(): Promise<void> {
    const child = fork(join(__dirname, 'testing', 'mutation-worker.ts'), [], {
      execArgv: ['--import', 'tsx'],
      stdio: ['ignore', 'ignore', 'ignore', 'ipc'],
    });
    this.child = child;
    return new Promise((resolve, reject) => {
      child.once('message', (m: Reply) =>
        m.ready ? resolve() : reject(new Error('worker did not start')),
      );
      child.once('exit', () => reject(new Error('worker exited while starting')));
    });
  }

  kill(): void {
    this.child?.kill('SIGKILL');
    this.child = undefined;
    this.ready = undefined;
  }

  async run(c: MutationCase): Promise<{ outcome: string; ms: number; cpuMs: number }> {
    this.ready ??= this.start();
    await this.ready;
    const child = this.child as ChildProcess;
    return new Promise((resolve) => {
      const finish = (outcome: string, ms: number, cpuMs = ms): void => {
        clearTimeout(timer);
        child.off('message', onMessage);
        child.off('exit', onExit);
        resolve({ outcome, ms, cpuMs });
      };
      const onMessage = (m: Reply): void => {
        if (m.id === c.id) finish(m.outcome ?? 'NO_OUTCOME', m.ms ?? 0, m.cpuMs ?? 0);
      };
      const onExit = (code: number | null, signal: string | null): void => {
        this.child = undefined;
        this.ready = undefined;
        finish(`CRASH: worker exited (${code ?? signal})`, 0);
      };
      const timer = setTimeout(() => {
        this.kill();
        finish('HANG: no answer within the watchdog', WATCHDOG_MS);
      }, WATCHDOG_MS);
      child.on('message', onMessage);
      child.once('exit', onExit);
      child.send(c);
    });
  }
}

describe('seeded mutations of the shared DICOM files', () => {
  it(`${CASES} truncations, byte flips and corrupted lengths: each decodes or gives a code, within ${MAX_CASE_MS} ms CPU`, async () => {
    const cases: MutationCase[] = [];
    for (let id = 0; id < CASES; id++) {
      cases.push({
        id,
        file: FILES[id % FILES.length],
        kind: MUTATION_KINDS[Math.floor(id / FILES.length) % MUTATION_KINDS.length],
        seed: SEED + id,
      });
    }
    const workers = [new Worker(), new Worker()];
    const failures: string[] = [];
    const outcomes = new Map<string, number>();
    const timings: [number, string][] = [];
    let next = 0;
    await Promise.all(
      workers.map(async (worker) => {
        while (next < cases.length) {
          const c = cases[next++];
          const { outcome, ms, cpuMs } = await worker.run(c);
          timings.push([
            cpuMs,
            `${c.kind} #${c.id} ${c.file.split('/').pop()} (wall ${ms.toFixed(0)} ms)`,
          ]);
          outcomes.set(outcome, (outcomes.get(outcome) ?? 0) + 1);
          const ok = (outcome === 'decoded' || isErrorCode(outcome)) && cpuMs <= MAX_CASE_MS;
          if (!ok)
            failures.push(
              `case ${c.id} (${c.kind}, seed ${c.seed}, ${c.file.split('/').pop()}): ${outcome} in ${cpuMs.toFixed(0)} ms CPU, ${ms.toFixed(0)} ms wall`,
            );
        }
        worker.kill();
      }),
    );
    console.log(
      `mutation outcomes (seed ${SEED}):`,
      Object.fromEntries([...outcomes].sort((a, b) => b[1] - a[1])),
      'slowest (CPU):',
      timings
        .sort((a, b) => b[0] - a[0])
        .slice(0, 3)
        .map(([ms, what]) => `${ms.toFixed(0)} ms CPU ${what}`),
    );
    expect(failures).toEqual([]);
  }, 300_000);
});
