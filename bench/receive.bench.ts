/**
 * DICOM receiver figures (printed, never asserted):
 *  1. receive throughput with 4 concurrent storescu senders (DCMTK), images/s and MB/s, for the
 *     small mixed corpus of the receiver test (every accepted transfer syntax) and for large
 *     15-bit CR films (7 MB each); the receiver runs in this process, each instance fsync'd;
 *  2. screen-on-arrival latency, stored -> scored (row in the store), for chest X-rays sent one at
 *     a time (the pipeline idle) and in a burst from 4 senders (arrivals queue behind inference).
 * Needs dcmtk. Environment: COVIDNET_BENCH_MODEL_DIR (default: the bundled model).
 */
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createScreeningJobs } from '../src/main/app/screening-jobs';
import { startDicomInbox } from '../src/main/app/dicom-inbox';
import {
  CORPUS_SOURCES,
  HAVE_DCMTK,
  makeInstances,
  storescu,
  writeProfile,
} from '../src/main/platform/dicom-network/testing/test-support';
import { createInferenceEngine, defaultModelDir } from '../src/main/platform/inference';

const DICOM = resolve(__dirname, '../../shared/data/dicom');
const AE = 'BENCH';
const SENDERS = 4;

async function totalBytes(files: string[]): Promise<number> {
  let bytes = 0;
  for (const file of files) bytes += (await stat(file)).size;
  return bytes;
}

function quantile(sorted: number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
}

async function throughput(scratch: string, label: string, files: string[]): Promise<void> {
  const profile = join(scratch, `${label}.cfg`);
  await writeProfile(files, profile);
  const inbox = join(scratch, `inbox-${label}`);
  const running = await startDicomInbox({ port: 0, aeTitle: AE, inbox });
  try {
    const started = performance.now();
    const results = await Promise.all(
      Array.from({ length: SENDERS }, (_, s) =>
        storescu(
          running.receiver.port,
          AE,
          files.filter((_, i) => i % SENDERS === s),
          ['-xf', profile, 'Each'],
        ),
      ),
    );
    const seconds = (performance.now() - started) / 1000;
    const failed = results.filter((r) => r.code !== 0);
    if (failed.length > 0) throw new Error(`storescu failed: ${failed[0].stderr}`);
    const megabytes = (await totalBytes(files)) / 1e6;
    console.log(
      `${label}: ${files.length} instances (${megabytes.toFixed(1)} MB) from ${SENDERS} senders in ` +
        `${seconds.toFixed(2)} s: ${(files.length / seconds).toFixed(1)} images/s, ` +
        `${(megabytes / seconds).toFixed(1)} MB/s`,
    );
  } finally {
    await running.stop();
  }
}

async function screenLatency(scratch: string): Promise<void> {
  const engine = await createInferenceEngine({
    modelDir: process.env.COVIDNET_BENCH_MODEL_DIR ?? defaultModelDir(),
  });
  const storeDir = join(scratch, 'store');
  const jobs = createScreeningJobs({ engine, storeDir });
  const chests = [
    'siim_cxr_cr_mono2_8bit_jpegbaseline.dcm',
    'nih_cxr_dx_mono2_8bit_jpegls_lossless.dcm',
    'barre_cr_mono1_10bit_chest_rle.dcm',
    'nih_cxr_dx_mono2_8bit_implicitvr.dcm',
  ].map((name) => join(DICOM, name));
  const storedAt = new Map<string, number>();
  const scoredOrder: number[] = [];
  let lastDone = 0;
  const running = await startDicomInbox({
    port: 0,
    aeTitle: AE,
    inbox: join(scratch, 'inbox-screen'),
    onEvent: (event) => {
      if (event.type === 'stored' && event.instance.isNew)
        storedAt.set(event.instance.path, performance.now());
    },
    screening: {
      jobs,
      storeDir,
      modelSha256: engine.manifest.sha256,
      onProgress: (progress) => {
        // Rows are appended in feed order, i.e. in the order instances were stored.
        for (; lastDone < progress.done; lastDone++) scoredOrder.push(performance.now());
      },
    },
  });
  const waitScored = async (count: number): Promise<void> => {
    while (scoredOrder.length < count) await new Promise((r) => setTimeout(r, 5));
  };
  const report = (label: string, from: number, to: number): void => {
    const stored = [...storedAt.values()].slice(from, to);
    const latencies = stored.map((t, i) => scoredOrder[from + i] - t).sort((a, b) => a - b);
    console.log(
      `screen on arrival, ${label}: ${latencies.length} chest X-rays, stored -> scored median ` +
        `${quantile(latencies, 0.5).toFixed(0)} ms, p95 ${quantile(latencies, 0.95).toFixed(0)} ms, ` +
        `max ${latencies[latencies.length - 1].toFixed(0)} ms`,
    );
  };
  try {
    const paced = await makeInstances(join(scratch, 'paced'), chests, 12);
    const profile = join(scratch, 'screen.cfg');
    await writeProfile(paced, profile);
    for (const [i, file] of paced.entries()) {
      const sent = await storescu(running.receiver.port, AE, [file], ['-xf', profile, 'Each']);
      if (sent.code !== 0) throw new Error(sent.stderr);
      await waitScored(i + 1);
    }
    report('one at a time', 0, paced.length);

    const burst = await makeInstances(join(scratch, 'burst'), chests, 40);
    await Promise.all(
      Array.from({ length: SENDERS }, (_, s) =>
        storescu(
          running.receiver.port,
          AE,
          burst.filter((_, i) => i % SENDERS === s),
          ['-xf', profile, 'Each'],
        ),
      ),
    );
    await waitScored(paced.length + burst.length);
    report(`burst from ${SENDERS} senders`, paced.length, paced.length + burst.length);
  } finally {
    await running.stop();
    await jobs.dispose();
    await engine.dispose();
  }
}

export async function run(): Promise<void> {
  if (!HAVE_DCMTK) {
    console.log('skipped: dcmtk (storescu, dcmodify, dcmdump) is not installed');
    return;
  }
  const scratch = await mkdtemp(join(tmpdir(), 'covidnet-receive-bench-'));
  try {
    const small = await makeInstances(
      join(scratch, 'small'),
      CORPUS_SOURCES.map((name) => join(DICOM, name)),
      600,
    );
    await throughput(scratch, 'mixed small instances', small);
    const large = await makeInstances(
      join(scratch, 'large'),
      [join(DICOM, 'wg04_rg1_chest_cr_mono1_15bit_explicit_le.dcm')],
      40,
    );
    await throughput(scratch, 'large CR films', large);
    await screenLatency(scratch);
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
}
