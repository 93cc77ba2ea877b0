/**
 * Study-list figures (printed, never asserted): time and peak RSS to list a folder of 10,000
 * DICOM files (the shared files, chest films up to 1 MiB included, with new UIDs, in a temp
 * folder), next to 1,000 of them (goal: under 15 s for 10,000; RSS growth from 1,000 to 10,000
 * under 100 MiB). Each listing runs in a fresh child process so its peak RSS is its own. The
 * files were just written, so they are read from the page cache (a cold disk is slower).
 */
import { execFile } from 'node:child_process';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import * as imaging from '../src/main/platform/imaging';
import { createLibrary } from '../src/main/features/library/library';
import {
  LARGER_SHARED_FILES,
  LISTABLE_SHARED_FILES,
  makeDicomArchive,
} from '../src/main/features/library/testing/test-support';

const execFileAsync = promisify(execFile);
const REPO = resolve(__dirname, '..');

interface ListingReport {
  images: number;
  problems: number;
  seconds: number;
  baselineRssMiB: number;
  maxRssMiB: number;
}

async function child(folders: string[]): Promise<void> {
  const library = createLibrary({ imaging });
  const baselineRssMiB = process.memoryUsage().rss / 2 ** 20;
  const started = performance.now();
  const snapshot = await library.addPaths(folders);
  const seconds = (performance.now() - started) / 1000;
  const images = snapshot.patients
    .flatMap((p) => p.studies)
    .flatMap((s) => s.series)
    .reduce((n, s) => n + s.images.length, 0);
  const report: ListingReport = {
    images,
    problems: snapshot.problems.length,
    seconds,
    baselineRssMiB,
    maxRssMiB: process.resourceUsage().maxRSS / 1024,
  };
  console.log(JSON.stringify(report));
}

async function measure(folders: string[]): Promise<ListingReport> {
  const { stdout } = await execFileAsync(
    process.execPath,
    ['--import', 'tsx', __filename, 'child', ...folders],
    { cwd: REPO, env: process.env, maxBuffer: 16 * 1024 * 1024 },
  );
  return JSON.parse(stdout.trim().split('\n').pop() as string) as ListingReport;
}

export async function run(): Promise<void> {
  const scratch = await mkdtemp(join(tmpdir(), 'covidnet-bench-library-'));
  try {
    const archive = join(scratch, 'archive');
    const writeStarted = performance.now();
    await makeDicomArchive(archive, 10_000, [...LISTABLE_SHARED_FILES, ...LARGER_SHARED_FILES]);
    const writeSeconds = (performance.now() - writeStarted) / 1000;
    const batches = (await readdir(archive)).sort().map((name) => join(archive, name));
    const small = await measure(batches.slice(0, 10));
    const large = await measure([archive]);
    console.log(
      `  study list from headers (${LISTABLE_SHARED_FILES.length + LARGER_SHARED_FILES.length} shared files cycled, new UIDs; written in ${writeSeconds.toFixed(1)} s):`,
    );
    for (const [label, r] of [
      ['1,000 files ', small],
      ['10,000 files', large],
    ] as const) {
      console.log(
        `    ${label}: ${r.images} listed, ${r.problems} problems, ${r.seconds.toFixed(2)} s (${(r.images / r.seconds).toFixed(0)} files/s), peak RSS ${r.maxRssMiB.toFixed(0)} MiB (${r.baselineRssMiB.toFixed(0)} MiB before adding)`,
      );
    }
    console.log(`    10,000 files in ${large.seconds.toFixed(1)} s (goal < 15 s)`);
    console.log(
      `    peak RSS growth 1,000 -> 10,000: ${(large.maxRssMiB - small.maxRssMiB).toFixed(0)} MiB (goal < 100 MiB)`,
    );
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
}

if (process.argv[2] === 'child') {
  child(process.argv.slice(3)).catch((error: unknown) => {
    console.error(error);
    process.exit(1);
  });
}
