/**
 * Evaluation of the loaded model on a labelled manifest (the columns of
 * ../shared/data/cxr/manifest.csv: file, label, source, ...; paths relative to the manifest's
 * folder). Writes predictions.csv, metrics.json, report.md, confusion_matrix.svg and roc.svg.
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { parse } from 'csv-parse/sync';
import { stringify } from 'csv-stringify/sync';
import { CodedError, toErrorInfo, type CodedErrorInfo } from '../../shared/errors';
import { openImage, toModelGray } from '../imaging';
import type { InferenceEngine, ModelTensor } from '../inference';
import { argmax, computeMetrics, type EvaluationMetrics, type EvaluationSample } from './metrics';
import { confusionMatrixSvg, reportMarkdown, rocSvg } from './report';

export interface ManifestEntry {
  file: string;
  label: string;
  source: string;
}

export interface EvaluatedImage extends ManifestEntry {
  path: string;
  probabilities: number[] | null;
  error: CodedErrorInfo | null;
}

export interface EvaluationOptions {
  manifestPath: string;
  outDir: string;
  engine: InferenceEngine;
  onProgress?: (done: number, total: number) => void;
}

export interface EvaluationOutcome {
  metrics: EvaluationMetrics;
  images: EvaluatedImage[];
  files: string[];
}

export async function readEvaluationManifest(manifestPath: string): Promise<ManifestEntry[]> {
  const records = parse(await readFile(manifestPath, 'utf8'), {
    columns: true,
    skip_empty_lines: true,
    trim: true,
  }) as Record<string, string>[];
  return records.map((record, i) => {
    const { file, label, source } = record;
    if (!file || !label) {
      throw new CodedError(
        'INVALID_REQUEST',
        `${manifestPath} row ${i + 2}: needs "file" and "label" columns`,
      );
    }
    return { file, label, source: source || 'unknown' };
  });
}

async function decodeToTensor(path: string, engine: InferenceEngine): Promise<ModelTensor> {
  const image = await openImage(path);
  const frame = await image.decodeFrame(0);
  return engine.preprocess({
    data: toModelGray(frame, image.metadata),
    width: frame.columns,
    height: frame.rows,
  });
}

export async function runEvaluation(options: EvaluationOptions): Promise<EvaluationOutcome> {
  const { engine, outDir } = options;
  const manifestPath = resolve(options.manifestPath);
  const base = dirname(manifestPath);
  const entries = await readEvaluationManifest(manifestPath);
  const labels = engine.manifest.labels;
  const unknown = entries.find((e) => !labels.includes(e.label));
  if (unknown) {
    throw new CodedError(
      'INVALID_REQUEST',
      `Label "${unknown.label}" (${unknown.file}) is not one of ${labels.join(', ')}`,
    );
  }

  const images: EvaluatedImage[] = [];
  const decode = (i: number): Promise<ModelTensor | CodedErrorInfo> =>
    decodeToTensor(resolve(base, entries[i].file), engine).catch((error: unknown) =>
      toErrorInfo(error),
    );
  // Decode image i+1 while image i is in the inference worker.
  let next = entries.length > 0 ? decode(0) : null;
  for (let i = 0; i < entries.length; i++) {
    const prepared = await (next as Promise<ModelTensor | CodedErrorInfo>);
    next = i + 1 < entries.length ? decode(i + 1) : null;
    const entry = entries[i];
    const path = resolve(base, entry.file);
    if ('code' in prepared) {
      images.push({ ...entry, path, probabilities: null, error: prepared });
    } else {
      try {
        const { probabilities } = await engine.classify(prepared);
        images.push({ ...entry, path, probabilities, error: null });
      } catch (error) {
        images.push({ ...entry, path, probabilities: null, error: toErrorInfo(error) });
      }
    }
    options.onProgress?.(i + 1, entries.length);
  }

  const samples: EvaluationSample[] = images
    .filter((image) => image.probabilities !== null)
    .map((image) => ({
      truth: image.label,
      probabilities: image.probabilities as number[],
      source: image.source,
    }));
  const metrics = computeMetrics(samples, labels);

  await mkdir(outDir, { recursive: true });
  const files = [
    'predictions.csv',
    'metrics.json',
    'report.md',
    'confusion_matrix.svg',
    'roc.svg',
  ].map((f) => join(outDir, f));
  const predictionsCsv = stringify(
    images.map((image) => [
      image.file,
      image.label,
      image.source,
      ...labels.map((_, c) => (image.probabilities ? image.probabilities[c].toFixed(6) : '')),
      image.probabilities ? labels[argmax(image.probabilities)] : '',
      image.error ? 'error' : 'ok',
      image.error?.code ?? '',
    ]),
    {
      header: true,
      columns: [
        'file',
        'label',
        'source',
        ...labels.map((l) => `p_${l}`),
        'prediction',
        'status',
        'error_code',
      ],
    },
  );
  const failures = images
    .filter((i) => i.error)
    .map((i) => ({ file: i.file, code: i.error?.code ?? '' }));
  await writeFile(files[0], predictionsCsv, 'utf8');
  await writeFile(files[1], `${JSON.stringify(metrics, null, 2)}\n`, 'utf8');
  await writeFile(
    files[2],
    reportMarkdown(metrics, engine.manifest, {
      manifestPath,
      failures,
      provider: engine.provider.active,
    }),
    'utf8',
  );
  await writeFile(files[3], confusionMatrixSvg(metrics), 'utf8');
  await writeFile(files[4], rocSvg(samples, metrics), 'utf8');
  return { metrics, images, files };
}
