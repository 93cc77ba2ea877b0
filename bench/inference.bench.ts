/**
 * Inference figures (printed, never asserted):
 *  1. bundled model, one image, batch 1: decode + preprocess + inference + heatmap, p50/p95;
 *  2. the same graph in onnxruntime-node vs the same weights in PyTorch eager (CPU, 2 threads);
 *  3. the paper-scale configuration (exported on the fly, random weights): latency per image
 *     next to the floor from its MACs and this machine's measured peak FLOP rate.
 * Environment: COVIDNET_BENCH_MODEL_DIR (default: the bundled model), COVIDNET_PYTHON.
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { openImage, toModelGray } from '../src/main/imaging';
import {
  createInferenceEngine,
  defaultModelDir,
  filmInputOf,
  type InferenceEngine,
} from '../src/main/inference';

const execFileAsync = promisify(execFile);
const REPO = resolve(__dirname, '..');
const PYTHON = process.env.COVIDNET_PYTHON ?? '/usr/bin/python3';
const IMAGE = resolve(REPO, '../shared/data/cxr/images/cohen-16745_4_1_png.jpg');
const LARGE_DICOM = resolve(REPO, '../shared/data/dicom/wg04_rg1_chest_cr_mono1_15bit_rle.dcm');

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((sorted.length * p) / 100))];
}

function p50p95(values: number[]): string {
  return `p50 ${percentile(values, 50).toFixed(1)} ms, p95 ${percentile(values, 95).toFixed(1)} ms`;
}

async function endToEnd(engine: InferenceEngine, file: string, iterations: number): Promise<void> {
  const stages = {
    decode: [] as number[],
    segment: [] as number[],
    preprocess: [] as number[],
    inference: [] as number[],
    heatmap: [] as number[],
    total: [] as number[],
  };
  for (let i = 0; i < iterations + 2; i++) {
    const started = performance.now();
    const image = await openImage(file);
    const frame = await image.decodeFrame(0);
    const decodeMs = performance.now() - started;
    const result = await engine.analyse(filmInputOf(frame, image.metadata), {
      heatmaps: true,
      decodeMs,
    });
    if (result.status !== 'scored') throw new Error(`${file} not scored: ${result.gate.reason}`);
    if (i < 2) continue; // warm-up
    stages.decode.push(result.timing.decodeMs);
    stages.segment.push(result.timing.segmentMs);
    stages.preprocess.push(result.timing.preprocessMs);
    stages.inference.push(result.timing.inferenceMs);
    stages.heatmap.push(result.timing.heatmapMs);
    stages.total.push(result.timing.totalMs);
  }
  for (const [stage, values] of Object.entries(stages))
    console.log(`    ${stage.padEnd(10)} ${p50p95(values)}`);
}

async function ortLatency(
  engine: InferenceEngine,
  input: Float32Array,
  iterations: number,
): Promise<number[]> {
  const name = engine.manifest.outputs.probabilities;
  const times: number[] = [];
  for (let i = 0; i < iterations + 3; i++) {
    const { runMs } = await engine.runBatch(input, [1, 1, 224, 224], [name]);
    if (i >= 3) times.push(runMs);
  }
  return times;
}

/**
 * The PyTorch checkpoint a trained bundled model was exported from, when it is on this machine:
 * COVIDNET_BENCH_CHECKPOINT, the manifest's `provenance.checkpoint`, a `--checkpoint` in the recorded command, or
 * training/runs/<id without "covidnet-cxr-">/best.pt (training/export.py's layout). The printed
 * max |p_ort - p_torch| shows whether it really holds the same weights.
 */
function checkpointOf(modelId: string, command: string, recorded: unknown): string | null {
  const match = /--checkpoint\s+(\S+)/.exec(command);
  const candidates = [
    process.env.COVIDNET_BENCH_CHECKPOINT,
    typeof recorded === 'string' ? recorded : undefined,
    match?.[1],
    join('training', 'runs', modelId.replace(/^covidnet-cxr-/, ''), 'best.pt'),
  ];
  for (const candidate of candidates) {
    if (candidate && existsSync(resolve(REPO, candidate))) return resolve(REPO, candidate);
  }
  return null;
}

async function peakGflops(): Promise<number> {
  // float32 GEMM through numpy's BLAS, 2 threads, best of 5: the machine's practical peak.
  const script = [
    'import numpy as np, time',
    'n = 2048; a = np.random.rand(n, n).astype(np.float32); b = np.random.rand(n, n).astype(np.float32)',
    'a @ b',
    'best = min((lambda t: (a @ b, time.perf_counter() - t)[1])(time.perf_counter()) for _ in range(5))',
    'print(2 * n**3 / best / 1e9)',
  ].join('\n');
  const { stdout } = await execFileAsync(PYTHON, ['-c', script], {
    env: { ...process.env, OPENBLAS_NUM_THREADS: '2', OMP_NUM_THREADS: '2', MKL_NUM_THREADS: '2' },
  });
  return Number(stdout.trim());
}

export async function run(): Promise<void> {
  const modelDir = process.env.COVIDNET_BENCH_MODEL_DIR ?? defaultModelDir();
  const scratch = await mkdtemp(join(tmpdir(), 'covidnet-bench-inference-'));
  try {
    // 1. End to end on the default engine (platform providers, default threads).
    const engine = await createInferenceEngine({ modelDir });
    console.log(
      `model ${engine.manifest.id} (${modelDir}) on ${engine.provider.active}, ${engine.provider.intraOpThreads} intra-op thread(s)`,
    );
    console.log(`  1. one image end to end, batch 1, heatmap ${engine.heatmapMethod} (30 runs):`);
    console.log(`   ${IMAGE.split('/').pop()} (440x512 JPEG)`);
    await endToEnd(engine, IMAGE, 30);
    console.log(`   ${LARGE_DICOM.split('/').pop()} (1841x1955 15-bit CR, RLE)`);
    await endToEnd(engine, LARGE_DICOM, 10);
    await engine.dispose();

    // 2. ORT vs PyTorch eager, same weights, same input, 2 threads each.
    // The whole-film v1 graph (its checkpoint is the PyTorch reference this comparison loads).
    const ort2 = await createInferenceEngine({
      modelDir: resolve(REPO, 'resources/models/covidnet-cxr-compact-v1'),
      providers: ['cpu'],
      intraOpThreads: 2,
    });
    const image = await openImage(IMAGE);
    const frame = await image.decodeFrame(0);
    const tensor = ort2.preprocess({
      data: toModelGray(frame, image.metadata),
      width: frame.columns,
      height: frame.rows,
    });
    const inputPath = join(scratch, 'input.f32');
    await writeFile(
      inputPath,
      Buffer.from(tensor.data.buffer, tensor.data.byteOffset, tensor.data.byteLength),
    );
    const ortTimes = await ortLatency(ort2, tensor.data, 50);
    const { outputs } = await ort2.runBatch(
      tensor.data,
      [1, 1, 224, 224],
      [ort2.manifest.outputs.probabilities],
    );
    const checkpoint = checkpointOf(
      ort2.manifest.id,
      ort2.manifest.provenance.command,
      ort2.manifest.provenance.checkpoint,
    );
    const architecture = ort2.manifest.provenance.architecture as { config?: string } | undefined;
    const weights = checkpoint
      ? ['--checkpoint', checkpoint]
      : ort2.manifest.provenance.trainedBy.startsWith('nobody')
        ? ['--config', architecture?.config ?? 'compact', '--untrained']
        : null;
    await ort2.dispose();
    console.log(
      '  2. onnxruntime-node vs PyTorch eager (CPU, 2 threads, batch 1, graph run only, 50 runs):',
    );
    console.log(`    onnxruntime-node ${p50p95(ortTimes)}`);
    if (weights === null) {
      console.log('    PyTorch: skipped (the checkpoint of this model is not on this machine)');
    } else {
      const torchOut = join(scratch, 'torch.json');
      await execFileAsync(
        PYTHON,
        [
          join(REPO, 'bench/torch_reference.py'),
          ...weights,
          '--input',
          inputPath,
          '--iters',
          '50',
          '--threads',
          '2',
          '--out',
          torchOut,
        ],
        {
          env: { ...process.env, OMP_WAIT_POLICY: 'PASSIVE' },
        },
      );
      const torch = JSON.parse(await readFile(torchOut, 'utf8')) as {
        p50_ms: number;
        p95_ms: number;
        probabilities: number[];
        torch: string;
      };
      const maxDiff = Math.max(
        ...torch.probabilities.map((p, i) =>
          Math.abs(p - outputs[ort2.manifest.outputs.probabilities][i]),
        ),
      );
      console.log(
        `    PyTorch ${torch.torch} eager p50 ${torch.p50_ms.toFixed(1)} ms, p95 ${torch.p95_ms.toFixed(1)} ms (weights: ${weights.join(' ')})`,
      );
      console.log(`    same weights check: max |p_ort - p_torch| = ${maxDiff.toExponential(2)}`);
      console.log(
        `    ratio PyTorch / ORT (p50) = ${(torch.p50_ms / percentile(ortTimes, 50)).toFixed(2)}x`,
      );
    }

    // 3. Paper-scale configuration, random weights, exported now.
    const paperDir = join(scratch, 'paper');
    console.log('  3. paper-scale configuration (training/export.py --config paper --untrained):');
    const exportStarted = performance.now();
    await execFileAsync(
      PYTHON,
      [
        join(REPO, 'training/export.py'),
        '--config',
        'paper',
        '--untrained',
        '--no-verify',
        '--out',
        paperDir,
      ],
      {
        maxBuffer: 16 * 1024 * 1024,
      },
    );
    console.log(`    exported in ${((performance.now() - exportStarted) / 1000).toFixed(0)} s`);
    const paper = await createInferenceEngine({
      modelDir: paperDir,
      providers: ['cpu'],
      intraOpThreads: 2,
    });
    const paperArch = paper.manifest.provenance.architecture as
      { params?: number; macs?: number } | undefined;
    const paperTimes = await ortLatency(paper, tensor.data, 10);
    await paper.dispose();
    const gflops = await peakGflops();
    const macs = paperArch?.macs ?? NaN;
    const floorMs = ((2 * macs) / (gflops * 1e9)) * 1000;
    console.log(
      `    params ${((paperArch?.params ?? NaN) / 1e6).toFixed(1)} M, MACs ${(macs / 1e9).toFixed(2)} G at 224x224`,
    );
    console.log(`    onnxruntime-node, 2 threads, batch 1 (10 runs): ${p50p95(paperTimes)}`);
    console.log(
      `    peak: ${gflops.toFixed(1)} GFLOP/s (numpy float32 2048x2048 GEMM, 2 BLAS threads, best of 5)`,
    );
    console.log(
      `    floor 2*MACs/peak = ${floorMs.toFixed(1)} ms; measured p50 is ${(percentile(paperTimes, 50) / floorMs).toFixed(1)}x the floor`,
    );
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
}
