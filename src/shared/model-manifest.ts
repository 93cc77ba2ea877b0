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
  | { kind: 'top-fraction-then-center-square'; topFraction: number };

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

export interface ModelManifest {
  schema: typeof MODEL_MANIFEST_SCHEMA;
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
}
