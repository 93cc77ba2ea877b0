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
 * `analyse` is the one entry: the UI, the CLI, screening, evaluation and the reports all get its
 * FilmAnalysis (src/shared/analysis.ts); screening and evaluation ask for it without heatmaps.
 */
import { CodedError } from '../../shared/errors';
import type { ModelManifest } from '../../shared/model-manifest';
import type { ChestGateVerdict, FilmAnalysis, HeatmapGrid } from '../../shared/analysis';
import type { ExecutionProviderReport } from '../../shared/prediction';
import type { OperatingPoint } from '../../shared/verdict';
import type { BatchRunner, HeatmapMaker } from './heatmaps';
import { ACCEPTED, headerVerdict, maskVerdict, type ChestHeader } from './lungs/gate';
import { preprocessLungCrop } from './lungs/lung-crop';
import type { LungSegmenter, Segmentation } from './lungs/segmenter';
import { preprocessGray, type GrayImage, type ModelTensor } from './preprocess';
import { trustedScores, trustFetches, type TrustedScores } from './trust';

export interface ScoreOptions {
  /** Fetch the class-activation output with the scores (models with CAM only). */
  heatmap?: boolean;
  /** A site profile's operating point (src/shared/verdict.ts); null/absent = the manifest's. */
  operatingPoint?: OperatingPoint | null;
}

/** A film as the model takes it: gray 0..255 (bone bright) and the header fields the gate reads. */
export interface FilmInput {
  gray: GrayImage;
  /** DICOM fields the chest gate reads; null/absent: none (a PNG/JPEG, an anonymised film). */
  header?: ChestHeader | null;
}

export interface AnalyseOptions {
  /** Evidence maps for every class (false: scores only, as screening and evaluation want). */
  heatmaps: boolean;
  /** A site profile's operating point; the verdict names it when it is applied. */
  operatingPoint?: OperatingPoint | null;
  /** Time already spent decoding the film, reported in `timing.decodeMs`. */
  decodeMs?: number;
  /**
   * Sees the model input and the segmentation of a film that passed the gate (probes and the
   * packaging check re-use them); they are not part of the result.
   */
  inspect?: (stages: { tensor: ModelTensor; segmentation: Segmentation | null }) => void;
}

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
  /** Steps 1-8: the one analysis of a film. */
  analyse(film: FilmInput, options: AnalyseOptions): Promise<FilmAnalysis>;
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

  /** Evidence maps for every class: from the CAM of the scoring run, else by occlusion. */
  async function heatmapsOf(
    scores: { probabilities: number[]; cam: Float32Array | null },
    tensor: ModelTensor,
    gray: GrayImage,
  ): Promise<Record<string, HeatmapGrid>> {
    const grids = scores.cam
      ? labels.map((_, index) => heatmaps.fromCam(scores.cam as Float32Array, index, tensor, gray))
      : await heatmaps.byOcclusion(tensor, scores.probabilities, gray);
    return Object.fromEntries(grids.map((grid) => [grid.label, grid]));
  }

  async function analyse(film: FilmInput, options: AnalyseOptions): Promise<FilmAnalysis> {
    const { gray } = film;
    const gated = await gateAndCrop(gray, film.header ?? null);
    const { segmentation, gate } = gated;
    const lungs = segmentation && segmenter ? segmenter.outline(segmentation, gray) : undefined;
    const model = {
      modelId: manifest.id,
      modelName: manifest.name,
      modelVersion: manifest.version,
      executionProvider: provider.active,
    };
    if (!gated.tensor) return { status: 'rejected', gate, lungs, ...model };
    const { tensor, preprocessMs } = gated;
    options.inspect?.({ tensor, segmentation });

    const scores = await classify(tensor, segmentation, {
      heatmap: options.heatmaps && heatmaps.camOutput !== null,
      operatingPoint: options.operatingPoint,
    });
    const { probabilities, inferenceMs } = scores;
    const heatmapStarted = performance.now();
    const maps = options.heatmaps ? await heatmapsOf(scores, tensor, gray) : undefined;
    const heatmapMs = options.heatmaps ? performance.now() - heatmapStarted : 0;

    const predicted = argmax(probabilities);
    const predictedLabel = labels[predicted];
    const threshold = manifest.thresholds[predictedLabel] ?? 0;
    const decodeMs = options.decodeMs ?? 0;
    const segmentMs = segmentation?.ms ?? 0;
    return {
      status: 'scored',
      gate,
      lungs,
      ...model,
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
      heatmaps: maps,
      verdict: scores.verdict,
      calibration: scores.calibration,
    };
  }

  return { preprocess, classify, analyse };
}
