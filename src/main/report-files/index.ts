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
import { openImage, renderDisplay8 } from '../imaging';
import type { InferenceEngine } from '../inference';
import {
  buildReports,
  reportSourceFromDicom,
  reportSourceFromRaster,
  type DisplayFilm,
  type ModelOutcome,
  type ReportDevice,
  type ReportInput,
  type ReportKind,
  type ReportSet,
  type SuppliedSubject,
} from '../reporting';

export interface AnalysedFile {
  path: string;
  frameIndex: number;
  outcome: ModelOutcome;
  input: ReportInput;
  film: DisplayFilm;
}

/** Where each report goes; absent = not written. */
export type ReportTargets = Partial<Record<ReportKind | 'filmCapture', string>>;

/** Scores one file as `predict` does (same decode, same engine call) and keeps what reports need. */
export async function analyseFile(options: {
  engine: InferenceEngine;
  path: string;
  frameIndex: number;
  device: ReportDevice;
  supplied?: SuppliedSubject;
  createdAt?: Date;
}): Promise<AnalysedFile> {
  const { engine, path, frameIndex } = options;
  const started = performance.now();
  const image = await openImage(path);
  const frame = await image.decodeFrame(frameIndex);
  const decodeMs = performance.now() - started;
  const outcome: ModelOutcome = await engine.predict(image, frame, { heatmap: true, decodeMs });
  const source =
    image.metadata.sourceKind === 'dicom'
      ? reportSourceFromDicom(new Uint8Array(await readFile(path)), basename(path), frameIndex)
      : reportSourceFromRaster(image.metadata, basename(path), options.supplied);
  return {
    path,
    frameIndex,
    outcome,
    film: { gray: renderDisplay8(frame, image.metadata), width: frame.columns, height: frame.rows },
    input: {
      source,
      outcome,
      models: [engine.manifest],
      device: options.device,
      createdAt: options.createdAt ?? new Date(),
    },
  };
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
