/**
 * The workstation's reader readings, site validation and site profiles: the handlers of the
 * channels in src/shared/ipc/site-validation-contract.ts, and `operatingPoint()`, which every path
 * that asks the engine for a verdict (viewer, report export, screening, the DICOM inbox) awaits so
 * the active site profile reaches the engine everywhere or nowhere.
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { CodedError } from '../../shared/errors';
import type { IpcChannel } from '../../shared/ipc/contract';
import type { siteValidationContract } from '../../shared/ipc/site-validation-contract';
import type { OperatingPoint } from '../../shared/verdict';
import type { InferenceEngine } from '../inference';
import type { IpcHandlers } from '../ipc/register';
import type { Library } from '../library/library';
import { newOpaqueId } from '../library/library';
import {
  latestPerStudy,
  newReading,
  openReadingJournal,
  readingsCsv,
  type ReadingJournal,
} from '../reader-readings';
import {
  chooseOperatingPoint,
  openSiteProfileStore,
  readLabelsCsv,
  readStoredScores,
  readingsAsLabels,
  runSiteValidation,
  type SiteProfileStore,
} from '../site-validation';
import type { Platform } from './platform';

type SiteValidationChannel = keyof typeof siteValidationContract & IpcChannel;

export interface SiteValidationService {
  handlers: Pick<IpcHandlers, SiteValidationChannel>;
  /** The active site profile's operating point for the loaded model, or null (none, or another model). */
  operatingPoint(): Promise<OperatingPoint | null>;
  dispose(): Promise<void>;
}

export function createSiteValidationService(options: {
  platform: Platform;
  library: Library;
  /** Readings journal folder (user data). */
  readingsDir: string;
  /** Runs in `<dir>/runs`, profiles in `<dir>/profiles` (user data). */
  siteValidationDir: string;
  /** The loaded model, or the reason there is none (rejects). */
  engine: () => Promise<InferenceEngine>;
}): SiteValidationService {
  const { platform, library } = options;
  const runsDir = join(options.siteValidationDir, 'runs');
  // Opened lazily and once; a failure is reported by the call that needed it.
  let journal: Promise<ReadingJournal> | null = null;
  const readings = () => (journal ??= openReadingJournal(options.readingsDir));
  let profiles: Promise<SiteProfileStore> | null = null;
  const profileStore = () =>
    (profiles ??= openSiteProfileStore(join(options.siteValidationDir, 'profiles')));
  const labelsFiles = new Map<string, string>();

  /** The loaded model's sha256, or null without a model (profiles are then shown, not applied). */
  const modelSha256 = () =>
    options.engine().then(
      (engine) => engine.manifest.sha256,
      () => null,
    );

  const handlers: SiteValidationService['handlers'] = {
    'readings:record': async ({ imageId, ...input }) => {
      const path = library.pathOf(imageId);
      const { metadata } = await library.open(imageId);
      const reading = newReading(input, {
        path,
        studyInstanceUid: metadata.studyInstanceUid ?? null,
        sopInstanceUid: metadata.sopInstanceUid ?? null,
      });
      return (await readings()).record(reading);
    },
    'readings:forImage': async ({ imageId }) => {
      const path = library.pathOf(imageId);
      const { metadata } = await library.open(imageId);
      const key = metadata.studyInstanceUid || null;
      const all = await (await readings()).latest();
      return all.find((r) => (key !== null ? r.studyKey === key : r.path === path)) ?? null;
    },
    'readings:list': async () => (await readings()).latest(),
    'readings:export': async () => {
      const all = await (await readings()).latest();
      const target = await platform.pickSavePath('reader-readings.csv', [
        { name: 'CSV', extensions: ['csv'] },
      ]);
      if (target === null) return { savedTo: null, count: all.length };
      await writeFile(target, readingsCsv(all), 'utf8');
      return { savedTo: target, count: all.length };
    },

    'siteValidation:pickLabels': async () => {
      const picked = await platform.pickFiles();
      const path = picked?.[0];
      if (!path) return null;
      const labelsId = newOpaqueId();
      labelsFiles.set(labelsId, path);
      return { labelsId, displayPath: path };
    },
    'siteValidation:run': async ({ folderIds, labels }) => {
      const folders = folderIds.map((id) => library.folderPath(id));
      const engine = await options.engine();
      let source;
      let filmLabels;
      if (labels.kind === 'labels-csv') {
        const path = labelsFiles.get(labels.labelsId);
        if (path === undefined) {
          throw new CodedError(
            'INVALID_REQUEST',
            'Unknown labels file (not picked in this session)',
          );
        }
        filmLabels = await readLabelsCsv(path);
        source = { kind: 'labels-csv' as const, path };
      } else {
        const recorded = latestPerStudy((await (await readings()).read()).records);
        filmLabels = readingsAsLabels(recorded);
        source = { kind: 'reader-readings' as const, readings: recorded.length };
      }
      const { report } = await runSiteValidation({
        folders,
        labels: filmLabels,
        labelsSource: source,
        engine,
        runsDir,
        onProgress: (done, total) => platform.emit('siteValidation:progress', { done, total }),
      });
      return report;
    },
    'siteValidation:chooseOperatingPoint': async ({ runId, label, targetSensitivity }) => {
      const engine = await options.engine();
      const scores = await readStoredScores(runsDir, runId);
      const choice = chooseOperatingPoint(
        scores.films,
        scores.labels,
        label,
        targetSensitivity,
        engine.manifest.thresholds[label] ?? 0.5,
      );
      if (choice === null) {
        throw new CodedError(
          'INVALID_REQUEST',
          `No scored ${label} films in this run to choose a threshold on`,
        );
      }
      return choice;
    },

    'siteProfiles:state': async () => (await profileStore()).state(await modelSha256()),
    'siteProfiles:save': async (request) => {
      const engine = await options.engine();
      const store = await profileStore();
      await store.create(request, runsDir, {
        sha256: engine.manifest.sha256,
        thresholds: engine.manifest.thresholds,
      });
      return store.state(engine.manifest.sha256);
    },
    'siteProfiles:setActive': async ({ name }) =>
      (await profileStore()).setActive(name, await modelSha256()),
  };

  return {
    handlers,
    async operatingPoint() {
      const store = await profileStore();
      return store.activeOperatingPoint(await modelSha256());
    },
    async dispose() {
      if (journal) await (await journal).close();
    },
  };
}
