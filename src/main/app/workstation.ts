/**
 * Composition root: builds the library, the inference engine and the screening service, and the
 * handler of every IPC channel, from an injected Platform. The Electron bootstrap, the e2e
 * harness and the tests all start the workstation through this one function.
 */
import { readFile } from 'node:fs/promises';
import { dirname, isAbsolute, join } from 'node:path';
import { CodedError, toErrorInfo, type CodedErrorInfo } from '../../shared/errors';
import type { AppInfo } from '../../shared/ipc/contract';
import type { ExecutionProviderName } from '../../shared/prediction';
import * as imaging from '../imaging';
import { createInferenceEngine, defaultModelDir, type InferenceEngine } from '../inference';
import type { IpcHandlers } from '../ipc/register';
import { createDecodePool } from '../decode-pool';
import { createLibrary, type Library, type LibraryImaging } from '../library/library';
import type { FileFilter, Platform } from './platform';
import { createReceiverService } from './receiver-service';
import { driftOfRecentFilms } from '../drift';
import { createSiteValidationService } from './site-validation-service';
import { createPacsService } from '../pacs';
import { workstationDevice } from '../reporting';
import { exportImageReports, exportScreeningReports } from './report-export';
import { createScreeningJobs, type ScreeningJobs } from './screening-jobs';
import { readModelCardById } from './model-cards';
import { listModelFolders, modelFoldersIn } from '../resources';
import { RESEARCH_NOTICE } from '../../shared/notice';

export const APP_NAME = 'COVID-Net CXR Workstation';

export interface WorkstationOptions {
  /** Where screening jobs are stored (resumable). */
  storeDir: string;
  /** Model folder (model.onnx + model.json); default: the first one the resource resolver finds. */
  modelDir?: string;
  /** The user's own model folders (searched before the bundled ones when no modelDir is given). */
  userModelsDir?: string;
  providers?: ExecutionProviderName[];
  intraOpThreads?: number;
  /** Where the DICOM receiver stores instances (default: dicom-inbox beside the store). */
  inboxDir?: string;
  /** Reader readings journal (default: reader-readings beside the store). */
  readingsDir?: string;
  /** Site validation runs and site profiles (default: site-validation beside the store). */
  siteValidationDir?: string;
  /** PACS connections and the results outbox (default: pacs beside the store). */
  pacsDir?: string;
  /** File opening and decoding for the library (default: the imaging module; tests count it). */
  imaging?: LibraryImaging;
  /** Loads the model (default: createInferenceEngine; tests count its analyses). */
  createEngine?: typeof createInferenceEngine;
}

export interface Workstation {
  handlers: IpcHandlers;
  library: Library;
  /** Settles once the model has loaded or failed to (the window does not wait for it). */
  modelReady: Promise<void>;
  dispose(): Promise<void>;
}

/** The model and what needs it, or why there is none (the app runs without a model). */
type ModelState =
  | { engine: InferenceEngine; screening: ScreeningJobs; error: null }
  | { engine: null; screening: null; error: CodedErrorInfo };

const EXPORT_FILTERS: Record<'csv' | 'json', FileFilter[]> = {
  csv: [{ name: 'CSV', extensions: ['csv'] }],
  json: [{ name: 'JSON', extensions: ['json'] }],
};

export function createWorkstation(platform: Platform, options: WorkstationOptions): Workstation {
  // One decode pool for thumbnails and screening (thumbnails go first), off the IPC thread.
  const decodePool = createDecodePool();
  const library = createLibrary({
    imaging: options.imaging ?? imaging,
    renderThumbnail: decodePool.thumbnail,
  });
  const adding = new Set<AbortController>();
  /** Adds with progress events; library:cancelAdd stops it. */
  async function addToLibrary(paths: string[]) {
    const controller = new AbortController();
    adding.add(controller);
    try {
      return await library.addPaths(paths, {
        signal: controller.signal,
        onProgress: (progress) => platform.emit('library:progress', progress),
      });
    } finally {
      adding.delete(controller);
    }
  }

  // Declared before the model so screening jobs can ask it for the active site profile.
  const siteValidation = createSiteValidationService({
    platform,
    library,
    readingsDir: options.readingsDir ?? join(dirname(options.storeDir), 'reader-readings'),
    siteValidationDir:
      options.siteValidationDir ?? join(dirname(options.storeDir), 'site-validation'),
    engine: async () => (await requireModel()).engine,
  });
  const operatingPoint = () => siteValidation.operatingPoint();

  // The model loads in the background (its graph runs in a worker thread, never on this one).
  const modelState: Promise<ModelState> = (async () => {
    const modelDir = options.modelDir ?? defaultModelDir({ userModelsDir: options.userModelsDir });
    return (options.createEngine ?? createInferenceEngine)({
      modelDir,
      providers: options.providers,
      intraOpThreads: options.intraOpThreads,
    });
  })().then(
    (engine): ModelState => ({
      engine,
      screening: createScreeningJobs({
        engine,
        storeDir: options.storeDir,
        decodePool,
        operatingPoint,
      }),
      error: null,
    }),
    (error: unknown): ModelState => ({ engine: null, screening: null, error: toErrorInfo(error) }),
  );
  let disposed = false;

  /** The loaded model, or its load error rethrown as the reply's coded error. */
  async function requireModel(): Promise<{ engine: InferenceEngine; screening: ScreeningJobs }> {
    const state = await modelState;
    if (state.engine) return state;
    throw new CodedError(state.error.code, state.error.message);
  }

  const inboxDir = options.inboxDir ?? join(dirname(options.storeDir), 'dicom-inbox');
  const receiver = createReceiverService({
    inboxDir,
    storeDir: options.storeDir,
    screening: async () => {
      const { engine, screening } = await requireModel();
      return { jobs: screening, modelSha256: engine.manifest.sha256 };
    },
    onStatus: (status) => platform.emit('receiver:status', status),
    onProgress: (progress) => platform.emit('screening:progress', progress),
  });

  // PACS connections and the results outbox live beside the store; retrieves land in the inbox.
  const pacs = createPacsService({
    dir: options.pacsDir ?? join(dirname(options.storeDir), 'pacs'),
    receiver: () => {
      const status = receiver.status();
      return status.running && status.settings
        ? { aeTitle: status.settings.aeTitle, inboxDir }
        : null;
    },
    engine: async () => (await requireModel()).engine,
    operatingPoint,
    addToLibrary,
    device: workstationDevice(platform.appVersion),
    onRetrieveProgress: (progress) => platform.emit('pacs:retrieveProgress', progress),
    onOutboxChanged: (entry) => platform.emit('pacs:outboxChanged', entry),
  });

  /** The open film's one analysis (made on first request, then kept with the decoded frame). */
  async function analyseOpenFilm(imageId: string, frame: number, heatmaps: boolean) {
    const { engine } = await requireModel();
    const film = await library.openFilm(imageId, frame);
    const settings = { heatmaps, operatingPoint: await operatingPoint() };
    const analysis = await film.analysis(settings, (input, decodeMs) =>
      engine.analyse(input, { ...settings, decodeMs }),
    );
    return { film, analysis, operatingPoint: settings.operatingPoint };
  }

  async function pickAndAdd(kind: 'files' | 'folder') {
    const folder = kind === 'folder' ? await platform.pickFolder() : null;
    const paths =
      kind === 'files' ? ((await platform.pickFiles()) ?? []) : folder === null ? [] : [folder];
    return paths.length === 0 ? library.snapshot() : addToLibrary(paths);
  }

  const handlers: IpcHandlers = {
    'app:getInfo': async (): Promise<AppInfo> => {
      const state = await modelState;
      return {
        appName: APP_NAME,
        appVersion: platform.appVersion,
        platform: platform.platform,
        researchNotice: RESEARCH_NOTICE,
        model: state.engine ? state.engine.info() : null,
        modelError: state.error,
      };
    },

    'library:open': async ({ kind }) => pickAndAdd(kind),
    'library:addDropped': async ({ paths }) => {
      if (!paths.every((path) => isAbsolute(path))) {
        throw new CodedError('INVALID_REQUEST', 'Dropped paths must be absolute');
      }
      return addToLibrary(paths);
    },
    'library:list': async () => library.snapshot(),
    // Files the OS asked us to open, validated by the bootstrap; added like "Open files…" adds.
    'library:openLaunchFiles': async () => {
      const paths = (platform.takeLaunchPaths?.() ?? []).filter((path) => isAbsolute(path));
      if (paths.length === 0) return { snapshot: library.snapshot(), added: 0 };
      return { snapshot: await addToLibrary(paths), added: paths.length };
    },
    'library:cancelAdd': async () => {
      for (const controller of adding) controller.abort();
      return { cancelled: adding.size > 0 };
    },

    'image:load': async ({ imageId, frame }) => library.loadFrame(imageId, frame),
    'image:thumbnail': async ({ imageId, maxSize }) => library.thumbnail(imageId, maxSize),

    'model:getInfo': async () => (await requireModel()).engine.info(),
    'model:getCard': async () => {
      const { engine } = await requireModel();
      const cardFile = engine.manifest.modelCard;
      if (!cardFile || !engine.info().hasModelCard) {
        throw new CodedError('FILE_NOT_FOUND', 'This model has no model card');
      }
      return { markdown: await readFile(join(engine.modelDir, cardFile), 'utf8') };
    },
    'model:getSegmenterCard': async () => {
      const { engine } = await requireModel();
      const segmenter = engine.segmenter;
      const cardFile = segmenter?.manifest.modelCard;
      if (!segmenter || !cardFile || !segmenter.info().hasModelCard) {
        throw new CodedError('FILE_NOT_FOUND', 'This model has no lung segmenter model card');
      }
      return { markdown: await readFile(join(segmenter.modelDir, cardFile), 'utf8') };
    },
    'model:getCardById': async ({ modelId }) => {
      // Siblings of the loaded model first (a card links to them), then the user's and bundled.
      const state = await modelState;
      const siblings = state.engine ? modelFoldersIn(dirname(state.engine.modelDir)) : [];
      const known = listModelFolders({ userModelsDir: options.userModelsDir });
      return readModelCardById(modelId, [...siblings, ...known]);
    },
    'model:predict': async ({ imageId, frame, heatmap }) =>
      (await analyseOpenFilm(imageId, frame, heatmap)).analysis,

    'screening:pickFolder': async () => {
      const folder = await platform.pickFolder();
      if (folder === null) return null;
      return { folderId: library.registerFolder(folder), displayPath: folder };
    },
    'screening:start': async ({ folderIds, resumeJobId }) => {
      const folders = folderIds.map((id) => library.folderPath(id));
      if (folders.length === 0 && resumeJobId === undefined) {
        throw new CodedError('INVALID_REQUEST', 'Pick at least one folder to screen');
      }
      const { screening } = await requireModel();
      const { jobId, finished } = await screening.start(folders, {
        resumeJobId,
        onProgress: (progress) => platform.emit('screening:progress', progress),
      });
      // The outcome reaches the renderer as progress events; nothing awaits this promise.
      finished.catch(() => undefined);
      return { jobId };
    },
    'screening:cancel': async ({ jobId }) => ({
      cancelled: (await requireModel()).screening.cancel(jobId),
    }),
    'screening:listJobs': async () => (await requireModel()).screening.listJobs(),
    'drift:recent': async () => {
      const { engine, screening } = await requireModel();
      return driftOfRecentFilms({
        jobs: screening,
        model: { id: engine.manifest.id, sha256: engine.manifest.sha256, dir: engine.modelDir },
      });
    },
    'screening:results': async ({ jobId }) => {
      const { labels, rows } = await (await requireModel()).screening.results(jobId);
      return {
        labels,
        rows: rows.map((row) => ({
          ...row,
          // A film the chest gate turned away can still be opened and looked at.
          imageId: row.status !== 'error' ? library.registerScreenedFile(row.path) : null,
        })),
      };
    },
    'screening:export': async ({ jobId, format }) => {
      const { screening } = await requireModel();
      const target = await platform.pickSavePath(
        `screening-${jobId}.${format}`,
        EXPORT_FILTERS[format],
      );
      if (target === null) return { savedTo: null };
      if (format === 'csv') await screening.exportCsv(jobId, target);
      else await screening.exportJson(jobId, target);
      return { savedTo: target };
    },
    'screening:exportReports': async ({ jobId }) => {
      const { engine, screening } = await requireModel();
      return exportScreeningReports({
        platform,
        engine,
        screening,
        jobId,
        operatingPoint: await operatingPoint(),
      });
    },
    'report:export': async ({ imageId, frame, kinds }) => {
      const { engine } = await requireModel();
      return exportImageReports({
        platform,
        engine,
        // The film on screen: its decode and analysis are the ones the panel shows.
        film: () => analyseOpenFilm(imageId, frame, true),
        kinds,
      });
    },

    'receiver:status': async () => receiver.status(),
    'receiver:start': async (settings) => receiver.start(settings),
    'receiver:stop': async () => receiver.stop(),
    ...siteValidation.handlers,
    ...pacs.handlers,
  };

  return {
    handlers,
    library,
    modelReady: modelState.then(() => undefined),
    async dispose() {
      if (disposed) return;
      disposed = true;
      library.clearCaches();
      for (const controller of adding) controller.abort();
      await pacs.dispose();
      await receiver.stop();
      await siteValidation.dispose();
      const state = await modelState;
      await state.screening?.dispose();
      await state.engine?.dispose();
      await decodePool.dispose();
    },
  };
}
