/**
 * Evaluation of the loaded model on a labelled manifest (the columns of
 * ../shared/data/cxr/manifest.csv: file, label, source, ...; paths relative to the manifest's
 * folder; a `group_id` column may stand in for `patient_id`, and `masked` says a film was
 * lung-masked by a third party). Writes predictions.csv, metrics.json, report.md,
 * confusion_matrix.svg, roc.svg and reliability.svg.
 */
import { mkdir, readFile, stat, writeFile } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { parse } from 'csv-parse/sync';
import { stringify } from 'csv-stringify/sync';
import { CodedError, toErrorInfo, type CodedErrorInfo } from '../../../shared/errors';
import { heatmapFor } from '../../../shared/analysis';
import type { OperatingPoint, Verdict } from '../../../shared/verdict';
import type { GrayImage, InferenceEngine } from '../../platform/inference';
import { decodeForModel } from '../../platform/decode-pool';
import { chestHeaderOf, type ChestHeader } from '../../platform/inference/lungs/gate';
import { preprocessLungCrop } from '../../platform/inference/lungs/lung-crop';
import { lungMaskAtImageSize } from '../../platform/inference/lungs/postprocess';
import type { Segmentation } from '../../platform/inference/lungs/segmenter';
import {
  diceIou,
  fillLungs,
  heatmapShareInLungs,
  paintLungs,
  lungsOutFigures,
  withinSourceFigures,
  type LungsOutFigures,
  type ScoredImage,
  type WithinSourceFigures,
} from './lung-probes';
import { readReferenceLungMasks, type ReferenceLungMask } from './reference-masks';
import {
  argmax,
  computeMetrics,
  type EvaluationMetrics,
  type EvaluationSample,
} from '../../base/metrics';
import { confusionMatrixSvg, reportMarkdown, rocSvg } from './report';
import {
  calibrationBySource,
  expectedCalibrationError,
  reliabilitySvg,
  verdictFigures,
  type CalibrationFigures,
  type SourceCalibration,
  type VerdictFigures,
} from './calibration';
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
  /** `patient_id`, else `group_id` (one patient, or one film seen twice); null when neither. */
  group: string | null;
  /** `masked` column (1/true: lung-masked by a third party); null when absent. */
  masked: boolean | null;
}

export interface EvaluatedImage extends ManifestEntry {
  path: string;
  probabilities: number[] | null;
  error: CodedErrorInfo | null;
  /** The chest gate's reason when it turned the film away (no probabilities then). */
  rejected: string | null;
  /** The engine's verdict for scored films (null otherwise). */
  verdict: Verdict | null;
}

export interface EvaluationOptions {
  manifestPath: string;
  outDir: string;
  engine: InferenceEngine;
  /** No-anatomy baseline to report beside the model on the same images (shortcut audit). */
  shortcutBaseline?: ShortcutBaseline | null;
  /** Re-run the model on non-COVID images under framing changes (shortcut audit). */
  probe?: boolean;
  /** Reference lung masks (a CSV with `image` and `mask` columns, matched by image file name). */
  lungMasksPath?: string;
  onProgress?: (done: number, total: number) => void;
  /**
   * A site profile applied to every film's scores (threshold and/or recalibration), so a clinic
   * can check a profile on films it was not chosen on (`validate --site-profile`). Not applied to
   * the probes' re-scored crops.
   */
  operatingPoint?: OperatingPoint | null;
}

/** metrics.json: the model's figures, plus the shortcut audit when it was asked for. */
export type EvaluationReport = EvaluationMetrics & {
  shortcut_baseline?: ShortcutBaselineFigures;
  probe?: Record<FramingTransform, ProbeFigures>;
  within_source: WithinSourceFigures;
  /** Films the chest gate turned away (not in the figures above), by label. */
  gate: { rejected: number; rejected_by_label: Record<string, number>; rejected_files: string[] };
  lungs_out?: LungsOutFigures | null;
  /** The lungs' inside painted one flat gray, everything else as in lungs_out. */
  outline_only?: LungsOutFigures | null;
  /** Expected calibration error (15 bins, top-class confidence) of the probabilities as given. */
  calibration: CalibrationFigures & {
    /** Whether the model applied a temperature, and which. */
    calibrated: boolean;
    temperature: number | null;
    /** The same ECE within each source. */
    per_source: Record<string, SourceCalibration>;
  };
  /** call / uncertain / unfamiliar over scored films, with the accuracy within each. */
  verdicts: VerdictFigures;
  heatmap_in_lungs?: { n: number; mean: number | null } | null;
  segmenter?: {
    id: string;
    n: number;
    dice: number | null;
    iou: number | null;
    per_source: Record<string, { n: number; dice: number; iou: number }>;
  };
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
    const masked = record.masked?.toLowerCase();
    return {
      file,
      label,
      source: source || 'unknown',
      group: record.patient_id || record.group_id || null,
      masked:
        masked === undefined || masked === ''
          ? null
          : masked === '1' || masked === 'true' || masked === 'yes',
    };
  });
}

interface DecodedEntry {
  gray: GrayImage;
  header: ChestHeader | null;
  fileBytes: number;
}

async function decodeEntry(path: string): Promise<DecodedEntry> {
  const image = await decodeForModel(path);
  const gray = { data: image.gray, width: image.width, height: image.height };
  return { gray, header: chestHeaderOf(image), fileBytes: (await stat(path)).size };
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
    decodeEntry(resolve(base, entries[i].file)).catch((error: unknown) => toErrorInfo(error));
  const referenceMasks = options.lungMasksPath
    ? await readReferenceLungMasks(options.lungMasksPath)
    : new Map<string, ReferenceLungMask>();
  const lungCrop = engine.manifest.input.crop;
  const lungsOutPairs: { original: ScoredImage; filled: number[] }[] = [];
  const outlinePairs: { original: ScoredImage; filled: number[] }[] = [];
  // The outline probe paints the lungs with the crop's own fill (the gray outside the lungs).
  const flatGray = lungCrop.kind === 'lung-box-square' ? lungCrop.fill : 127.5;
  const heatmapShares: number[] = [];
  const diceBySource = new Map<string, { dice: number; iou: number }[]>();
  // Decode image i+1 while image i is in the inference worker.
  let next = entries.length > 0 ? decode(0) : null;
  for (let i = 0; i < entries.length; i++) {
    const prepared = await (next as Promise<DecodedEntry | CodedErrorInfo>);
    next = i + 1 < entries.length ? decode(i + 1) : null;
    const entry = entries[i];
    const path = resolve(base, entry.file);
    if ('code' in prepared) {
      images.push({
        ...entry,
        path,
        probabilities: null,
        error: prepared,
        rejected: null,
        verdict: null,
      });
    } else {
      try {
        const { gray, header, fileBytes } = prepared;
        // The segmentation of a film that passed the gate, for the Dice and the lung probes.
        const seen: { segmentation: Segmentation | null } = { segmentation: null };
        const outcome = await engine.analyse(
          { gray, header },
          {
            heatmaps: options.probe === true,
            operatingPoint: options.operatingPoint ?? null,
            inspect: (stages) => (seen.segmentation = stages.segmentation),
          },
        );
        const { segmentation } = seen;
        const reference = referenceMasks.get(basename(entry.file));
        if (reference && segmentation && engine.segmenter) {
          const predicted = lungMaskAtImageSize(
            segmentation.mask,
            segmentation.probability,
            engine.segmenter.manifest.postprocess.threshold,
            gray.width,
            gray.height,
          );
          const list = diceBySource.get(entry.source) ?? [];
          list.push(diceIou(predicted, await reference.load(gray.width, gray.height)));
          diceBySource.set(entry.source, list);
        }
        if (outcome.status === 'rejected') {
          images.push({
            ...entry,
            path,
            probabilities: null,
            error: null,
            rejected: outcome.gate.reason,
            verdict: null,
          });
        } else {
          const { probabilities, verdict } = outcome;
          images.push({ ...entry, path, probabilities, error: null, rejected: null, verdict });
          if (baseline) {
            const features = shortcutFeatures(gray.data, gray.width, gray.height, fileBytes);
            shortcutSamples.push({ truth: entry.label, source: entry.source, features });
          }
          // The probe asks whether framing alone pushes non-COVID films towards COVID-19.
          if (probe && entry.label !== COVID_LABEL) await probe.add(gray, probabilities);
          if (options.probe && segmentation && lungCrop.kind === 'lung-box-square') {
            const filled = preprocessLungCrop(
              fillLungs(gray, segmentation.mask),
              segmentation.mask,
              lungCrop,
              engine.manifest.input,
            );
            const original = { truth: entry.label, source: entry.source, probabilities };
            if (filled) {
              const { probabilities: filledProbabilities } = await engine.classify(
                filled,
                segmentation,
              );
              lungsOutPairs.push({ original, filled: filledProbabilities });
            }
            const outlined = preprocessLungCrop(
              paintLungs(gray, segmentation.mask, flatGray),
              segmentation.mask,
              lungCrop,
              engine.manifest.input,
            );
            if (outlined) {
              const { probabilities: outlineProbabilities } = await engine.classify(
                outlined,
                segmentation,
              );
              outlinePairs.push({ original, filled: outlineProbabilities });
            }
            const heatmap = heatmapFor(outcome);
            const share = heatmap ? heatmapShareInLungs(heatmap, segmentation.mask) : null;
            if (share !== null) heatmapShares.push(share);
          }
        }
      } catch (error) {
        images.push({
          ...entry,
          path,
          probabilities: null,
          error: toErrorInfo(error),
          rejected: null,
          verdict: null,
        });
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
  const rejectedImages = images.filter((i) => i.rejected !== null);
  const scoredImages = images.filter((i) => i.probabilities !== null);
  const metrics: EvaluationReport = {
    ...computeMetrics(samples, labels),
    calibration: {
      ...expectedCalibrationError(
        samples.map((s) => ({ probabilities: s.probabilities, truth: labels.indexOf(s.truth) })),
      ),
      calibrated: engine.manifest.calibration !== undefined,
      temperature: engine.manifest.calibration?.temperature ?? null,
      per_source: calibrationBySource(
        samples.map((s) => ({
          probabilities: s.probabilities,
          truth: labels.indexOf(s.truth),
          source: s.source,
        })),
      ),
    },
    verdicts: verdictFigures(
      scoredImages
        .filter((i) => i.verdict !== null)
        .map((i) => ({
          verdict: (i.verdict as Verdict).kind,
          predicted: labels[argmax(i.probabilities as number[])],
          truth: i.label,
        })),
    ),
    within_source: withinSourceFigures(samples, labels),
    gate: {
      rejected: rejectedImages.length,
      rejected_by_label: Object.fromEntries(
        labels.map((l) => [l, rejectedImages.filter((i) => i.label === l).length]),
      ),
      rejected_files: rejectedImages.map((i) => i.file),
    },
  };
  if (options.probe) {
    metrics.lungs_out = lungsOutPairs.length > 0 ? lungsOutFigures(lungsOutPairs, labels) : null;
    metrics.outline_only = outlinePairs.length > 0 ? lungsOutFigures(outlinePairs, labels) : null;
    metrics.heatmap_in_lungs =
      heatmapShares.length > 0
        ? {
            n: heatmapShares.length,
            mean: heatmapShares.reduce((a, b) => a + b, 0) / heatmapShares.length,
          }
        : null;
  }
  if (engine.segmenter && diceBySource.size > 0) {
    const all = [...diceBySource.values()].flat();
    const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
    metrics.segmenter = {
      id: engine.segmenter.manifest.id,
      n: all.length,
      dice: mean(all.map((d) => d.dice)),
      iou: mean(all.map((d) => d.iou)),
      per_source: Object.fromEntries(
        [...diceBySource].map(([source, list]) => [
          source,
          {
            n: list.length,
            dice: mean(list.map((d) => d.dice)),
            iou: mean(list.map((d) => d.iou)),
          },
        ]),
      ),
    };
  }
  if (baseline) metrics.shortcut_baseline = shortcutBaselineFigures(baseline, shortcutSamples);
  if (probe) metrics.probe = probe.figures();

  await mkdir(outDir, { recursive: true });
  const files = [
    'predictions.csv',
    'metrics.json',
    'report.md',
    'confusion_matrix.svg',
    'roc.svg',
    'reliability.svg',
  ].map((f) => join(outDir, f));
  const predictionsCsv = stringify(
    images.map((image) => [
      image.file,
      image.label,
      image.source,
      ...labels.map((_, c) => (image.probabilities ? image.probabilities[c].toFixed(6) : '')),
      image.probabilities ? labels[argmax(image.probabilities)] : '',
      image.error ? 'error' : image.rejected !== null ? 'rejected' : 'ok',
      image.error?.code ?? (image.rejected !== null ? 'NOT_A_FRONTAL_CHEST_XRAY' : ''),
      image.verdict?.kind ?? '',
      image.verdict?.reason ?? '',
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
        'verdict',
        'verdict_reason',
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
  await writeFile(
    files[5],
    reliabilitySvg(
      metrics.calibration,
      metrics.calibration.calibrated
        ? `Reliability (temperature ${metrics.calibration.temperature?.toFixed(2)})`
        : 'Reliability (uncalibrated)',
    ),
    'utf8',
  );
  return { metrics, images, files };
}
