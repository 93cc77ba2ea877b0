/**
 * Screening figures (printed, never asserted):
 *  1. 1,000 shared chest X-ray JPEGs (copied to a temp folder): screening images/s against the
 *     pure-inference rate of the same engine on the same images (goal >= 90%);
 *  2. peak RSS of a whole screening process at 200 and at 2,000 files (goal: flat). 2,000 files
 *     are the 1,449 shared images copied, then copied again under another name.
 * Each measurement runs in a fresh child process so its peak RSS is its own.
 * Environment: COVIDNET_BENCH_MODEL_DIR (default: the bundled model).
 */
import { execFile } from 'node:child_process';
import { copyFile, mkdir, mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { openImage, toModelGray } from '../src/main/imaging';
import { createInferenceEngine, defaultModelDir } from '../src/main/inference';
import { runScreening } from '../src/main/screening';

const execFileAsync = promisify(execFile);
const REPO = resolve(__dirname, '..');
const CXR = resolve(REPO, '../shared/data/cxr/images');

interface ChildReport {
  files: number;
  seconds: number;
  imagesPerSecond: number;
  pureInferencePerSecond: number | null;
  stagesMs: Record<string, number> | null;
  maxRssMiB: number;
  provider: string;
  threads: number;
}

/** Child mode: screen `folder`, optionally measure pure inference after, print one JSON line. */
async function child(folder: string, store: string, measureInference: boolean): Promise<void> {
  const engine = await createInferenceEngine({
    modelDir: process.env.COVIDNET_BENCH_MODEL_DIR ?? defaultModelDir(),
  });
  const started = performance.now();
  const outcome = await runScreening({ folders: [folder], storeDir: store, engine });
  const seconds = (performance.now() - started) / 1000;
  const maxRssMiB = process.resourceUsage().maxRSS / 1024; // before the inference-only pass
  let pureInferencePerSecond: number | null = null;
  let stagesMs: Record<string, number> | null = null;
  if (measureInference) {
    // The same images, decoded and preprocessed beforehand; only engine.classify is timed for the
    // pure rate. Per-stage means show where a screening second goes.
    const names = (await readdir(folder)).sort();
    const totals = { openAndDecode: 0, toModelGray: 0, preprocess: 0, inference: 0 };
    for (const name of names) {
      const t0 = performance.now();
      const image = await openImage(join(folder, name));
      const frame = await image.decodeFrame(0);
      const t1 = performance.now();
      const gray = toModelGray(frame, image.metadata);
      const t2 = performance.now();
      const tensor = engine.preprocess({ data: gray, width: frame.columns, height: frame.rows });
      const t3 = performance.now();
      await engine.classify(tensor);
      const t4 = performance.now();
      totals.openAndDecode += t1 - t0;
      totals.toModelGray += t2 - t1;
      totals.preprocess += t3 - t2;
      totals.inference += t4 - t3;
    }
    pureInferencePerSecond = names.length / (totals.inference / 1000);
    stagesMs = Object.fromEntries(Object.entries(totals).map(([k, v]) => [k, v / names.length]));
  }
  const report: ChildReport = {
    files: outcome.job.done,
    seconds,
    imagesPerSecond: outcome.job.done / seconds,
    pureInferencePerSecond,
    stagesMs,
    maxRssMiB,
    provider: engine.provider.active,
    threads: engine.provider.intraOpThreads,
  };
  await engine.dispose();
  console.log(JSON.stringify(report));
}

async function copyImages(target: string, count: number): Promise<void> {
  await mkdir(target, { recursive: true });
  const names = (await readdir(CXR)).filter((n) => n.endsWith('.jpg')).sort();
  for (let i = 0; i < count; i++) {
    const name = names[i % names.length];
    const copy = i < names.length ? name : `copy${Math.floor(i / names.length)}-${name}`;
    await copyFile(join(CXR, name), join(target, copy));
  }
}

async function measure(
  folder: string,
  store: string,
  measureInference: boolean,
): Promise<ChildReport> {
  const { stdout } = await execFileAsync(
    process.execPath,
    [
      '--import',
      'tsx',
      __filename,
      'child',
      folder,
      store,
      measureInference ? 'inference' : 'screen-only',
    ],
    { cwd: REPO, env: process.env, maxBuffer: 16 * 1024 * 1024 },
  );
  return JSON.parse(stdout.trim().split('\n').pop() as string) as ChildReport;
}

export async function run(): Promise<void> {
  const scratch = await mkdtemp(join(tmpdir(), 'covidnet-bench-screening-'));
  try {
    const thousand = join(scratch, 'cxr-1000');
    await copyImages(thousand, 1000);
    const a = await measure(thousand, join(scratch, 'store-a'), true);
    const pure = a.pureInferencePerSecond ?? NaN;
    console.log(
      `  1. screening 1,000 chest X-ray JPEGs (${a.provider}, ${a.threads} intra-op thread(s)):`,
    );
    console.log(`    ${a.imagesPerSecond.toFixed(1)} images/s (${a.seconds.toFixed(1)} s)`);
    console.log(`    pure inference on the same images: ${pure.toFixed(1)} images/s`);
    console.log(
      `    screening / pure inference = ${((a.imagesPerSecond / pure) * 100).toFixed(0)}% (goal >= 90%)`,
    );
    const stages = Object.entries(a.stagesMs ?? {}).map(([k, v]) => `${k} ${v.toFixed(1)}`);
    console.log(`    mean ms per image by stage (sequential pass): ${stages.join(', ')}`);

    const small = join(scratch, 'cxr-200');
    const large = join(scratch, 'cxr-2000');
    await copyImages(small, 200);
    await copyImages(large, 2000);
    const s = await measure(small, join(scratch, 'store-s'), false);
    const l = await measure(large, join(scratch, 'store-l'), false);
    console.log('  2. peak RSS of the screening process (whole process, main + inference worker):');
    console.log(
      `    200 files:   ${s.maxRssMiB.toFixed(0)} MiB (${s.imagesPerSecond.toFixed(1)} images/s)`,
    );
    console.log(
      `    2,000 files: ${l.maxRssMiB.toFixed(0)} MiB (${l.imagesPerSecond.toFixed(1)} images/s)`,
    );
    console.log(`    growth: ${(l.maxRssMiB - s.maxRssMiB).toFixed(0)} MiB for 10x the files`);
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
}

if (process.argv[2] === 'child') {
  child(process.argv[3], process.argv[4], process.argv[5] === 'inference').catch(
    (error: unknown) => {
      console.error(error);
      process.exit(1);
    },
  );
}
