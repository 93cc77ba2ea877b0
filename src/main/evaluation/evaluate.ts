/**
 * Evaluation of the loaded model on a labelled manifest (the columns of
 * ../shared/data/cxr/manifest.csv: file, label, source, ...; paths relative to the manifest's
 * folder). Writes predictions.csv, metrics.json, report.md, confusion_matrix.svg and roc.svg.
 */
import { mkdir, readFile, stat, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { parse } from 'csv-parse/sync';
import { stringify } from 'csv-stringify/sync';
import { CodedError, toErrorInfo, type CodedErrorInfo } from '../../shared/errors';
import { openImage, toModelGray } from '../imaging';
import type { GrayImage, InferenceEngine, ModelTensor } from '../inference';
import { argmax, computeMetrics, type EvaluationMetrics, type EvaluationSample } from './metrics';
import { confusionMatrixSvg, reportMarkdown, rocSvg } from './report';
import {
  COVID_LABEL,
  FramingProbe,
  shortcutBaselineFigures,
  type ProbeFigures,
  type ShortcutBaselineFigures,
  type ShortcutSample,
} from './shortcut/audit';
import type { ShortcutBaseline } from './shortcut/baseline';
import { shortcutFeatures } from './shortcut/features';
import type { FramingTransform } from './shortcut/framing';
import { shortcutAuditMarkdown } from './shortcut/report';

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
  /** No-anatomy baseline to report beside the model on the same images (shortcut audit). */
  shortcutBaseline?: ShortcutBaseline | null;
  /** Re-run the model on non-COVID images under framing changes (shortcut audit). */
  probe?: boolean;
  onProgress?: (done: number, total: number) => void;
}

/** metrics.json: the model's figures, plus the shortcut audit when it was asked for. */
export type EvaluationReport = EvaluationMetrics & {
  shortcut_baseline?: ShortcutBaselineFigures;
  probe?: Record<FramingTransform, ProbeFigures>;
};

export interface EvaluationOutcome {
  metrics: EvaluationReport;
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

interface DecodedEntry {
  tensor: ModelTensor;
  gray: GrayImage;
  fileBytes: number;
}

async function decodeEntry(path: string, engine: InferenceEngine): Promise<DecodedEntry> {
  const image = await openImage(path);
  const frame = await image.decodeFrame(0);
  const gray = {
    data: toModelGray(frame, image.metadata),
    width: frame.columns,
    height: frame.rows,
  };
  return { tensor: engine.preprocess(gray), gray, fileBytes: (await stat(path)).size };
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
  const baseline = options.shortcutBaseline ?? null;
  const shortcutSamples: ShortcutSample[] = [];
  const probe = options.probe ? new FramingProbe(engine) : null;
  const decode = (i: number): Promise<DecodedEntry | CodedErrorInfo> =>
    decodeEntry(resolve(base, entries[i].file), engine).catch((error: unknown) =>
      toErrorInfo(error),
    );
  // Decode image i+1 while image i is in the inference worker.
  let next = entries.length > 0 ? decode(0) : null;
  for (let i = 0; i < entries.length; i++) {
    const prepared = await (next as Promise<DecodedEntry | CodedErrorInfo>);
    next = i + 1 < entries.length ? decode(i + 1) : null;
    const entry = entries[i];
    const path = resolve(base, entry.file);
    if ('code' in prepared) {
      images.push({ ...entry, path, probabilities: null, error: prepared });
    } else {
      try {
        const { probabilities } = await engine.classify(prepared.tensor);
        images.push({ ...entry, path, probabilities, error: null });
        const { gray, fileBytes } = prepared;
        if (baseline) {
          const features = shortcutFeatures(gray.data, gray.width, gray.height, fileBytes);
          shortcutSamples.push({ truth: entry.label, source: entry.source, features });
        }
        // The probe asks whether framing alone pushes non-COVID films towards COVID-19.
        if (probe && entry.label !== COVID_LABEL) await probe.add(gray, probabilities);
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
  const metrics: EvaluationReport = computeMetrics(samples, labels);
  if (baseline) metrics.shortcut_baseline = shortcutBaselineFigures(baseline, shortcutSamples);
  if (probe) metrics.probe = probe.figures();

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
      // As the user named it (relative paths stay relative), so reports don't carry this machine's paths.
      manifestPath: options.manifestPath,
      failures,
      provider: engine.provider.active,
    }) + shortcutAuditMarkdown(metrics, metrics.shortcut_baseline, metrics.probe),
    'utf8',
  );
  await writeFile(files[3], confusionMatrixSvg(metrics), 'utf8');
  await writeFile(files[4], rocSvg(samples, metrics), 'utf8');
  return { metrics, images, files };
}
