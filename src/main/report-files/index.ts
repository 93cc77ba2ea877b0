/**
 * The reports of one file, on disk: opens and decodes it through the imaging module, asks the
 * engine for the very analysis `predict` makes (with a heatmap), builds the requested reports
 * (src/main/reporting, bytes only) and writes them. Used by `covidnet report`, `screen --reports`
 * and the workstation's export, so every surface reports the same numbers.
 */
import { createHash } from 'node:crypto';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { basename, dirname, extname, join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { toErrorInfo, type CodedErrorInfo } from '../../shared/errors';
import type { FilmAnalysis } from '../../shared/analysis';
import type { ScreeningRow } from '../../shared/screening';
import type { OperatingPoint } from '../../shared/verdict';
import { openImage, renderDisplay8 } from '../imaging';
import type { DecodedFrame, ImageMetadata } from '../../shared/imaging';
import type { ModelManifest } from '../../shared/model-manifest';
import { filmInputOf, type InferenceEngine } from '../inference';
import {
  buildReports,
  REPORT_KINDS,
  reportSourceFromDicom,
  reportSourceFromRaster,
  type DisplayFilm,
  type ReportDevice,
  type ReportInput,
  type ReportKind,
  type ReportSet,
  type SuppliedSubject,
} from '../reporting';
import { requireSubject } from '../reporting/source';

export interface AnalysedFile {
  path: string;
  frameIndex: number;
  outcome: FilmAnalysis;
  input: ReportInput;
  film: DisplayFilm;
}

/** Where each report goes; absent = not written. */
export type ReportTargets = Partial<Record<ReportKind | 'filmCapture', string>>;

/**
 * What the reports of a film need, from a film already decoded and analysed (nothing is decoded or
 * scored here): the display rendering, the source's identity, and the analysis.
 */
export async function reportedFilm(options: {
  path: string;
  frameIndex: number;
  metadata: ImageMetadata;
  frame: DecodedFrame;
  analysis: FilmAnalysis;
  /** The manifests of the models that made the analysis, the classifier first. */
  models: ModelManifest[];
  device: ReportDevice;
  supplied?: SuppliedSubject;
  createdAt?: Date;
}): Promise<AnalysedFile> {
  const { path, frameIndex, metadata, frame, analysis } = options;
  const source =
    metadata.sourceKind === 'dicom'
      ? reportSourceFromDicom(new Uint8Array(await readFile(path)), basename(path), frameIndex)
      : reportSourceFromRaster(metadata, basename(path), options.supplied);
  return {
    path,
    frameIndex,
    outcome: analysis,
    film: { gray: renderDisplay8(frame, metadata), width: frame.columns, height: frame.rows },
    input: {
      source,
      outcome: analysis,
      models: options.models,
      device: options.device,
      createdAt: options.createdAt ?? new Date(),
    },
  };
}

/** Opens, decodes and analyses one file (with heatmaps), then keeps what its reports need. */
export async function analyseFile(options: {
  engine: InferenceEngine;
  path: string;
  frameIndex: number;
  device: ReportDevice;
  supplied?: SuppliedSubject;
  createdAt?: Date;
  /** The active site profile's operating point (named in the SR and PDF when applied). */
  operatingPoint?: OperatingPoint | null;
}): Promise<AnalysedFile> {
  const { engine, path, frameIndex } = options;
  const started = performance.now();
  const image = await openImage(path);
  const frame = await image.decodeFrame(frameIndex);
  const film = filmInputOf(frame, image.metadata);
  const decodeMs = performance.now() - started;
  const analysis = await engine.analyse(film, {
    heatmaps: true,
    decodeMs,
    operatingPoint: options.operatingPoint ?? null,
  });
  return reportedFilm({
    ...options,
    metadata: image.metadata,
    frame,
    analysis,
    models: [engine.manifest],
  });
}

/** Writes through a temporary name, so a crash never leaves half a report under the real one. */
async function writeAtomically(path: string, bytes: Uint8Array): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  const temporary = `${path}.${process.pid}.partial`;
  await writeFile(temporary, bytes);
  await rename(temporary, path);
}

/** For a PNG/JPEG, the film capture the DICOM reports refer to goes beside the first of them. */
function filmCapturePath(targets: ReportTargets): string | undefined {
  if (targets.filmCapture) return targets.filmCapture;
  const first = targets.sr ?? targets.sc ?? targets.encapsulatedPdf;
  if (!first) return undefined;
  return join(dirname(first), `${basename(first, extname(first))}.film.dcm`);
}

/** Builds and writes the targeted reports; returns what was written, by kind. */
export async function writeReports(
  analysed: AnalysedFile,
  targets: ReportTargets,
): Promise<{ set: ReportSet; written: Partial<Record<keyof ReportSet, string>> }> {
  const kinds = (Object.keys(targets) as (ReportKind | 'filmCapture')[]).filter(
    (kind): kind is ReportKind => kind !== 'filmCapture' && targets[kind] !== undefined,
  );
  const set = await buildReports(analysed.input, analysed.film, kinds);
  const written: Partial<Record<keyof ReportSet, string>> = {};
  const paths: Partial<Record<keyof ReportSet, string | undefined>> = {
    ...targets,
    filmCapture: filmCapturePath(targets),
  };
  for (const kind of Object.keys(set) as (keyof ReportSet)[]) {
    const bytes = set[kind];
    const path = paths[kind];
    if (!bytes || !path) continue;
    await writeAtomically(path, bytes);
    written[kind] = path;
  }
  return { set, written };
}

/** File names for one screened file inside a reports folder (unique per source path and frame). */
export function reportTargetsInFolder(
  folder: string,
  sourcePath: string,
  frameIndex: number,
  kinds: readonly ReportKind[],
): ReportTargets {
  const stem = basename(sourcePath, extname(sourcePath)).replace(/[^A-Za-z0-9._-]+/g, '_');
  const tag = createHash('sha1').update(`${sourcePath}#${frameIndex}`).digest('hex').slice(0, 8);
  const name = `${stem}${frameIndex > 0 ? `-f${frameIndex}` : ''}_${tag}`;
  const suffixes: Record<ReportKind, string> = {
    sr: '.sr.dcm',
    sc: '.heatmap.dcm',
    pdf: '.pdf',
    encapsulatedPdf: '.pdf.dcm',
  };
  return Object.fromEntries(kinds.map((kind) => [kind, join(folder, name + suffixes[kind])]));
}

/**
 * Splits the wanted kinds into those this file can get and those it cannot: a PNG/JPEG without a
 * supplied patient/study gets the PDF only, with the REPORT_PATIENT_STUDY_REQUIRED refusal as why.
 */
export function reportableKinds(
  analysed: AnalysedFile,
  wanted: readonly ReportKind[],
): { kinds: ReportKind[]; omitted: ReportKind[]; reason: CodedErrorInfo | null } {
  if (analysed.input.source.subject) return { kinds: [...wanted], omitted: [], reason: null };
  let reason: CodedErrorInfo | null = null;
  try {
    requireSubject(analysed.input.source);
  } catch (error) {
    reason = toErrorInfo(error);
  }
  return {
    kinds: wanted.filter((kind) => kind === 'pdf'),
    omitted: wanted.filter((kind) => kind !== 'pdf'),
    reason,
  };
}

export interface RowsReportOutcome {
  /** Files that got reports (every kind, or the PDF only for a PNG/JPEG). */
  reported: number;
  /** Of those, the files that got the PDF only. */
  pdfOnly: number;
  /** Rows with no model result (errors), so nothing to report. */
  notScored: number;
  failed: { path: string; frame: number; error: CodedErrorInfo }[];
}

/**
 * Reports of every scored or chest-gate rejected row of a screening job into one folder, made the
 * way `covidnet report` makes them. A file that fails is listed and skipped; the rest are written.
 * Used by `screen --reports` and the screening view's export.
 */
export async function writeReportsForRows(options: {
  engine: InferenceEngine;
  rows: readonly Pick<ScreeningRow, 'path' | 'frame' | 'status'>[];
  folder: string;
  device: ReportDevice;
  operatingPoint?: OperatingPoint | null;
}): Promise<RowsReportOutcome> {
  const { engine, folder, device } = options;
  const outcome: RowsReportOutcome = { reported: 0, pdfOnly: 0, notScored: 0, failed: [] };
  for (const row of options.rows) {
    if (row.status !== 'ok' && row.status !== 'rejected') {
      outcome.notScored++;
      continue;
    }
    try {
      const analysed = await analyseFile({
        engine,
        path: row.path,
        frameIndex: row.frame,
        device,
        operatingPoint: options.operatingPoint,
      });
      const { kinds, omitted } = reportableKinds(analysed, REPORT_KINDS);
      await writeReports(analysed, reportTargetsInFolder(folder, row.path, row.frame, kinds));
      outcome.reported++;
      if (omitted.length > 0) outcome.pdfOnly++;
    } catch (error) {
      outcome.failed.push({ path: row.path, frame: row.frame, error: toErrorInfo(error) });
    }
  }
  return outcome;
}
