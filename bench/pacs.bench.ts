/**
 * PACS figures against a local Orthanc (printed, never asserted), 20 one-film chest studies
 * (the shared CR/DX films under new UIDs, several transfer syntaxes):
 *  1. retrieve throughput: C-FIND + C-MOVE of all 20 studies into our receiver (no screening),
 *     MB/s and studies/s, each instance fsync'd in the inbox;
 *  2. query-to-scored latency: from the study-level C-FIND to each film's screening row, with
 *     the inbox screening as films arrive (the app's path), first / median / last.
 * Needs Orthanc and dcmtk. Environment: COVIDNET_BENCH_MODEL_DIR (default: the bundled model).
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startDicomInbox } from '../src/main/app/dicom-inbox';
import { createScreeningJobs } from '../src/main/app/screening-jobs';
import { HAVE_DCMTK } from '../src/main/platform/dicom-network/testing/test-support';
import { createInferenceEngine, defaultModelDir } from '../src/main/platform/inference';
import { findStudies, retrieveStudies, type PacsPeer } from '../src/main/features/pacs';
import { HAVE_ORTHANC, freePort, startOrthanc } from '../src/main/features/pacs/testing/orthanc';
import { makeTestStudies } from '../src/main/features/pacs/testing/test-studies';

const STUDIES = 20;
const AE = 'BENCH';

export async function run(): Promise<void> {
  if (!HAVE_ORTHANC || !HAVE_DCMTK) {
    console.log('skipped: needs Orthanc (apt-get install orthanc) and dcmtk');
    return;
  }
  const scratch = await mkdtemp(join(tmpdir(), 'pacs-bench-'));
  const port = await freePort();
  const orthanc = await startOrthanc({ modalities: { bench: [AE, '127.0.0.1', port] } });
  const engine = await createInferenceEngine({
    modelDir: process.env.COVIDNET_BENCH_MODEL_DIR ?? defaultModelDir(),
  });
  try {
    const studies = await makeTestStudies(join(scratch, 'studies'), STUDIES, 'BENCH');
    for (const study of studies) await orthanc.upload(await readFile(study.path));
    const peer: PacsPeer = {
      aeTitle: orthanc.aeTitle,
      host: '127.0.0.1',
      port: orthanc.dicomPort,
      callingAeTitle: AE,
    };

    // 1. Retrieve only.
    {
      const inbox = await startDicomInbox({ port, aeTitle: AE, inbox: join(scratch, 'inbox-1') });
      const started = performance.now();
      const found = await findStudies(peer, { patientName: 'BENCH^*' });
      const retrieved = await retrieveStudies({
        peer,
        studyInstanceUids: found.map((s) => s.studyInstanceUid),
        destinationAeTitle: AE,
        inboxDir: inbox.inbox,
      });
      const seconds = (performance.now() - started) / 1000;
      await inbox.stop();
      const megabytes = retrieved.reduce((sum, s) => sum + s.bytes, 0) / 1e6;
      console.log(
        `retrieve: ${retrieved.length} studies (${megabytes.toFixed(1)} MB) queried and moved in ` +
          `${seconds.toFixed(2)} s: ${(megabytes / seconds).toFixed(1)} MB/s, ` +
          `${(retrieved.length / seconds).toFixed(1)} studies/s`,
      );
    }

    // 2. Query -> retrieve -> screened, as the app does it (screening while films arrive).
    {
      const storeDir = join(scratch, 'store');
      const jobs = createScreeningJobs({ engine, storeDir });
      const scoredAt: number[] = [];
      let lastDone = 0;
      let started = 0;
      const inbox = await startDicomInbox({
        port,
        aeTitle: AE,
        inbox: join(scratch, 'inbox-2'),
        screening: {
          jobs,
          storeDir,
          modelSha256: engine.manifest.sha256,
          onProgress: (p) => {
            for (; lastDone < p.done; lastDone++) scoredAt.push(performance.now() - started);
          },
        },
      });
      started = performance.now();
      const found = await findStudies(peer, { patientName: 'BENCH^*' });
      const retrieved = await retrieveStudies({
        peer,
        studyInstanceUids: found.map((s) => s.studyInstanceUid),
        destinationAeTitle: AE,
        inboxDir: inbox.inbox,
      });
      const retrievedMs = performance.now() - started;
      await inbox.stop();
      await jobs.dispose();
      const sorted = [...scoredAt].sort((a, b) => a - b);
      const median = sorted[Math.floor(sorted.length / 2)] ?? NaN;
      console.log(
        `query-to-scored: ${sorted.length} of ${retrieved.length} films scored (${engine.manifest.id}, ` +
          `${engine.provider.active}); retrieve done at ${(retrievedMs / 1000).toFixed(2)} s; ` +
          `first scored ${(sorted[0] / 1000).toFixed(2)} s, median ${(median / 1000).toFixed(2)} s, ` +
          `all ${((sorted.at(-1) ?? NaN) / 1000).toFixed(2)} s after the C-FIND`,
      );
    }
  } finally {
    await engine.dispose();
    await orthanc.stop();
    await rm(scratch, { recursive: true, force: true });
  }
}
