/**
 * Heatmaps registered to the original image: class activation (one run, from the graph's CAM
 * output) or, for models without one, occlusion sensitivity (batched runs of masked inputs).
 */
import type { ModelManifest } from '../../shared/model-manifest';
import type { HeatmapGrid } from '../../shared/analysis';
import { gridRegistration, type GrayImage, type ModelTensor, type PixelRect } from './preprocess';
import { calibratedProbabilities } from './trust';

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

export function heatmapGrid(
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

export type BatchRunner = (
  data: Float32Array,
  dims: number[],
  fetches: string[],
) => Promise<{ outputs: Record<string, Float32Array>; runMs: number }>;

export interface HeatmapMaker {
  /** CAM output name, when the model has one. */
  readonly camOutput: string | null;
  /** Evidence for class `index` from a CAM output fetched with the scores. */
  fromCam(cam: Float32Array, index: number, tensor: ModelTensor, source: GrayImage): HeatmapGrid;
  /**
   * Occlusion sensitivity for every class, in label order, from one set of occluded runs: the
   * drop in calibrated P(label) when each cell of the input is set to 0.
   */
  byOcclusion(
    tensor: ModelTensor,
    baseProbabilities: readonly number[],
    source: GrayImage,
  ): Promise<HeatmapGrid[]>;
}

export function createHeatmapMaker(options: {
  manifest: ModelManifest;
  /** The CAM output's shape as the graph reports it (symbolic dims resolved at run time). */
  camShape: (number | string)[] | undefined;
  occlusionGrid: number;
  maxBatch: number;
  runBatch: BatchRunner;
}): HeatmapMaker {
  const { manifest, camShape, occlusionGrid, maxBatch, runBatch } = options;
  const { labels } = manifest;

  function camSpatialDims(length: number): [number, number] {
    const h = camShape?.[2];
    const w = camShape?.[3];
    if (typeof h === 'number' && typeof w === 'number') return [h, w];
    const side = Math.round(Math.sqrt(length / labels.length));
    return [side, side];
  }

  return {
    camOutput: manifest.heatmap?.output ?? null,
    fromCam(cam, index, tensor, source) {
      const [gridHeight, gridWidth] = camSpatialDims(cam.length);
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
    },
    async byOcclusion(tensor, baseProbabilities, source) {
      const { height, width, channels, layout } = manifest.input;
      const cells = occlusionGrid * occlusionGrid;
      const imageSize = tensor.data.length;
      const drops = labels.map(() => new Float32Array(cells));
      // The same calibrated probabilities as the base score, so the drops compare like with like.
      const fetches =
        manifest.calibration && manifest.outputs.logits
          ? [manifest.outputs.probabilities, manifest.outputs.logits]
          : [manifest.outputs.probabilities];
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
        const { outputs } = await runBatch(batch, dims, fetches);
        for (let b = 0; b < count; b++) {
          const probabilities = calibratedProbabilities(
            manifest.calibration,
            {
              probabilities: outputs[manifest.outputs.probabilities],
              logits: manifest.outputs.logits ? outputs[manifest.outputs.logits] : undefined,
            },
            labels.length,
            b,
          );
          for (let index = 0; index < labels.length; index++) {
            drops[index][first + b] = Math.max(0, baseProbabilities[index] - probabilities[index]);
          }
        }
      }
      return drops.map((classDrops, index) => {
        let max = 0;
        for (const d of classDrops) max = Math.max(max, d);
        const values = classDrops.map((d) => (max > 0 ? d / max : 0));
        return heatmapGrid(
          'occlusion',
          labels[index],
          values,
          occlusionGrid,
          occlusionGrid,
          tensor.crop,
          source,
        );
      });
    },
  };
}
