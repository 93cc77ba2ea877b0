/**
 * Model manifest (`model.json` beside `model.onnx`). It states everything the code must not
 * guess about a model; the engine refuses a manifest that does not match the graph.
 * Written by `training/export.py` for the bundled model; a user can write one for their own
 * ONNX model (e.g. an official COVID-Net converted to ONNX).
 */

export const MODEL_MANIFEST_SCHEMA = 'covidnet-workstation/model-manifest@1' as const;

/**
 * Crop applied to the (grayscale) source image before resizing, in source pixel coordinates.
 * - `none`: whole image.
 * - `center-square`: largest centred square.
 * - `top-fraction-then-center-square`: drop the top `topFraction` of rows (COVID-Net's crop of
 *   the top 8%, which often holds text), then the largest centred square of the rest.
 */
export type CropRule =
  | { kind: 'none' }
  | { kind: 'center-square' }
  | { kind: 'top-fraction-then-center-square'; topFraction: number }
  | LungBoxSquareCrop;

/**
 * Crop to the lungs found by the pipeline's segmenter (its mask is a grid of the segmenter's input
 * size laid over the whole image). Defined exactly so that `training/lung_crop.py` and
 * `src/main/inference/lungs/lung-crop.ts` agree bit for bit:
 * 1. lung box in mask cells [bx0, bx1) x [by0, by1) -> source pixels
 *    x0 = floor(bx0*W/gw), x1 = ceil(bx1*W/gw) (same for y with H, gh);
 * 2. square: side = ceil(max(x1-x0, y1-y0) * (1 + 2*margin)), sx = floor((x0+x1-side)/2),
 *    sy = floor((y0+y1-side)/2); it may extend past the image, where pixels count as `fill`;
 * 3. resize the square per `input.resize`;
 * 4. with `outsideLungs`: output pixel (ox, oy) samples the mask at source point
 *    (sx + (ox+0.5)*side/w, sy + (oy+0.5)*side/h) -> cell (floor(px*gw/W), floor(py*gh/H)), outside
 *    the image = not lung; that model-grid mask is dilated by `dilation` pixels (square window) and
 *    every pixel outside it is set to `fill` (gray 0..255, before normalisation);
 * 5. with `darkOutside` (v3: one fill rule for every source, so a third party's black lung mask is
 *    no cue): pixels of the resized crop below `below` (before step 4's fill) are dilated by
 *    `dilation` pixels (square window) and set to `fill` as well;
 * 6. with `standardize` (v3: one intensity normalisation for every film): over the pixels not set
 *    to `fill` by steps 4-5, mean m and population standard deviation s (float64, row-major sum);
 *    each such pixel v -> clamp(mean + std * (v - m) / max(s, 1), 0, 255). Filled pixels stay `fill`.
 */
export interface LungBoxSquareCrop {
  kind: 'lung-box-square';
  margin: number;
  fill: number;
  outsideLungs: { dilation: number } | null;
  darkOutside?: { below: number; dilation: number } | null;
  standardize?: { mean: number; std: number } | null;
}

export interface ModelInputSpec {
  /** Graph input name. */
  name: string;
  layout: 'NCHW' | 'NHWC';
  height: number;
  width: number;
  /** 1 = grayscale; 3 = grayscale replicated to RGB. */
  channels: 1 | 3;
  crop: CropRule;
  /**
   * Resampling from the crop to height x width, defined exactly so TypeScript and PyTorch agree:
   * - `area`: torch `adaptive_avg_pool2d` bins (output i averages source rows
   *   floor(i*H/h) .. ceil((i+1)*H/h)-1, same for columns); anti-aliased when shrinking.
   * - `bilinear`: torch `interpolate(mode='bilinear', align_corners=False, antialias=False)`.
   */
  resize: 'bilinear' | 'area';
  /**
   * x = (v * scale - mean[c]) / std[c], where v is the display-ready 8-bit-range gray value
   * (0..255, bone bright).
   */
  normalization: { scale: number; mean: number[]; std: number[] };
}

export interface ModelOutputSpec {
  /** Output holding class probabilities [N, classes] (softmax already applied). */
  probabilities: string;
  /** Optional raw logits [N, classes]. */
  logits?: string;
  /** Optional last feature map [N, K, h, w]. */
  features?: string;
}

/**
 * Heatmap support. `class-activation`: the graph outputs `output` = [N, classes, h, w] maps
 * (CAM computed in-graph from the last feature map and the classifier weights); the map covers
 * the model input (the crop, resized). Absent: the engine uses occlusion sensitivity.
 */
export interface ModelHeatmapSpec {
  kind: 'class-activation';
  output: string;
}

export interface ModelThresholds {
  /**
   * Per label: minimum probability for the prediction of that label to count as "passing".
   * The predicted label is the argmax; its status is `above-threshold` or `below-threshold`.
   */
  [label: string]: number;
}

export interface ModelProvenance {
  trainedBy: string;
  trainingData: string;
  trainingDataLicence: string;
  command: string;
  split: string;
  seed: number;
  createdAt: string;
  metrics?: Record<string, unknown>;
  architecture?: Record<string, unknown>;
  [key: string]: unknown;
}

/**
 * Temperature scaling, fitted by training on a calibration part of the TRAINING patients (never on
 * the split whose figures are reported): calibrated probabilities = softmax(logits / temperature).
 * Needs `outputs.logits`. The engine applies it once, for every caller; a model without it is
 * shown as "uncalibrated". (`fitted_on` is spelled as the issues and the Python writer spell it.)
 */
export interface ModelCalibration {
  method: 'temperature';
  /** > 0; 1 = no change. */
  temperature: number;
  /** Plain words: which films, how many, and the fit's figures, e.g. "calibration part of the training patients (n=812), NLL 0.61 -> 0.48". */
  fitted_on: string;
}

/**
 * Statistics of the training films' pooled features, so the app can tell a film unlike the
 * training films ("unfamiliar"). Pooled features = the global average over h, w of
 * `outputs.features` ([N, K, h, w] -> K values). With m = mean, u_i = components (unit rows),
 * l_i = variances, p_i = (x - m).u_i and r = (x - m) - sum_i p_i u_i:
 *   distance = sqrt( sum_i p_i^2 / l_i + |r|^2 / residualVariance ) / sqrt(K)
 * (a PCA-subspace Mahalanobis distance plus a residual term, scaled so a typical training film is
 * near 1). A film is unfamiliar when distance > `unfamiliarAbove`.
 */
export interface ModelFeatureStatistics {
  method: 'pca-mahalanobis';
  /** Which output is pooled; always `outputs.features` today. */
  pooledFrom: 'features-global-average';
  /** K. */
  dimension: number;
  mean: number[];
  /** k x K principal axes (k <= K). */
  components: number[][];
  /** k variances, one per component (> 0). */
  variances: number[];
  /** Per-dimension variance of the residual outside the k components (> 0). */
  residualVariance: number;
  /** Distances of training films at these quantiles (q in 0..1), for "how unusual" wording. */
  distanceQuantiles: { q: number; distance: number }[];
  /** Distance above which a film is `unfamiliar` (e.g. the 0.995 quantile of held-out training films). */
  unfamiliarAbove: number;
  /**
   * Optional: mean P(lung) of the segmenter inside its mask below which an accepted film is still
   * called unfamiliar (the gate's own limit rejects below `gate.minMeanProbability`).
   */
  minSegmenterConfidence?: number;
  /** Plain words: which films (training patients only) and how many. */
  fitted_on: string;
}

/**
 * How the verdict (`call` / `uncertain` / `unfamiliar`, src/shared/verdict.ts) is decided for this
 * model. Absent: the defaults in src/shared/verdict.ts.
 */
/** What a `call` is measured on (src/main/inference/failure-detection.ts compares the candidates). */
export type VerdictSignal = 'margin' | 'max-probability';

/**
 * When a result is a `call` (src/shared/verdict.ts decideVerdict): the top (calibrated)
 * probability reaches its class threshold and `minProbability` (when set), and leads the second
 * by at least `margin`. training/fit_trust.ts fits one of the two on the calibration split:
 * `--signal max-probability` (the default: it separated right from wrong results best, see
 * training/compare_trust.ts) sets minProbability and margin 0; `--signal margin` sets margin.
 */
export interface ModelVerdictRule {
  /** A `call` needs the top probability at least this far above the second one. */
  margin: number;
  /** A `call` needs the top probability at least this high (absent: only its class threshold). */
  minProbability?: number;
  /** Plain words: how the margin was chosen (never on the reported split). */
  chosenOn: string;
}

/** The models a classifier needs before it (found as sibling folders by id). */
export interface ModelPipelineSpec {
  /** Id of the lung-field segmenter model folder; its mask drives the chest gate and the crop. */
  segmenter: string;
}

export interface ModelManifest {
  schema: typeof MODEL_MANIFEST_SCHEMA;
  /** Absent = classifier (manifests written before segmenters existed). */
  kind?: 'classifier';
  id: string;
  name: string;
  version: string;
  /** Graph file name relative to the manifest folder. */
  file: string;
  /** sha256 (hex) of the graph file. */
  sha256: string;
  opset?: number;
  input: ModelInputSpec;
  outputs: ModelOutputSpec;
  labels: string[];
  heatmap?: ModelHeatmapSpec;
  thresholds: ModelThresholds;
  /** Model card file name relative to the manifest folder. */
  modelCard?: string;
  intendedUse: string;
  provenance: ModelProvenance;
  pipeline?: ModelPipelineSpec;
  /** Absent = uncalibrated (shown as such). */
  calibration?: ModelCalibration;
  /** Absent = the app cannot say "unfamiliar" from features (only from the segmenter, if any). */
  featureStatistics?: ModelFeatureStatistics;
  verdictRule?: ModelVerdictRule;
}

/** Post-processing of the segmenter's P(lung) grid (src/main/inference/lungs/postprocess.ts). */
export interface LungPostprocessSpec {
  threshold: number;
  /** Components smaller than this share of the grid are dropped before keeping the two largest. */
  minComponentFraction: number;
}

/**
 * Chest-gate limits on the post-processed mask, chosen on shared data (recorded with how):
 * fractions are of the segmenter grid; the right lung (image left) must lie left of the left lung.
 */
export interface ChestGateSpec {
  minLungFraction: number;
  maxLungFraction: number;
  /** Smaller lung's area / larger lung's area. */
  minLungAreaRatio: number;
  /** Each lung's centroid row, as a fraction of the height: [min, max]. */
  centroidRowRange: [number, number];
  /** Box height / box width of the two lungs together: [min, max]. */
  boxAspectRange: [number, number];
  /** Mean P(lung) inside the mask (confidence); films below are not chest-like. */
  minMeanProbability: number;
  /** Words on how the limits were chosen. */
  chosenOn: string;
}

/** A lung-field segmenter model folder (`model.json` with kind `lung-segmenter`). */
export interface SegmenterManifest {
  schema: typeof MODEL_MANIFEST_SCHEMA;
  kind: 'lung-segmenter';
  id: string;
  name: string;
  version: string;
  file: string;
  sha256: string;
  opset?: number;
  /** Whole image (crop `none`) resized to height x width. */
  input: ModelInputSpec;
  /** Output [N, 1, height, width] holding P(lung) per cell. */
  outputs: { lungProbability: string };
  postprocess: LungPostprocessSpec;
  gate: ChestGateSpec;
  modelCard?: string;
  intendedUse: string;
  provenance: ModelProvenance;
}
