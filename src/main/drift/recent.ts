/**
 * The drift of the films screened recently in the app (screening jobs and the DICOM inbox, which
 * screens through the same jobs): the newest rows of the jobs run with the loaded model, up to a
 * limit, compared with the model's reference films. No film is scored again: the rows already
 * hold what the pipeline said.
 */
import type { DriftObservation, DriftReport } from '../../shared/drift';
import type { ScreeningJobSummary, ScreeningRow } from '../../shared/screening';
import { compareWithReference } from './compare';
import { observationOfRow } from './observe';
import { readDriftReference } from './reference';

/** The most recent films the view compares (newest jobs first). */
export const RECENT_FILMS_LIMIT = 500;

export interface RecentRowsSource {
  listJobs(): Promise<ScreeningJobSummary[]>;
  results(jobId: string): Promise<{ labels: string[]; rows: ScreeningRow[] }>;
}

export async function driftOfRecentFilms(options: {
  jobs: RecentRowsSource;
  model: { id: string; sha256: string; dir: string };
  limit?: number;
}): Promise<DriftReport> {
  const limit = options.limit ?? RECENT_FILMS_LIMIT;
  const reference = await readDriftReference(options.model.dir, options.model);
  const jobs = (await options.jobs.listJobs())
    .filter((job) => job.modelId === options.model.id)
    .sort((a, b) => b.createdAt.localeCompare(a.createdAt));
  const observations: DriftObservation[] = [];
  let unreadable = 0;
  let siteCalibrated = 0;
  let used = 0;
  for (const job of jobs) {
    if (observations.length >= limit) break;
    used++;
    const { rows } = await options.jobs.results(job.jobId);
    for (const row of rows) {
      if (observations.length >= limit) break;
      // A site-calibrated profile changed the probabilities: not the model's own, not comparable.
      if (row.verdict?.operatingPoint?.calibration) {
        siteCalibrated++;
        continue;
      }
      const observation = observationOfRow(row);
      if (observation) observations.push(observation);
      else if (row.status === 'error') unreadable++;
    }
  }
  const report = compareWithReference(reference, {
    observations,
    unreadable,
    source: `the ${observations.length} most recent screened films (${used} ${used === 1 ? 'job' : 'jobs'}, inbox included)`,
  });
  if (siteCalibrated > 0) {
    report.warnings.push(
      `${siteCalibrated} ${siteCalibrated === 1 ? 'film was' : 'films were'} scored with a site-calibrated profile and ${siteCalibrated === 1 ? 'is' : 'are'} left out (${siteCalibrated === 1 ? 'its' : 'their'} probabilities are not the model's own).`,
    );
  }
  return report;
}
