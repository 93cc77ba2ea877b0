/**
 * Loading and checking a model folder (`model.json` + graph). Three refusals, each with a message
 * that names what differs: the manifest itself is malformed (MODEL_MANIFEST_INVALID), the graph
 * file is not the one the manifest describes (MODEL_CHECKSUM_MISMATCH), or the graph's inputs and
 * outputs do not match what the manifest says (MODEL_MANIFEST_MISMATCH).
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import { isAbsolute, join, normalize, resolve } from 'node:path';
import { z } from 'zod';
import { CodedError } from '../../shared/errors';
import {
  MODEL_MANIFEST_SCHEMA,
  type ModelManifest,
  type SegmenterManifest,
} from '../../shared/model-manifest';

export const MANIFEST_FILE_NAME = 'model.json';

const cropRuleSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('none') }),
  z.object({ kind: z.literal('center-square') }),
  z.object({
    kind: z.literal('top-fraction-then-center-square'),
    topFraction: z.number().min(0).lt(1),
  }),
  z.object({
    kind: z.literal('lung-box-square'),
    margin: z.number().min(0).max(1),
    fill: z.number().min(0).max(255),
    outsideLungs: z.object({ dilation: z.number().int().min(0).max(256) }).nullable(),
    darkOutside: z
      .object({ below: z.number().min(0).max(255), dilation: z.number().int().min(0).max(256) })
      .nullable()
      .optional(),
    standardize: z
      .object({ mean: z.number().min(0).max(255), std: z.number().positive().max(255) })
      .nullable()
      .optional(),
  }),
]);

const positiveInt = z.number().int().positive().max(16384);
const graphName = z.string().min(1).max(256);
const relativeFileName = z
  .string()
  .min(1)
  .max(256)
  .refine((name) => !isAbsolute(name) && !normalize(name).startsWith('..'), {
    message: 'must be a file inside the model folder',
  });

const inputSchema = z.object({
  name: graphName,
  layout: z.enum(['NCHW', 'NHWC']),
  height: positiveInt,
  width: positiveInt,
  channels: z.union([z.literal(1), z.literal(3)]),
  crop: cropRuleSchema,
  resize: z.enum(['bilinear', 'area']),
  normalization: z.object({
    scale: z.number().positive(),
    mean: z.array(z.number()).min(1).max(3),
    std: z.array(z.number().positive()).min(1).max(3),
  }),
});

const provenanceSchema = z.looseObject({
  trainedBy: z.string(),
  trainingData: z.string(),
  trainingDataLicence: z.string(),
  command: z.string(),
  split: z.string(),
  seed: z.number(),
  createdAt: z.string(),
  metrics: z.record(z.string(), z.unknown()).optional(),
  architecture: z.record(z.string(), z.unknown()).optional(),
});

const modelFolderFields = {
  schema: z.literal(MODEL_MANIFEST_SCHEMA),
  id: z.string().min(1).max(128),
  name: z.string().min(1).max(256),
  version: z.string().min(1).max(64),
  file: relativeFileName,
  sha256: z.string().regex(/^[0-9a-fA-F]{64}$/, 'must be 64 hex digits'),
  opset: z.number().int().positive().optional(),
  modelCard: relativeFileName.optional(),
  intendedUse: z.string().min(1),
  provenance: provenanceSchema,
};

const fraction = z.number().min(0).max(1);
const segmenterSchema = z.object({
  ...modelFolderFields,
  kind: z.literal('lung-segmenter'),
  input: inputSchema.refine((i) => i.crop.kind === 'none', {
    message: 'a segmenter sees the whole image (crop "none")',
  }),
  outputs: z.object({ lungProbability: graphName }),
  postprocess: z.object({ threshold: fraction, minComponentFraction: fraction }),
  gate: z.object({
    minLungFraction: fraction,
    maxLungFraction: fraction,
    minLungAreaRatio: fraction,
    centroidRowRange: z.tuple([fraction, fraction]),
    boxAspectRange: z.tuple([z.number().positive(), z.number().positive()]),
    minMeanProbability: fraction,
    chosenOn: z.string(),
  }),
});

const calibrationSchema = z.object({
  method: z.literal('temperature'),
  temperature: z.number().positive().max(100),
  fitted_on: z.string().min(1),
});

const finite = z.number().finite();
const featureStatisticsSchema = z.object({
  method: z.literal('pca-mahalanobis'),
  pooledFrom: z.literal('features-global-average'),
  dimension: z.number().int().positive().max(65536),
  mean: z.array(finite).min(1),
  components: z.array(z.array(finite).min(1)),
  variances: z.array(z.number().positive()),
  residualVariance: z.number().positive(),
  distanceQuantiles: z.array(z.object({ q: fraction, distance: z.number().min(0) })),
  unfamiliarAbove: z.number().positive(),
  minSegmenterConfidence: fraction.optional(),
  fitted_on: z.string().min(1),
});

const verdictRuleSchema = z.object({
  margin: fraction,
  minProbability: fraction.optional(),
  chosenOn: z.string().min(1),
});

const manifestSchema = z
  .object({
    ...modelFolderFields,
    kind: z.literal('classifier').optional(),
    pipeline: z.object({ segmenter: z.string().min(1).max(128) }).optional(),
    input: inputSchema,
    outputs: z.object({
      probabilities: graphName,
      logits: graphName.optional(),
      features: graphName.optional(),
    }),
    labels: z.array(z.string().min(1).max(64)).min(2).max(64),
    heatmap: z.object({ kind: z.literal('class-activation'), output: graphName }).optional(),
    thresholds: z.record(z.string(), z.number().min(0).max(1)),
    calibration: calibrationSchema.optional(),
    featureStatistics: featureStatisticsSchema.optional(),
    verdictRule: verdictRuleSchema.optional(),
  })
  .superRefine((m, ctx) => {
    if (m.calibration && !m.outputs.logits) {
      ctx.addIssue({
        code: 'custom',
        path: ['calibration'],
        message: 'temperature scaling needs outputs.logits',
      });
    }
    const stats = m.featureStatistics;
    if (stats) {
      if (!m.outputs.features) {
        ctx.addIssue({
          code: 'custom',
          path: ['featureStatistics'],
          message: 'feature statistics need outputs.features (the pooled feature map)',
        });
      }
      const K = stats.dimension;
      const where = (field: string): string[] => ['featureStatistics', field];
      if (stats.mean.length !== K) {
        ctx.addIssue({
          code: 'custom',
          path: where('mean'),
          message: `has ${stats.mean.length} values; dimension is ${K}`,
        });
      }
      if (stats.components.length > K) {
        ctx.addIssue({
          code: 'custom',
          path: where('components'),
          message: `has ${stats.components.length} components; at most dimension (${K})`,
        });
      }
      stats.components.forEach((component, i) => {
        if (component.length !== K) {
          ctx.addIssue({
            code: 'custom',
            path: ['featureStatistics', 'components', i],
            message: `has ${component.length} values; dimension is ${K}`,
          });
        }
      });
      if (stats.variances.length !== stats.components.length) {
        ctx.addIssue({
          code: 'custom',
          path: where('variances'),
          message: `has ${stats.variances.length} values; one per component (${stats.components.length})`,
        });
      }
    }
    const { channels, normalization } = m.input;
    for (const key of ['mean', 'std'] as const) {
      const n = normalization[key].length;
      if (n !== 1 && n !== channels) {
        ctx.addIssue({
          code: 'custom',
          path: ['input', 'normalization', key],
          message: `has ${n} values; expected 1 or ${channels} (input.channels)`,
        });
      }
    }
    if (m.input.crop.kind === 'lung-box-square' && !m.pipeline) {
      ctx.addIssue({
        code: 'custom',
        path: ['pipeline'],
        message: 'a lung-box-square crop needs pipeline.segmenter (the model that finds the lungs)',
      });
    }
    if (new Set(m.labels).size !== m.labels.length) {
      ctx.addIssue({ code: 'custom', path: ['labels'], message: 'labels must be unique' });
    }
    for (const label of Object.keys(m.thresholds)) {
      if (!m.labels.includes(label)) {
        ctx.addIssue({
          code: 'custom',
          path: ['thresholds', label],
          message: `threshold for "${label}", which is not one of the labels`,
        });
      }
    }
  });

function describeIssues(error: z.ZodError): string {
  return error.issues
    .map((issue) => `${issue.path.length ? issue.path.join('.') : '(root)'}: ${issue.message}`)
    .join('; ');
}

/** Validates parsed JSON as a model manifest; throws MODEL_MANIFEST_INVALID naming each problem. */
export function parseModelManifest(json: unknown, where = MANIFEST_FILE_NAME): ModelManifest {
  const parsed = manifestSchema.safeParse(json);
  if (!parsed.success) {
    throw new CodedError(
      'MODEL_MANIFEST_INVALID',
      `${where} is not a valid model manifest: ${describeIssues(parsed.error)}`,
    );
  }
  return parsed.data as ModelManifest;
}

/** Validates parsed JSON as a lung-segmenter manifest (kind `lung-segmenter`). */
export function parseSegmenterManifest(
  json: unknown,
  where = MANIFEST_FILE_NAME,
): SegmenterManifest {
  const parsed = segmenterSchema.safeParse(json);
  if (!parsed.success) {
    throw new CodedError(
      'MODEL_MANIFEST_INVALID',
      `${where} is not a valid lung-segmenter manifest: ${describeIssues(parsed.error)}`,
    );
  }
  return parsed.data as SegmenterManifest;
}

export interface LoadedManifest<M = ModelManifest> {
  manifest: M;
  modelDir: string;
  graphPath: string;
}

/** Reads `<modelDir>/model.json` as a classifier manifest; MODEL_NOT_FOUND if files are missing. */
export async function loadModelManifest(modelDir: string): Promise<LoadedManifest> {
  return loadManifestWith(modelDir, parseModelManifest);
}

/** Reads `<modelDir>/model.json` as a lung-segmenter manifest. */
export async function loadSegmenterManifest(
  modelDir: string,
): Promise<LoadedManifest<SegmenterManifest>> {
  return loadManifestWith(modelDir, parseSegmenterManifest);
}

async function loadManifestWith<M extends { file: string }>(
  modelDir: string,
  parse: (json: unknown, where: string) => M,
): Promise<LoadedManifest<M>> {
  const dir = resolve(modelDir);
  const manifestPath = join(dir, MANIFEST_FILE_NAME);
  let text: string;
  try {
    text = await readFile(manifestPath, 'utf8');
  } catch (cause) {
    throw new CodedError('MODEL_NOT_FOUND', `No model manifest at ${manifestPath}`, { cause });
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (cause) {
    throw new CodedError(
      'MODEL_MANIFEST_INVALID',
      `${manifestPath} is not valid JSON: ${(cause as Error).message}`,
      { cause },
    );
  }
  const manifest = parse(json, manifestPath);
  const graphPath = join(dir, manifest.file);
  try {
    const info = await stat(graphPath);
    if (!info.isFile()) throw new Error('not a file');
  } catch (cause) {
    throw new CodedError(
      'MODEL_NOT_FOUND',
      `The manifest names ${manifest.file}, which is not in ${dir}`,
      {
        cause,
      },
    );
  }
  return { manifest, modelDir: dir, graphPath };
}

export async function sha256File(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

/** Throws MODEL_CHECKSUM_MISMATCH unless the graph file hashes to the manifest's sha256. */
export async function verifyGraphChecksum(
  loaded: LoadedManifest<{ file: string; sha256: string }>,
): Promise<void> {
  const actual = await sha256File(loaded.graphPath);
  const expected = loaded.manifest.sha256.toLowerCase();
  if (actual !== expected) {
    throw new CodedError(
      'MODEL_CHECKSUM_MISMATCH',
      `${loaded.manifest.file} has sha256 ${actual}, but model.json says ${expected}: ` +
        'the graph is not the one the manifest describes',
    );
  }
}

/** What onnxruntime reports about one graph input or output. */
export interface GraphValueInfo {
  name: string;
  /** Tensor element type, e.g. 'float32'; undefined for non-tensor values. */
  type?: string;
  /** Dimensions; symbolic dimensions are strings (e.g. 'N'). Undefined when unknown. */
  shape?: (number | string)[];
}

export interface GraphSignature {
  inputs: GraphValueInfo[];
  outputs: GraphValueInfo[];
}

function shapeText(shape: (number | string)[] | undefined): string {
  return shape ? `[${shape.join(', ')}]` : '[unknown]';
}

/** A fixed (numeric) dimension that differs from `expected`; symbolic dims match anything. */
function dimDiffers(dim: number | string | undefined, expected: number): boolean {
  return typeof dim === 'number' && dim > 0 && dim !== expected;
}

/** Every way the graph differs from the manifest (empty = consistent). Pure, for tests. */
export function compareGraphWithManifest(manifest: ModelManifest, graph: GraphSignature): string[] {
  const problems: string[] = [];
  const inputNames = graph.inputs.map((i) => i.name);
  const outputNames = graph.outputs.map((o) => o.name);
  const { input } = manifest;

  const graphInput = graph.inputs.find((i) => i.name === input.name);
  if (!graphInput) {
    problems.push(
      `input "${input.name}" is not in the graph (graph inputs: ${inputNames.join(', ')})`,
    );
  } else {
    if (graphInput.type && graphInput.type !== 'float32') {
      problems.push(`input "${input.name}" is ${graphInput.type}, expected float32`);
    }
    const shape = graphInput.shape;
    if (shape && shape.length !== 4) {
      problems.push(
        `input "${input.name}" has rank ${shape.length} ${shapeText(shape)}, expected 4 (${input.layout})`,
      );
    } else if (shape) {
      const expected =
        input.layout === 'NCHW'
          ? { C: shape[1], H: shape[2], W: shape[3] }
          : { H: shape[1], W: shape[2], C: shape[3] };
      const wanted = { C: input.channels, H: input.height, W: input.width };
      for (const axis of ['C', 'H', 'W'] as const) {
        if (dimDiffers(expected[axis], wanted[axis])) {
          problems.push(
            `input "${input.name}" has shape ${shapeText(shape)}; the manifest says ${input.layout} with ` +
              `${axis}=${wanted[axis]}`,
          );
        }
      }
    }
  }
  for (const extra of graph.inputs.filter((i) => i.name !== input.name)) {
    problems.push(`graph has a second input "${extra.name}" that the manifest does not feed`);
  }

  const labelCount = manifest.labels.length;
  const checkOutput = (
    role: string,
    name: string | undefined,
    rank: number,
    classAxis: number | null,
  ): void => {
    if (name === undefined) return;
    const out = graph.outputs.find((o) => o.name === name);
    if (!out) {
      problems.push(
        `${role} output "${name}" is not in the graph (graph outputs: ${outputNames.join(', ')})`,
      );
      return;
    }
    if (!out.shape) return;
    if (out.shape.length !== rank) {
      problems.push(
        `${role} output "${name}" has rank ${out.shape.length} ${shapeText(out.shape)}, expected ${rank}`,
      );
      return;
    }
    if (classAxis !== null && dimDiffers(out.shape[classAxis], labelCount)) {
      problems.push(
        `${role} output "${name}" has ${out.shape[classAxis]} classes ${shapeText(out.shape)}, ` +
          `but the manifest lists ${labelCount} labels (${manifest.labels.join(', ')})`,
      );
    }
  };
  checkOutput('probabilities', manifest.outputs.probabilities, 2, 1);
  checkOutput('logits', manifest.outputs.logits, 2, 1);
  checkOutput('features', manifest.outputs.features, 4, null);
  const stats = manifest.featureStatistics;
  const featuresShape = graph.outputs.find((o) => o.name === manifest.outputs.features)?.shape;
  if (stats && featuresShape?.length === 4 && dimDiffers(featuresShape[1], stats.dimension)) {
    problems.push(
      `features output "${manifest.outputs.features}" has ${featuresShape[1]} channels ` +
        `${shapeText(featuresShape)}, but featureStatistics.dimension is ${stats.dimension}`,
    );
  }
  checkOutput('heatmap', manifest.heatmap?.output, 4, 1);
  return problems;
}

/** Throws MODEL_MANIFEST_MISMATCH listing every difference between graph and manifest. */
export function assertGraphMatchesManifest(manifest: ModelManifest, graph: GraphSignature): void {
  const problems = compareGraphWithManifest(manifest, graph);
  if (problems.length > 0) {
    throw new CodedError(
      'MODEL_MANIFEST_MISMATCH',
      `Model "${manifest.id}" does not match its manifest: ${problems.join('; ')}`,
    );
  }
}
