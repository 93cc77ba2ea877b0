/**
 * The lung-field segmenter of a classifier's pipeline: its own model folder (kind
 * `lung-segmenter`), run in the same inference worker as the classifier, then post-processed here.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { CodedError } from '../../../shared/errors';
import type { SegmenterManifest } from '../../../shared/model-manifest';
import type { LungOutlineGrid } from '../../../shared/analysis';
import type { LoadedManifest } from '../manifest';
import { preprocessGray, type GrayImage } from '../preprocess';
import type { WorkerReply, WorkerTensor } from '../worker-protocol';
import { postprocessLungProbability, type LungMask } from './postprocess';

export interface Segmentation {
  /** Post-processed mask on the segmenter grid. */
  mask: LungMask;
  /** Raw P(lung) on the same grid. */
  probability: Float32Array;
  ms: number;
}

export interface LungSegmenter {
  readonly manifest: SegmenterManifest;
  readonly modelDir: string;
  segment(gray: GrayImage): Promise<Segmentation>;
  /** The mask as a grid registered over the image (what the viewer outlines). */
  outline(segmentation: Segmentation, gray: GrayImage): LungOutlineGrid;
  info(): { id: string; name: string; version: string; hasModelCard: boolean };
}

type Run = (
  feeds: Record<string, WorkerTensor>,
  fetches: string[],
) => Promise<Extract<WorkerReply, { type: 'result' }>>;

export function segmenterFromManifest(
  loaded: LoadedManifest<SegmenterManifest>,
  ready: Extract<WorkerReply, { type: 'ready' }>,
  run: Run,
): LungSegmenter {
  const { manifest } = loaded;
  const { input } = manifest;
  const output = manifest.outputs.lungProbability;
  if (
    !ready.inputs.some((i) => i.name === input.name) ||
    !ready.outputs.some((o) => o.name === output)
  ) {
    throw new CodedError(
      'MODEL_MANIFEST_MISMATCH',
      `Segmenter "${manifest.id}" does not match its manifest: expected input "${input.name}" and output "${output}"`,
    );
  }
  return {
    manifest,
    modelDir: loaded.modelDir,
    async segment(gray) {
      const started = performance.now();
      const tensor = preprocessGray(gray, input);
      const reply = await run(
        { [input.name]: { data: tensor.data.buffer as ArrayBuffer, dims: tensor.dims } },
        [output],
      );
      const probability = new Float32Array(reply.outputs[output].data);
      if (probability.length !== input.width * input.height) {
        throw new CodedError(
          'MODEL_MANIFEST_MISMATCH',
          `Segmenter "${manifest.id}" returned ${probability.length} values, expected ${input.width}x${input.height}`,
        );
      }
      const mask = postprocessLungProbability(
        probability,
        input.width,
        input.height,
        manifest.postprocess,
      );
      return { mask, probability, ms: performance.now() - started };
    },
    outline(segmentation, gray) {
      return {
        gridWidth: segmentation.mask.width,
        gridHeight: segmentation.mask.height,
        cells: segmentation.mask.data,
        imageWidth: gray.width,
        imageHeight: gray.height,
        segmenterId: manifest.id,
      };
    },
    info: () => ({
      id: manifest.id,
      name: manifest.name,
      version: manifest.version,
      hasModelCard:
        manifest.modelCard !== undefined && existsSync(join(loaded.modelDir, manifest.modelCard)),
    }),
  };
}
