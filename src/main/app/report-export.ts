/**
 * The UI's report export: the user picks a folder through the platform (the renderer names no
 * path), then the same analysis and files as `covidnet report` / `screen --reports` are made there.
 * The reply names files inside the picked folder only.
 */
import { basename } from 'node:path';
import { CodedError } from '../../shared/errors';
import type {
  ReportExportKind,
  ReportExportResult,
  ScreeningReportsExportResult,
} from '../../shared/report-export';
import type { OperatingPoint } from '../../shared/verdict';
import type { FilmAnalysis } from '../../shared/analysis';
import type { InferenceEngine } from '../inference';
import type { OpenFilm } from '../library/open-film';
import {
  reportableKinds,
  reportedFilm,
  reportTargetsInFolder,
  writeReports,
  writeReportsForRows,
} from '../report-files';
import { workstationDevice, type ReportKind } from '../reporting';
import type { Platform } from './platform';
import type { ScreeningJobs } from './screening-jobs';

const KIND_OF_EXPORT: Record<ReportExportKind, ReportKind> = {
  sr: 'sr',
  sc: 'sc',
  pdf: 'pdf',
  'encapsulated-pdf': 'encapsulatedPdf',
};
const EXPORT_OF_KIND = Object.fromEntries(
  Object.entries(KIND_OF_EXPORT).map(([exported, kind]) => [kind, exported]),
) as Record<ReportKind, ReportExportKind>;

/**
 * Reports of the open film into a folder the user picks, from the film's own decode and analysis
 * (the ones the viewer and the prediction panel show; asked for only once a folder is picked).
 */
export async function exportImageReports(options: {
  platform: Platform;
  engine: InferenceEngine;
  film: () => Promise<{ film: OpenFilm; analysis: FilmAnalysis }>;
  kinds: readonly ReportExportKind[];
}): Promise<ReportExportResult> {
  const { platform, engine } = options;
  const folder = await platform.pickFolder();
  if (folder === null) return { folder: null, files: [], omitted: null };
  const { film, analysis } = await options.film();
  const sourcePath = film.path;
  const frame = film.frameIndex;
  const analysed = await reportedFilm({
    path: sourcePath,
    frameIndex: frame,
    metadata: film.metadata,
    frame: film.frame,
    analysis,
    models: [engine.manifest],
    device: workstationDevice(platform.appVersion),
  });
  const wanted = [...new Set(options.kinds.map((kind) => KIND_OF_EXPORT[kind]))];
  const { kinds, omitted, reason } = reportableKinds(analysed, wanted);
  if (kinds.length === 0 && reason) throw new CodedError(reason.code, reason.message);
  const { written } = await writeReports(
    analysed,
    reportTargetsInFolder(folder, sourcePath, frame, kinds),
  );
  return {
    folder,
    files: Object.values(written).map((path) => basename(path)),
    omitted:
      omitted.length > 0 && reason
        ? { kinds: omitted.map((kind) => EXPORT_OF_KIND[kind]), reason }
        : null,
  };
}

/** Reports of every scored or rejected row of a screening job into a folder the user picks. */
export async function exportScreeningReports(options: {
  platform: Platform;
  engine: InferenceEngine;
  screening: ScreeningJobs;
  jobId: string;
  operatingPoint: OperatingPoint | null;
}): Promise<ScreeningReportsExportResult> {
  const { platform, engine } = options;
  const { rows } = await options.screening.results(options.jobId);
  if (!rows.some((row) => row.status === 'ok' || row.status === 'rejected')) {
    throw new CodedError('INVALID_REQUEST', 'This batch has no scored files to report on yet');
  }
  const folder = await platform.pickFolder();
  if (folder === null) return { folder: null, reported: 0, pdfOnly: 0, notScored: 0, failed: [] };
  const outcome = await writeReportsForRows({
    engine,
    rows,
    folder,
    device: workstationDevice(platform.appVersion),
    operatingPoint: options.operatingPoint,
  });
  return { folder, ...outcome };
}
