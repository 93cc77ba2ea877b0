/**
 * The inference engine: loads a model folder by its manifest, refuses one that does not match,
 * runs onnxruntime in a worker thread, and turns a decoded frame into a PredictionResult with an
 * optional heatmap registered to the original image.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { Worker } from 'node:worker_threads';
import { CodedError } from '../../shared/errors';
import type { DecodedFrame, ImageMetadata } from '../../shared/imaging';
import type { ModelManifest } from '../../shared/model-manifest';
import type {
  AnalysisResult,
  ChestGateVerdict,
  ExecutionProviderName,
  ExecutionProviderReport,
  HeatmapGrid,
  LungOutlineGrid,
  ModelInfo,
} from '../../shared/prediction';
import { toModelGray } from '../imaging';
import {
  assertGraphMatchesManifest,
  loadModelManifest,
  loadSegmenterManifest,
  MANIFEST_FILE_NAME,
  verifyGraphChecksum,
} from './manifest';
import {
  ACCEPTED,
  chestHeaderOf,
  headerVerdict,
  maskVerdict,
  type ChestHeader,
} from './lungs/gate';
import { preprocessLungCrop } from './lungs/lung-crop';
import { segmenterFromManifest, type LungSegmenter, type Segmentation } from './lungs/segmenter';
import { findRepoRoot, listModelFolders, modelRoots, type ModelLookup } from '../resources';
import { spawnEntryWorker } from '../workers/spawn-entry-worker';
import { disableOnnxruntimeTelemetry } from '../offline/onnxruntime-telemetry';
import { readEvaluationSummary } from './evaluation-summary';
import { defaultIntraOpThreads, platformProviderOrder } from './providers';
import {
  gridRegistration,
  preprocessGray,
  type GrayImage,
  type ModelTensor,
  type PixelRect,
} from './preprocess';
import type { WorkerReply, WorkerRequest, WorkerTensor } from './worker-protocol';

export interface InferenceEngineOptions {
  modelDir: string;
  /** Providers to try in order; default: the platform order. CPU is always tried last. */
  providers?: ExecutionProviderName[];
  /** onnxruntime intra-op threads; default `defaultIntraOpThreads()`. */
  intraOpThreads?: number;
  /** Side of the occlusion grid (cells per axis) for models without a CAM output; default 8. */
  occlusionGrid?: number;
}

export interface PredictOptions {
  heatmap?: boolean;
  /** Class the heatmap explains; default the predicted label. */
  heatmapLabel?: string;
  /** Time already spent decoding the frame, reported in `timing.decodeMs`. */
  decodeMs?: number;
}

export interface Classification {
  probabilities: number[];
  inferenceMs: number;
}

export type ScoreOutcome =
  | (Classification & {
      status: 'scored';
      segmentMs: number;
      tensor: ModelTensor;
      segmentation: Segmentation | null;
      /** Class-activation evidence for the predicted class, when asked and the model has CAM. */
      heatmap?: HeatmapGrid;
    })
  | { status: 'rejected'; gate: ChestGateVerdict; segmentation: Segmentation | null };

export interface InferenceEngine {
  readonly manifest: ModelManifest;
  readonly modelDir: string;
  readonly provider: ExecutionProviderReport;
  readonly heatmapMethod: 'class-activation' | 'occlusion';
  /** Largest batch the graph accepts (1 when its batch dimension is fixed). */
  readonly maxBatch: number;
  info(): ModelInfo;
  /** The lung segmenter the pipeline runs first (models whose manifest names one). */
  readonly segmenter: LungSegmenter | null;
  /**
   * Crop/resize/normalise a gray image (0..255, bone bright) per the manifest. Throws for
   * lung-crop models, which need the pipeline (`score`, `predict`).
   */
  preprocess(gray: GrayImage): ModelTensor;
  /** Probabilities for one preprocessed image (no heatmap). */
  classify(tensor: ModelTensor): Promise<Classification>;
  /**
   * Probabilities through the whole pipeline (header gate, segmenter, mask gate, crop,
   * classifier): what screening, evaluation and the probes use.
   */
  score(
    gray: GrayImage,
    header?: ChestHeader | null,
    options?: { heatmap?: boolean },
  ): Promise<ScoreOutcome>;
  /** Runs the segmenter (throws when the model has none). */
  segment(gray: GrayImage): Promise<Segmentation>;
  /** The whole pipeline on a decoded frame, with the heatmap when asked. */
  predict(
    image: { metadata: ImageMetadata },
    frame: DecodedFrame,
    options?: PredictOptions,
  ): Promise<AnalysisResult>;
  /** The pipeline on a gray image; `header` carries the DICOM fields the gate reads (null: none). */
  predictGray(
    gray: GrayImage,
    options?: PredictOptions,
    header?: ChestHeader | null,
  ): Promise<AnalysisResult>;
  /** Raw graph run on a [N, ...] batch; for benchmarks and tools. */
  runBatch(
    data: Float32Array,
    dims: number[],
    fetches: string[],
  ): Promise<{ outputs: Record<string, Float32Array>; runMs: number }>;
  dispose(): Promise<void>;
}

/** `kind` and `createdAt` of a model folder's manifest (unreadable manifests: null). */
function manifestSummary(dir: string): { kind: string; createdAt: string } | null {
  try {
    const json = JSON.parse(readFileSync(join(dir, MANIFEST_FILE_NAME), 'utf8')) as {
      kind?: string;
      provenance?: { createdAt?: string };
    };
    return { kind: json.kind ?? 'classifier', createdAt: json.provenance?.createdAt ?? '' };
  } catch {
    return null;
  }
}

/**
 * The classifier the app uses when none is named: the first classifier folder in the user's own
 * models folder when there is one, else the newest bundled classifier (by `provenance.createdAt`;
 * segmenters are never a default, they are named by a classifier's pipeline).
 */
export function defaultModelDir(lookup: ModelLookup = {}): string {
  const classifiers = listModelFolders(lookup)
    .map((dir) => ({ dir, summary: manifestSummary(dir) }))
    .filter((m) => m.summary !== null && m.summary.kind === 'classifier');
  const userRoot = lookup.userModelsDir;
  const own = userRoot ? classifiers.find((m) => m.dir.startsWith(userRoot)) : undefined;
  const newest = [...classifiers].sort((a, b) =>
    (b.summary?.createdAt ?? '').localeCompare(a.summary?.createdAt ?? ''),
  )[0];
  const first = (own ?? newest)?.dir;
  if (first) return first;
  const roots = modelRoots(lookup);
  throw new CodedError(
    'MODEL_NOT_FOUND',
    `No model folder (looked in ${roots.join(', ') || 'no resources folder'})`,
  );
}

/** Starts the worker (`ort-worker.js` in a build, `ort-worker.ts` from sources; see spawnEntryWorker). */
function spawnOrtWorker(): Worker {
  disableOnnxruntimeTelemetry();
  const appRoot = findRepoRoot(__dirname);
  return spawnEntryWorker({
    name: 'ort-worker',
    callerDir: __dirname,
    sourceDirs: appRoot ? [join(appRoot, 'src', 'main', 'inference')] : [],
    missingCode: 'INFERENCE_FAILED',
  });
}

type ReadyReply = Extract<WorkerReply, { type: 'ready' }>;
type ResultReply = Extract<WorkerReply, { type: 'result' }>;

/** Owns the worker: one init, then numbered run requests answered by id. */
class OrtWorkerClient {
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

  init(request: Extract<WorkerRequest, { type: 'init' }>): Promise<ReadyReply> {
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

function argmax(values: ArrayLike<number>): number {
  let best = 0;
  for (let i = 1; i < values.length; i++) if (values[i] > values[best]) best = i;
  return best;
}

/**
 * Positive evidence for class `index` per CAM cell: cam_c - mean_j cam_j (its spatial mean is the
 * class's centred logit, log p_c - mean_j log p_j), negative parts set to 0, scaled so the
 * strongest cell is 1. A map with no positive evidence is all zeros.
 */
export function positiveEvidence(
  cam: Float32Array,
  classes: number,
  plane: number,
  index: number,
): Float32Array {
  const values = new Float32Array(plane);
  let max = 0;
  for (let p = 0; p < plane; p++) {
    let mean = 0;
    for (let c = 0; c < classes; c++) mean += cam[c * plane + p];
    const v = Math.max(0, cam[index * plane + p] - mean / classes);
    values[p] = v;
    if (v > max) max = v;
  }
  if (max > 0) for (let p = 0; p < plane; p++) values[p] /= max;
  return values;
}

const DEFAULT_MAX_BATCH = 16;
const CLASSIFIER_SESSION = 'classifier';
const SEGMENTER_SESSION = 'segmenter';

export async function createInferenceEngine(
  options: InferenceEngineOptions,
): Promise<InferenceEngine> {
  const loaded = await loadModelManifest(options.modelDir);
  await verifyGraphChecksum(loaded);
  const { manifest } = loaded;

  const requested = [...(options.providers ?? platformProviderOrder())];
  const attempt = requested.includes('cpu') ? requested : [...requested, 'cpu' as const];
  const intraOpThreads = options.intraOpThreads ?? defaultIntraOpThreads();
  const client = new OrtWorkerClient();
  let ready: ReadyReply;
  let segmenter: LungSegmenter | null = null;
  try {
    ready = await client.init({
      type: 'init',
      session: CLASSIFIER_SESSION,
      graphPath: loaded.graphPath,
      providers: attempt,
      intraOpThreads,
    });
    assertGraphMatchesManifest(manifest, { inputs: ready.inputs, outputs: ready.outputs });
    if (manifest.pipeline) {
      const segmenterId = manifest.pipeline.segmenter;
      const segmenterDir = join(dirname(loaded.modelDir), segmenterId);
      const seg = await loadSegmenterManifest(segmenterDir).catch((cause: unknown) => {
        throw new CodedError(
          'MODEL_NOT_FOUND',
          `Model "${manifest.id}" needs the lung segmenter "${segmenterId}" beside it ` +
            `(${segmenterDir}): ${(cause as Error).message}`,
          { cause },
        );
      });
      await verifyGraphChecksum(seg);
      // The segmenter runs on the provider the classifier got (one worker, one device).
      const segReady = await client.init({
        type: 'init',
        session: SEGMENTER_SESSION,
        graphPath: seg.graphPath,
        providers: [ready.active],
        intraOpThreads,
      });
      segmenter = segmenterFromManifest(seg, segReady, (feeds, fetches) =>
        client.run(SEGMENTER_SESSION, feeds, fetches),
      );
    }
  } catch (error) {
    await client.terminate();
    throw error;
  }

  const provider: ExecutionProviderReport = {
    active: ready.active,
    requested,
    rejected: ready.rejected,
    intraOpThreads,
  };
  const batchDim = ready.inputs.find((i) => i.name === manifest.input.name)?.shape?.[0];
  const maxBatch = typeof batchDim === 'number' && batchDim > 0 ? batchDim : DEFAULT_MAX_BATCH;
  const heatmapMethod = manifest.heatmap ? 'class-activation' : 'occlusion';
  const occlusionGrid = options.occlusionGrid ?? 8;
  const { labels } = manifest;
  const probabilitiesName = manifest.outputs.probabilities;

  async function runBatch(
    data: Float32Array,
    dims: number[],
    fetches: string[],
  ): Promise<{ outputs: Record<string, Float32Array>; runMs: number }> {
    // Copy so the caller's array stays usable after the buffer is transferred.
    const copy = data.slice();
    const reply = await client.run(
      CLASSIFIER_SESSION,
      { [manifest.input.name]: { data: copy.buffer, dims } },
      fetches,
    );
    const outputs: Record<string, Float32Array> = {};
    for (const [name, t] of Object.entries(reply.outputs)) outputs[name] = new Float32Array(t.data);
    return { outputs, runMs: reply.runMs };
  }

  function labelIndex(label: string): number {
    const index = labels.indexOf(label);
    if (index < 0) {
      throw new CodedError(
        'INVALID_REQUEST',
        `"${label}" is not one of the model's labels (${labels.join(', ')})`,
      );
    }
    return index;
  }

  function camHeatmap(
    cam: Float32Array,
    camDims: number[],
    index: number,
    tensor: ModelTensor,
    source: GrayImage,
  ): HeatmapGrid {
    const [, , gridHeight, gridWidth] = camDims;
    const values = positiveEvidence(cam, labels.length, gridWidth * gridHeight, index);
    return heatmapGrid(
      'class-activation',
      labels[index],
      values,
      gridWidth,
      gridHeight,
      tensor.crop,
      source,
    );
  }

  /** Occlusion sensitivity: drop in P(label) when each grid cell of the input is set to 0 (the normalised mean). */
  async function occlusionHeatmap(
    tensor: ModelTensor,
    baseProbability: number,
    index: number,
    source: GrayImage,
  ): Promise<HeatmapGrid> {
    const { height, width, channels, layout } = manifest.input;
    const cells = occlusionGrid * occlusionGrid;
    const imageSize = tensor.data.length;
    const drops = new Float32Array(cells);
    for (let first = 0; first < cells; first += maxBatch) {
      const count = Math.min(maxBatch, cells - first);
      const batch = new Float32Array(imageSize * count);
      for (let b = 0; b < count; b++) {
        const cell = first + b;
        const row = Math.floor(cell / occlusionGrid);
        const col = cell % occlusionGrid;
        const y0 = Math.floor((row * height) / occlusionGrid);
        const y1 = Math.floor(((row + 1) * height) / occlusionGrid);
        const x0 = Math.floor((col * width) / occlusionGrid);
        const x1 = Math.floor(((col + 1) * width) / occlusionGrid);
        const image = batch.subarray(b * imageSize, (b + 1) * imageSize);
        image.set(tensor.data);
        for (let y = y0; y < y1; y++) {
          for (let x = x0; x < x1; x++) {
            for (let c = 0; c < channels; c++) {
              image[
                layout === 'NCHW' ? (c * height + y) * width + x : (y * width + x) * channels + c
              ] = 0;
            }
          }
        }
      }
      const dims = [count, ...tensor.dims.slice(1)];
      const { outputs } = await runBatch(batch, dims, [probabilitiesName]);
      const probabilities = outputs[probabilitiesName];
      for (let b = 0; b < count; b++) {
        drops[first + b] = Math.max(0, baseProbability - probabilities[b * labels.length + index]);
      }
    }
    let max = 0;
    for (const d of drops) max = Math.max(max, d);
    const values = drops.map((d) => (max > 0 ? d / max : 0));
    return heatmapGrid(
      'occlusion',
      labels[index],
      values,
      occlusionGrid,
      occlusionGrid,
      tensor.crop,
      source,
    );
  }

  function preprocessWith(gray: GrayImage, segmentation: Segmentation | null): ModelTensor | null {
    if (manifest.input.crop.kind !== 'lung-box-square') return preprocessGray(gray, manifest.input);
    if (!segmentation) {
      throw new CodedError(
        'INFERENCE_FAILED',
        `Model "${manifest.id}" crops to the lungs: run it through the pipeline (score/predict)`,
      );
    }
    return preprocessLungCrop(gray, segmentation.mask, manifest.input.crop, manifest.input);
  }

  /** Header gate, segmenter, mask gate and crop: the tensor, or the gate's rejection. */
  async function gateAndCrop(
    gray: GrayImage,
    header: ChestHeader | null,
  ): Promise<
    | {
        tensor: ModelTensor;
        gate: ChestGateVerdict;
        segmentation: Segmentation | null;
        preprocessMs: number;
      }
    | { tensor: null; gate: ChestGateVerdict; segmentation: Segmentation | null }
  > {
    const byHeader = headerVerdict(header);
    if (!byHeader.accepted) return { tensor: null, gate: byHeader, segmentation: null };
    let segmentation: Segmentation | null = null;
    if (segmenter) {
      segmentation = await segmenter.segment(gray);
      const gate = maskVerdict(segmentation.mask, segmenter.manifest.gate);
      if (!gate.accepted) return { tensor: null, gate, segmentation };
    }
    const started = performance.now();
    const tensor = preprocessWith(gray, segmentation);
    if (!tensor) {
      const gate: ChestGateVerdict = {
        accepted: false,
        code: 'NOT_A_FRONTAL_CHEST_XRAY',
        reason: 'No lung fields to crop to',
        decidedBy: 'segmenter',
      };
      return { tensor: null, gate, segmentation };
    }
    return { tensor, gate: ACCEPTED, segmentation, preprocessMs: performance.now() - started };
  }

  function rejection(gate: ChestGateVerdict, lungs?: LungOutlineGrid): AnalysisResult {
    return {
      status: 'rejected',
      gate,
      lungs,
      modelId: manifest.id,
      modelName: manifest.name,
      modelVersion: manifest.version,
      executionProvider: provider.active,
    };
  }

  async function predictGray(
    gray: GrayImage,
    predictOptions: PredictOptions = {},
    header: ChestHeader | null = null,
    extraPreprocessMs = 0,
  ): Promise<AnalysisResult> {
    const gated = await gateAndCrop(gray, header);
    const { segmentation, gate } = gated;
    const lungs = segmentation && segmenter ? segmenter.outline(segmentation, gray) : undefined;
    if (!gated.tensor) return rejection(gate, lungs);
    const { tensor } = gated;
    const preprocessMs = gated.preprocessMs + extraPreprocessMs;

    const heatmapLabelIndex =
      predictOptions.heatmapLabel !== undefined ? labelIndex(predictOptions.heatmapLabel) : null;
    const useCam = predictOptions.heatmap === true && manifest.heatmap !== undefined;
    const fetches =
      useCam && manifest.heatmap
        ? [probabilitiesName, manifest.heatmap.output]
        : [probabilitiesName];
    const inferenceStarted = performance.now();
    const { outputs } = await runBatch(tensor.data, tensor.dims, fetches);
    const inferenceMs = performance.now() - inferenceStarted;
    const probabilities = Array.from(outputs[probabilitiesName].subarray(0, labels.length));
    const predicted = argmax(probabilities);

    let heatmap: HeatmapGrid | undefined;
    const heatmapStarted = performance.now();
    if (predictOptions.heatmap) {
      const index = heatmapLabelIndex ?? predicted;
      if (useCam && manifest.heatmap) {
        const camDims = [
          1,
          labels.length,
          ...camSpatialDims(outputs[manifest.heatmap.output].length),
        ];
        heatmap = camHeatmap(outputs[manifest.heatmap.output], camDims, index, tensor, gray);
      } else {
        heatmap = await occlusionHeatmap(tensor, probabilities[index], index, gray);
      }
    }
    const heatmapMs = predictOptions.heatmap ? performance.now() - heatmapStarted : 0;

    const predictedLabel = labels[predicted];
    const threshold = manifest.thresholds[predictedLabel] ?? 0;
    const decodeMs = predictOptions.decodeMs ?? 0;
    const segmentMs = segmentation?.ms ?? 0;
    return {
      status: 'scored',
      gate,
      lungs,
      modelId: manifest.id,
      modelName: manifest.name,
      modelVersion: manifest.version,
      labels: [...labels],
      probabilities,
      predictedLabel,
      predictedProbability: probabilities[predicted],
      threshold,
      thresholdStatus:
        probabilities[predicted] >= threshold ? 'above-threshold' : 'below-threshold',
      executionProvider: provider.active,
      timing: {
        decodeMs,
        segmentMs,
        preprocessMs,
        inferenceMs,
        heatmapMs,
        totalMs: decodeMs + segmentMs + preprocessMs + inferenceMs + heatmapMs,
      },
      heatmap,
    };
  }

  // The CAM output's spatial size comes from the graph (symbolic dims resolved at run time).
  const camShape = manifest.heatmap
    ? ready.outputs.find((o) => o.name === manifest.heatmap?.output)?.shape
    : undefined;
  function camSpatialDims(length: number): [number, number] {
    const h = camShape?.[2];
    const w = camShape?.[3];
    if (typeof h === 'number' && typeof w === 'number') return [h, w];
    const side = Math.round(Math.sqrt(length / labels.length));
    return [side, side];
  }

  const evaluationSummary =
    readEvaluationSummary(loaded.modelDir) ?? summariseMetrics(manifest.provenance.metrics);
  return {
    manifest,
    modelDir: loaded.modelDir,
    provider,
    heatmapMethod,
    maxBatch,
    segmenter,
    info(): ModelInfo {
      return {
        id: manifest.id,
        name: manifest.name,
        version: manifest.version,
        labels: [...labels],
        thresholds: { ...manifest.thresholds },
        inputSize: { width: manifest.input.width, height: manifest.input.height },
        heatmapMethod,
        provider,
        intendedUse: manifest.intendedUse,
        hasModelCard:
          manifest.modelCard !== undefined && existsSync(join(loaded.modelDir, manifest.modelCard)),
        evaluationSummary,
        segmenter: segmenter?.info(),
      };
    },
    preprocess(gray) {
      const tensor = preprocessWith(gray, null);
      if (!tensor) throw new CodedError('INFERENCE_FAILED', 'empty crop');
      return tensor;
    },
    async score(gray, header = null, scoreOptions = {}) {
      const gated = await gateAndCrop(gray, header);
      if (!gated.tensor) {
        return { status: 'rejected', gate: gated.gate, segmentation: gated.segmentation };
      }
      const camOutput = scoreOptions.heatmap ? manifest.heatmap?.output : undefined;
      const { outputs, runMs } = await runBatch(
        gated.tensor.data,
        gated.tensor.dims,
        camOutput ? [probabilitiesName, camOutput] : [probabilitiesName],
      );
      const probabilities = Array.from(outputs[probabilitiesName].subarray(0, labels.length));
      const heatmap = camOutput
        ? camHeatmap(
            outputs[camOutput],
            [1, labels.length, ...camSpatialDims(outputs[camOutput].length)],
            argmax(probabilities),
            gated.tensor,
            gray,
          )
        : undefined;
      return {
        status: 'scored',
        probabilities,
        inferenceMs: runMs,
        segmentMs: gated.segmentation?.ms ?? 0,
        tensor: gated.tensor,
        segmentation: gated.segmentation,
        heatmap,
      };
    },
    segment(gray) {
      if (!segmenter) {
        throw new CodedError('INFERENCE_FAILED', `Model "${manifest.id}" has no lung segmenter`);
      }
      return segmenter.segment(gray);
    },
    async classify(tensor) {
      const { outputs, runMs } = await runBatch(tensor.data, tensor.dims, [probabilitiesName]);
      return {
        probabilities: Array.from(outputs[probabilitiesName].subarray(0, labels.length)),
        inferenceMs: runMs,
      };
    },
    async predict(image, frame, predictOptions) {
      const started = performance.now();
      const gray: GrayImage = {
        data: toModelGray(frame, image.metadata),
        width: frame.columns,
        height: frame.rows,
      };
      return predictGray(
        gray,
        predictOptions,
        chestHeaderOf(image.metadata),
        performance.now() - started,
      );
    },
    predictGray: (gray, predictOptions, header) => predictGray(gray, predictOptions, header),
    runBatch,
    dispose: () => client.terminate(),
  };
}

/** A lung segmenter on its own (no classifier): for tools that only need lung masks. */
export async function createLungSegmenter(
  options: Omit<InferenceEngineOptions, 'occlusionGrid'>,
): Promise<{
  segmenter: LungSegmenter;
  provider: ExecutionProviderName;
  dispose(): Promise<void>;
}> {
  const loaded = await loadSegmenterManifest(options.modelDir);
  await verifyGraphChecksum(loaded);
  const requested = [...(options.providers ?? platformProviderOrder())];
  const client = new OrtWorkerClient();
  try {
    const ready = await client.init({
      type: 'init',
      session: SEGMENTER_SESSION,
      graphPath: loaded.graphPath,
      providers: requested.includes('cpu') ? requested : [...requested, 'cpu'],
      intraOpThreads: options.intraOpThreads ?? defaultIntraOpThreads(),
    });
    const segmenter = segmenterFromManifest(loaded, ready, (feeds, fetches) =>
      client.run(SEGMENTER_SESSION, feeds, fetches),
    );
    return { segmenter, provider: ready.active, dispose: () => client.terminate() };
  } catch (error) {
    await client.terminate();
    throw error;
  }
}

function heatmapGrid(
  method: HeatmapGrid['method'],
  label: string,
  values: Float32Array,
  gridWidth: number,
  gridHeight: number,
  crop: PixelRect,
  source: GrayImage,
): HeatmapGrid {
  return {
    method,
    label,
    gridWidth,
    gridHeight,
    values,
    ...gridRegistration(crop, gridWidth, gridHeight),
    imageWidth: source.width,
    imageHeight: source.height,
  };
}

/** Plain-words lines from the manifest's provenance metrics (numbers only, as fractions or values). */
function summariseMetrics(metrics: Record<string, unknown> | undefined): string[] | undefined {
  if (!metrics) return undefined;
  const lines = Object.entries(metrics)
    .filter((entry): entry is [string, number] => typeof entry[1] === 'number')
    .map(([key, value]) => `${key}: ${Number.isInteger(value) ? value : value.toFixed(3)}`);
  return lines.length > 0 ? lines : undefined;
}
