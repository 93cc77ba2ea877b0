/**
 * The pipeline for one film, top to bottom:
 *   1. header gate      (DICOM modality / body part / view)             -> rejected, or on
 *   2. lung segmenter   (models whose manifest names one)
 *   3. mask gate        (two plausible lung fields)                      -> rejected, or on
 *   4. crop             (the manifest's rule; lung-box-square uses the mask)
 *   5. classifier       (probabilities, logits, pooled features, CAM in one run)
 *   6. calibration      (softmax(logits / T), once, for every caller)
 *   7. verdict          (call / uncertain / unfamiliar; a site operating point when given)
 *   8. heatmap          (when asked: CAM from the same run, else occlusion)
 * `score` stops after 7 (screening, evaluation, probes); `analyze` builds the full result the UI,
 * the CLI and the reports get.
 */
import { CodedError } from '../../shared/errors';
import type { ModelCalibration, ModelManifest } from '../../shared/model-manifest';
import type {
  AnalysisResult,
  ChestGateVerdict,
  ExecutionProviderReport,
  HeatmapGrid,
} from '../../shared/prediction';
import type { OperatingPoint, Verdict } from '../../shared/verdict';
import type { BatchRunner, HeatmapMaker } from './heatmaps';
import { ACCEPTED, headerVerdict, maskVerdict, type ChestHeader } from './lungs/gate';
import { preprocessLungCrop } from './lungs/lung-crop';
import type { LungSegmenter, Segmentation } from './lungs/segmenter';
import { preprocessGray, type GrayImage, type ModelTensor } from './preprocess';
import { trustedScores, trustFetches, type TrustedScores } from './trust';

export interface ScoreOptions {
  /** Class-activation evidence for the predicted class (models with CAM only). */
  heatmap?: boolean;
  /** A site profile's operating point (src/shared/verdict.ts); null/absent = the manifest's. */
  operatingPoint?: OperatingPoint | null;
}

export interface AnalyzeOptions {
  heatmap?: boolean;
  /** Class the heatmap explains; default the predicted label. */
  heatmapLabel?: string;
  /** Time already spent decoding the frame, reported in `timing.decodeMs`. */
  decodeMs?: number;
  /** A site profile's operating point; the verdict names it when it is applied. */
  operatingPoint?: OperatingPoint | null;
}

export type ScoreOutcome =
  | {
      status: 'scored';
      /** Calibrated (when the model is), in label order. */
      probabilities: number[];
      verdict: Verdict;
      /** The temperature applied; null = uncalibrated. */
      calibration: ModelCalibration | null;
      inferenceMs: number;
      segmentMs: number;
      tensor: ModelTensor;
      segmentation: Segmentation | null;
      /** Class-activation evidence for the predicted class, when asked and the model has CAM. */
      heatmap?: HeatmapGrid;
    }
  | { status: 'rejected'; gate: ChestGateVerdict; segmentation: Segmentation | null };

type Gated =
  | {
      tensor: ModelTensor;
      gate: ChestGateVerdict;
      segmentation: Segmentation | null;
      preprocessMs: number;
    }
  | { tensor: null; gate: ChestGateVerdict; segmentation: Segmentation | null };

export interface Pipeline {
  /** Crop/resize/normalise per the manifest (lung crops need the segmentation). */
  preprocess(gray: GrayImage, segmentation: Segmentation | null): ModelTensor | null;
  /** Steps 5-7 on a tensor already cropped (probes re-score edited crops through this). */
  classify(
    tensor: ModelTensor,
    segmentation: Segmentation | null,
    options?: ScoreOptions,
  ): Promise<TrustedScores & { inferenceMs: number; cam: Float32Array | null }>;
  score(gray: GrayImage, header: ChestHeader | null, options?: ScoreOptions): Promise<ScoreOutcome>;
  analyze(
    gray: GrayImage,
    options: AnalyzeOptions,
    header: ChestHeader | null,
    extraPreprocessMs?: number,
  ): Promise<AnalysisResult>;
}

function argmax(values: ArrayLike<number>): number {
  let best = 0;
  for (let i = 1; i < values.length; i++) if (values[i] > values[best]) best = i;
  return best;
}

export function createPipeline(parts: {
  manifest: ModelManifest;
  segmenter: LungSegmenter | null;
  provider: ExecutionProviderReport;
  runBatch: BatchRunner;
  heatmaps: HeatmapMaker;
}): Pipeline {
  const { manifest, segmenter, provider, runBatch, heatmaps } = parts;
  const { labels } = manifest;
  const scoreFetches = trustFetches(manifest);

  function preprocess(gray: GrayImage, segmentation: Segmentation | null): ModelTensor | null {
    if (manifest.input.crop.kind !== 'lung-box-square') return preprocessGray(gray, manifest.input);
    if (!segmentation) {
      throw new CodedError(
        'INFERENCE_FAILED',
        `Model "${manifest.id}" crops to the lungs: run it through the pipeline (score/predict)`,
      );
    }
    return preprocessLungCrop(gray, segmentation.mask, manifest.input.crop, manifest.input);
  }

  /** Steps 1-4: the tensor, or the gate's rejection. */
  async function gateAndCrop(gray: GrayImage, header: ChestHeader | null): Promise<Gated> {
    const byHeader = headerVerdict(header);
    if (!byHeader.accepted) return { tensor: null, gate: byHeader, segmentation: null };
    let segmentation: Segmentation | null = null;
    if (segmenter) {
      segmentation = await segmenter.segment(gray);
      const gate = maskVerdict(segmentation.mask, segmenter.manifest.gate);
      if (!gate.accepted) return { tensor: null, gate, segmentation };
    }
    const started = performance.now();
    const tensor = preprocess(gray, segmentation);
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

  /** Steps 5-7: one classifier run, calibrated, with its verdict (and the CAM when asked). */
  async function classify(
    tensor: ModelTensor,
    segmentation: Segmentation | null,
    options: ScoreOptions = {},
  ): Promise<TrustedScores & { inferenceMs: number; cam: Float32Array | null }> {
    const camOutput = options.heatmap ? heatmaps.camOutput : null;
    const started = performance.now();
    const { outputs } = await runBatch(
      tensor.data,
      tensor.dims,
      camOutput ? [...scoreFetches, camOutput] : scoreFetches,
    );
    const inferenceMs = performance.now() - started;
    const trusted = trustedScores(
      manifest,
      outputs,
      segmentation?.mask.meanProbability ?? null,
      options.operatingPoint ?? null,
    );
    return { ...trusted, inferenceMs, cam: camOutput ? outputs[camOutput] : null };
  }

  async function score(
    gray: GrayImage,
    header: ChestHeader | null,
    options: ScoreOptions = {},
  ): Promise<ScoreOutcome> {
    const gated = await gateAndCrop(gray, header);
    if (!gated.tensor) {
      return { status: 'rejected', gate: gated.gate, segmentation: gated.segmentation };
    }
    const scores = await classify(gated.tensor, gated.segmentation, options);
    return {
      status: 'scored',
      probabilities: scores.probabilities,
      verdict: scores.verdict,
      calibration: scores.calibration,
      inferenceMs: scores.inferenceMs,
      segmentMs: gated.segmentation?.ms ?? 0,
      tensor: gated.tensor,
      segmentation: gated.segmentation,
      heatmap: scores.cam
        ? heatmaps.fromCam(scores.cam, argmax(scores.probabilities), gated.tensor, gray)
        : undefined,
    };
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

  async function analyze(
    gray: GrayImage,
    options: AnalyzeOptions,
    header: ChestHeader | null,
    extraPreprocessMs = 0,
  ): Promise<AnalysisResult> {
    const heatmapLabelIndex =
      options.heatmapLabel !== undefined ? labelIndex(options.heatmapLabel) : null;
    const gated = await gateAndCrop(gray, header);
    const { segmentation, gate } = gated;
    const lungs = segmentation && segmenter ? segmenter.outline(segmentation, gray) : undefined;
    const base = {
      modelId: manifest.id,
      modelName: manifest.name,
      modelVersion: manifest.version,
      executionProvider: provider.active,
    };
    if (!gated.tensor) return { status: 'rejected', gate, lungs, ...base };
    const { tensor } = gated;
    const preprocessMs = gated.preprocessMs + extraPreprocessMs;

    const useCam = options.heatmap === true && heatmaps.camOutput !== null;
    const scores = await classify(tensor, segmentation, {
      heatmap: useCam,
      operatingPoint: options.operatingPoint,
    });
    const { probabilities } = scores;
    const predicted = argmax(probabilities);

    let heatmap: HeatmapGrid | undefined;
    const heatmapStarted = performance.now();
    if (options.heatmap) {
      const index = heatmapLabelIndex ?? predicted;
      heatmap = scores.cam
        ? heatmaps.fromCam(scores.cam, index, tensor, gray)
        : await heatmaps.byOcclusion(tensor, probabilities[index], index, gray);
    }
    const heatmapMs = options.heatmap ? performance.now() - heatmapStarted : 0;

    const predictedLabel = labels[predicted];
    const threshold = manifest.thresholds[predictedLabel] ?? 0;
    const decodeMs = options.decodeMs ?? 0;
    const segmentMs = segmentation?.ms ?? 0;
    const { inferenceMs } = scores;
    return {
      status: 'scored',
      gate,
      lungs,
      ...base,
      labels: [...labels],
      probabilities,
      predictedLabel,
      predictedProbability: probabilities[predicted],
      threshold,
      thresholdStatus:
        probabilities[predicted] >= threshold ? 'above-threshold' : 'below-threshold',
      timing: {
        decodeMs,
        segmentMs,
        preprocessMs,
        inferenceMs,
        heatmapMs,
        totalMs: decodeMs + segmentMs + preprocessMs + inferenceMs + heatmapMs,
      },
      heatmap,
      verdict: scores.verdict,
      calibration: scores.calibration,
    };
  }

  return { preprocess, classify, score, analyze };
}
