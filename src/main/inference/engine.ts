/**
 * The inference engine: loads a model folder (and the segmenter its pipeline names) by its
 * manifest, refuses one that does not match the graph, starts the onnxruntime workers, and hands
 * films to the pipeline (pipeline.ts, which reads top to bottom). The rooms it assembles:
 *   model-lookup.ts   which model folder when none is named
 *   worker-client.ts  the onnxruntime workers (one run at a time each; least busy first)
 *   pipeline.ts       gate -> segmenter -> crop -> classifier -> calibration -> verdict -> heatmap
 *   trust.ts          calibration, feature familiarity and the verdict rule
 *   heatmaps.ts       class activation and occlusion maps registered to the image
 *   model-info.ts     what the UI shows about the model
 */
import { dirname, join } from 'node:path';
import { CodedError } from '../../shared/errors';
import type { FilmAnalysis } from '../../shared/analysis';
import type { ModelManifest } from '../../shared/model-manifest';
import type {
  ExecutionProviderName,
  ExecutionProviderReport,
  ModelInfo,
} from '../../shared/prediction';
import type { OperatingPoint } from '../../shared/verdict';
import { createHeatmapMaker } from './heatmaps';
import { segmenterFromManifest, type LungSegmenter, type Segmentation } from './lungs/segmenter';
import {
  assertGraphMatchesManifest,
  loadModelManifest,
  loadSegmenterManifest,
  verifyGraphChecksum,
} from './manifest';
import { modelInfoOf } from './model-info';
import { createPipeline, type AnalyseOptions, type FilmInput } from './pipeline';
import type { GrayImage, ModelTensor } from './preprocess';
import { defaultIntraOpThreads, platformProviderOrder } from './providers';
import type { Verdict } from '../../shared/verdict';
import { defaultInferenceWorkers, OrtWorkerPool, type ReadyReply } from './worker-client';

export { defaultModelDir } from './model-lookup';
export { positiveEvidence } from './heatmaps';
export { createLungSegmenter } from './lungs/standalone-segmenter';
export { filmInputOf } from './film-input';
export type { AnalyseOptions, FilmInput } from './pipeline';

export interface InferenceEngineOptions {
  modelDir: string;
  /** Providers to try in order; default: the platform order. CPU is always tried last. */
  providers?: ExecutionProviderName[];
  /** onnxruntime intra-op threads per worker; default `defaultIntraOpThreads()`. */
  intraOpThreads?: number;
  /** onnxruntime workers (each holds every session); default `defaultInferenceWorkers()`. */
  inferenceWorkers?: number;
  /** Side of the occlusion grid (cells per axis) for models without a CAM output; default 8. */
  occlusionGrid?: number;
}

export interface Classification {
  /** Calibrated when the model is. */
  probabilities: number[];
  verdict: Verdict;
  inferenceMs: number;
}

export interface InferenceEngine {
  readonly manifest: ModelManifest;
  readonly modelDir: string;
  readonly provider: ExecutionProviderReport;
  readonly heatmapMethod: 'class-activation' | 'occlusion';
  /** Largest batch the graph accepts (1 when its batch dimension is fixed). */
  readonly maxBatch: number;
  /** onnxruntime workers running this engine's sessions. */
  readonly workers: number;
  info(): ModelInfo;
  /** The lung segmenter the pipeline runs first (models whose manifest names one). */
  readonly segmenter: LungSegmenter | null;
  /**
   * Crop/resize/normalise a gray image (0..255, bone bright) per the manifest. Throws for
   * lung-crop models, which need the pipeline (`analyse`).
   */
  preprocess(gray: GrayImage): ModelTensor;
  /**
   * Calibrated probabilities and the verdict for one preprocessed image (no heatmap). The
   * segmentation, when given, supplies the segmenter's confidence to the familiarity check.
   */
  classify(
    tensor: ModelTensor,
    segmentation?: Segmentation | null,
    operatingPoint?: OperatingPoint | null,
  ): Promise<Classification>;
  /** Runs the segmenter (throws when the model has none). */
  segment(gray: GrayImage): Promise<Segmentation>;
  /**
   * The one analysis of a film: header gate, segmenter, mask gate, crop, classifier, calibration,
   * verdict and (when asked) the heatmaps of every class. Screening, evaluation, the UI, the CLI
   * and the reports all call this.
   */
  analyse(film: FilmInput, options: AnalyseOptions): Promise<FilmAnalysis>;
  /** Raw graph run on a [N, ...] batch (uncalibrated outputs); for benchmarks and tools. */
  runBatch(
    data: Float32Array,
    dims: number[],
    fetches: string[],
  ): Promise<{ outputs: Record<string, Float32Array>; runMs: number }>;
  dispose(): Promise<void>;
}

const DEFAULT_MAX_BATCH = 16;
const CLASSIFIER_SESSION = 'classifier';
const SEGMENTER_SESSION = 'segmenter';

/** Loads the classifier (and its segmenter) into the workers; refuses a mismatching manifest. */
async function startSessions(
  options: InferenceEngineOptions,
  workers: OrtWorkerPool,
  intraOpThreads: number,
): Promise<{
  manifest: ModelManifest;
  modelDir: string;
  ready: ReadyReply;
  requested: ExecutionProviderName[];
  segmenter: LungSegmenter | null;
}> {
  const loaded = await loadModelManifest(options.modelDir);
  await verifyGraphChecksum(loaded);
  const { manifest } = loaded;
  const requested = [...(options.providers ?? platformProviderOrder())];
  const ready = await workers.init({
    type: 'init',
    session: CLASSIFIER_SESSION,
    graphPath: loaded.graphPath,
    providers: requested.includes('cpu') ? requested : [...requested, 'cpu'],
    intraOpThreads,
  });
  assertGraphMatchesManifest(manifest, { inputs: ready.inputs, outputs: ready.outputs });
  let segmenter: LungSegmenter | null = null;
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
    // The segmenter runs on the provider the classifier got (one device per engine).
    const segReady = await workers.init({
      type: 'init',
      session: SEGMENTER_SESSION,
      graphPath: seg.graphPath,
      providers: [ready.active],
      intraOpThreads,
    });
    segmenter = segmenterFromManifest(seg, segReady, (feeds, fetches) =>
      workers.run(SEGMENTER_SESSION, feeds, fetches),
    );
  }
  return { manifest, modelDir: loaded.modelDir, ready, requested, segmenter };
}

export async function createInferenceEngine(
  options: InferenceEngineOptions,
): Promise<InferenceEngine> {
  const intraOpThreads = options.intraOpThreads ?? defaultIntraOpThreads();
  const workers = new OrtWorkerPool(options.inferenceWorkers ?? defaultInferenceWorkers());
  let started: Awaited<ReturnType<typeof startSessions>>;
  try {
    started = await startSessions(options, workers, intraOpThreads);
  } catch (error) {
    await workers.terminate();
    throw error;
  }
  const { manifest, modelDir, ready, requested, segmenter } = started;

  const provider: ExecutionProviderReport = {
    active: ready.active,
    requested,
    rejected: ready.rejected,
    intraOpThreads,
  };
  const batchDim = ready.inputs.find((i) => i.name === manifest.input.name)?.shape?.[0];
  const maxBatch = typeof batchDim === 'number' && batchDim > 0 ? batchDim : DEFAULT_MAX_BATCH;
  const heatmapMethod = manifest.heatmap ? 'class-activation' : 'occlusion';

  async function runBatch(
    data: Float32Array,
    dims: number[],
    fetches: string[],
  ): Promise<{ outputs: Record<string, Float32Array>; runMs: number }> {
    // Copy so the caller's array stays usable after the buffer is transferred.
    const copy = data.slice();
    const reply = await workers.run(
      CLASSIFIER_SESSION,
      { [manifest.input.name]: { data: copy.buffer, dims } },
      fetches,
    );
    const outputs: Record<string, Float32Array> = {};
    for (const [name, t] of Object.entries(reply.outputs)) outputs[name] = new Float32Array(t.data);
    return { outputs, runMs: reply.runMs };
  }

  const pipeline = createPipeline({
    manifest,
    segmenter,
    provider,
    runBatch,
    heatmaps: createHeatmapMaker({
      manifest,
      camShape: manifest.heatmap
        ? ready.outputs.find((o) => o.name === manifest.heatmap?.output)?.shape
        : undefined,
      occlusionGrid: options.occlusionGrid ?? 8,
      maxBatch,
      runBatch,
    }),
  });

  return {
    manifest,
    modelDir,
    provider,
    heatmapMethod,
    maxBatch,
    workers: workers.size,
    segmenter,
    info: modelInfoOf({ manifest, modelDir, provider, heatmapMethod, segmenter }),
    preprocess(gray) {
      const tensor = pipeline.preprocess(gray, null);
      if (!tensor) throw new CodedError('INFERENCE_FAILED', 'empty crop');
      return tensor;
    },
    async classify(tensor, segmentation = null, operatingPoint = null) {
      const scores = await pipeline.classify(tensor, segmentation, { operatingPoint });
      return {
        probabilities: scores.probabilities,
        verdict: scores.verdict,
        inferenceMs: scores.inferenceMs,
      };
    },
    segment(gray) {
      if (!segmenter) {
        throw new CodedError('INFERENCE_FAILED', `Model "${manifest.id}" has no lung segmenter`);
      }
      return segmenter.segment(gray);
    },
    analyse: (film, analyseOptions) => pipeline.analyse(film, analyseOptions),
    runBatch,
    dispose: () => workers.terminate(),
  };
}
