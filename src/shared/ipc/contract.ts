/**
 * The one IPC contract. Every channel names a runtime schema for its request (validated in main
 * before any handler runs) and the TypeScript type of its reply. The main-side registration, the
 * preload bridge and the e2e harness are all derived from this object: adding a channel here
 * makes the compiler point at every place that is then incomplete.
 */
import { z } from 'zod';
import type { CodedErrorInfo } from '../errors';
import type { DriftReport } from '../drift';
import type { DecodedFrame, ImageMetadata } from '../imaging';
import type { LibraryAddProgress, LibrarySnapshot } from '../library';
import type { ModelInfo } from '../prediction';
import type { FilmAnalysis } from '../analysis';
import { MODEL_ID_PATTERN } from '../model-id';
import { AE_TITLE_PATTERN, type ReceiverSettings, type ReceiverStatus } from '../dicom-receiver';
import type { ScreeningJobSummary, ScreeningProgress, ScreeningRow } from '../screening';
import {
  DICOM_DATE_PATTERN,
  PACS_CONNECTION_ID_PATTERN,
  type OutboxEntry,
  type PacsConnection,
  type PacsEchoResult,
  type PacsStudy,
  type PacsStudyQuery,
  type RetrieveProgress,
} from '../pacs';
import {
  REPORT_EXPORT_KINDS,
  type ReportExportKind,
  type ReportExportResult,
  type ScreeningReportsExportResult,
} from '../report-export';
import { channel, opaqueId } from './channel';
import { IPC_CHANNEL_NAMES, IPC_EVENT_NAMES, type MenuCommand } from './channels';
import { siteValidationContract, type SiteValidationEvents } from './site-validation-contract';

export { MENU_COMMANDS, type MenuCommand } from './channels';

const frameIndex = z.number().int().min(0).max(100_000);

/** A PACS connection as the user enters it; the host is an IP address (nothing is looked up). */
export const pacsConnectionSchema = z
  .object({
    id: z.string().regex(PACS_CONNECTION_ID_PATTERN),
    name: z.string().trim().min(1).max(64),
    aeTitle: z.string().regex(AE_TITLE_PATTERN),
    host: z.union([z.ipv4(), z.ipv6()]),
    port: z.number().int().min(1).max(65535),
    callingAeTitle: z.string().regex(AE_TITLE_PATTERN),
  })
  .strict();
const studyInstanceUid = z
  .string()
  .regex(/^[0-9]+(\.[0-9]+)*$/)
  .max(64);
/** C-FIND keys: no backslash (it separates DICOM values); '*' and '?' are wildcards. */
const findKey = (max: number) =>
  z
    .string()
    .max(max)
    .regex(/^[^\\\p{Cc}]*$/u)
    .optional();
const pacsStudyQuerySchema = z
  .object({
    patientName: findKey(64),
    patientId: findKey(64),
    accessionNumber: findKey(16),
    studyDateFrom: z.string().regex(DICOM_DATE_PATTERN).optional(),
    studyDateTo: z.string().regex(DICOM_DATE_PATTERN).optional(),
    modalities: z
      .array(z.enum(['CR', 'DX']))
      .min(1)
      .max(2)
      .optional(),
  })
  .strict();

export interface AppInfo {
  appName: string;
  appVersion: string;
  platform: string;
  researchNotice: string;
  model: ModelInfo | null;
  modelError: CodedErrorInfo | null;
}

export interface LoadedImage {
  imageId: string;
  metadata: ImageMetadata;
  frame: DecodedFrame;
}

export interface Thumbnail {
  imageId: string;
  width: number;
  height: number;
  /** 8-bit display gray (bone bright), row-major. */
  gray: Uint8Array;
}

export const ipcContract = {
  'app:getInfo': channel<z.ZodObject<Record<string, never>>, AppInfo>(z.object({}).strict()),

  /** Shows the platform's open dialog and adds what the user picked to the library. */
  'library:open': channel<z.ZodType<{ kind: 'files' | 'folder' }>, LibrarySnapshot>(
    z.object({ kind: z.enum(['files', 'folder']) }).strict(),
  ),
  /** Adds files/folders the user dropped on the window (paths resolved by the preload). */
  'library:addDropped': channel<z.ZodType<{ paths: string[] }>, LibrarySnapshot>(
    z.object({ paths: z.array(z.string().min(1).max(4096)).min(1).max(1000) }).strict(),
  ),
  'library:list': channel<z.ZodObject<Record<string, never>>, LibrarySnapshot>(
    z.object({}).strict(),
  ),
  /** Stops every add in progress (its reply then comes with what was listed so far). */
  'library:cancelAdd': channel<z.ZodObject<Record<string, never>>, { cancelled: boolean }>(
    z.object({}).strict(),
  ),
  /**
   * Adds the files the app was launched with (argv, a second launch, macOS open-file) that main
   * has queued and not handed over yet; the renderer asks once at start and on 'open-launch-files'.
   */
  'library:openLaunchFiles': channel<
    z.ZodObject<Record<string, never>>,
    { snapshot: LibrarySnapshot; added: number }
  >(z.object({}).strict()),

  'image:load': channel<z.ZodType<{ imageId: string; frame: number }>, LoadedImage>(
    z.object({ imageId: opaqueId, frame: frameIndex }).strict(),
  ),
  'image:thumbnail': channel<z.ZodType<{ imageId: string; maxSize: number }>, Thumbnail>(
    z.object({ imageId: opaqueId, maxSize: z.number().int().min(16).max(512) }).strict(),
  ),

  'model:getInfo': channel<z.ZodObject<Record<string, never>>, ModelInfo>(z.object({}).strict()),
  'model:getCard': channel<z.ZodObject<Record<string, never>>, { markdown: string }>(
    z.object({}).strict(),
  ),
  /** The lung segmenter's model card (FILE_NOT_FOUND when the model has none). */
  'model:getSegmenterCard': channel<z.ZodObject<Record<string, never>>, { markdown: string }>(
    z.object({}).strict(),
  ),
  /**
   * The card of a model folder main knows (a sibling of the loaded model, the user's or the
   * bundled models), by its folder name: a card's link to `../<id>/MODEL_CARD.md` opens it.
   */
  'model:getCardById': channel<
    z.ZodType<{ modelId: string }>,
    { modelId: string; name: string; markdown: string }
  >(z.object({ modelId: z.string().regex(MODEL_ID_PATTERN) }).strict()),
  /**
   * The film's one analysis (chest gate, lung segmenter, crop, classifier, verdict), with the
   * heatmaps of every class when `heatmap` is set: the renderer switches class without asking
   * again. A film the gate turns away is a result too.
   */
  'model:predict': channel<
    z.ZodType<{ imageId: string; frame: number; heatmap: boolean }>,
    FilmAnalysis
  >(
    z
      .object({
        imageId: opaqueId,
        frame: frameIndex,
        heatmap: z.boolean(),
      })
      .strict(),
  ),

  /** Shows the platform's folder dialog; null when the user cancelled. */
  'screening:pickFolder': channel<
    z.ZodObject<Record<string, never>>,
    { folderId: string; displayPath: string } | null
  >(z.object({}).strict()),
  'screening:start': channel<
    z.ZodType<{ folderIds: string[]; resumeJobId?: string }>,
    { jobId: string }
  >(
    z
      .object({
        folderIds: z.array(opaqueId).max(64),
        resumeJobId: opaqueId.optional(),
      })
      .strict(),
  ),
  'screening:cancel': channel<z.ZodType<{ jobId: string }>, { cancelled: boolean }>(
    z.object({ jobId: opaqueId }).strict(),
  ),
  'screening:listJobs': channel<z.ZodObject<Record<string, never>>, ScreeningJobSummary[]>(
    z.object({}).strict(),
  ),
  /** Rows in triage order (P(COVID-19) descending, errors last); each row has an imageId to open. */
  'screening:results': channel<
    z.ZodType<{ jobId: string }>,
    { labels: string[]; rows: (ScreeningRow & { imageId: string | null })[] }
  >(z.object({ jobId: opaqueId }).strict()),
  /** Shows the platform's save dialog; savedTo null when the user cancelled. */
  'screening:export': channel<
    z.ZodType<{ jobId: string; format: 'csv' | 'json' }>,
    { savedTo: string | null }
  >(z.object({ jobId: opaqueId, format: z.enum(['csv', 'json']) }).strict()),
  /**
   * Shows the platform's folder dialog and writes the reports of every scored or rejected row of
   * the job there (PNG/JPEG: the PDF only); folder null when the user cancelled.
   */
  'screening:exportReports': channel<z.ZodType<{ jobId: string }>, ScreeningReportsExportResult>(
    z.object({ jobId: opaqueId }).strict(),
  ),

  /**
   * Shows the platform's folder dialog and writes the reports of one image there, from the same
   * analysis `model:predict` makes; the reply names the files written. The renderer names no path.
   */
  'report:export': channel<
    z.ZodType<{ imageId: string; frame: number; kinds: ReportExportKind[] }>,
    ReportExportResult
  >(
    z
      .object({
        imageId: opaqueId,
        frame: frameIndex,
        kinds: z.array(z.enum(REPORT_EXPORT_KINDS)).min(1).max(REPORT_EXPORT_KINDS.length),
      })
      .strict(),
  ),

  /**
   * The drift monitor: the most recent screened films (screening jobs and the DICOM inbox, with
   * the loaded model) against the model's reference films; no labels needed.
   */
  'drift:recent': channel<z.ZodObject<Record<string, never>>, DriftReport>(z.object({}).strict()),
  /** The DICOM receiver (off until started); its Inbox list is `screening:results` of `jobId`. */
  'receiver:status': channel<z.ZodObject<Record<string, never>>, ReceiverStatus>(
    z.object({}).strict(),
  ),
  'receiver:start': channel<z.ZodType<ReceiverSettings>, ReceiverStatus>(
    z
      .object({
        port: z.number().int().min(1).max(65535),
        aeTitle: z.string().regex(AE_TITLE_PATTERN),
        allowedCallingAeTitles: z.array(z.string().regex(AE_TITLE_PATTERN)).max(64),
        screen: z.boolean(),
        listenOnNetwork: z.boolean(),
      })
      .strict(),
  ),
  'receiver:stop': channel<z.ZodObject<Record<string, never>>, ReceiverStatus>(
    z.object({}).strict(),
  ),

  /** PACS connections the user entered (stored in the app's data folder); nothing is contacted. */
  'pacs:listConnections': channel<z.ZodObject<Record<string, never>>, PacsConnection[]>(
    z.object({}).strict(),
  ),
  /** Adds or replaces (same id) one connection; replies with the whole list. */
  'pacs:saveConnection': channel<z.ZodType<PacsConnection>, PacsConnection[]>(pacsConnectionSchema),
  'pacs:removeConnection': channel<z.ZodType<{ id: string }>, PacsConnection[]>(
    z.object({ id: z.string().regex(PACS_CONNECTION_ID_PATTERN) }).strict(),
  ),
  /** The connection's "test" button: one C-ECHO (a failure is a reply, not an error). */
  'pacs:echo': channel<z.ZodType<{ connectionId: string }>, PacsEchoResult>(
    z.object({ connectionId: z.string().regex(PACS_CONNECTION_ID_PATTERN) }).strict(),
  ),
  /** Study-level C-FIND. */
  'pacs:query': channel<z.ZodType<{ connectionId: string; query: PacsStudyQuery }>, PacsStudy[]>(
    z
      .object({
        connectionId: z.string().regex(PACS_CONNECTION_ID_PATTERN),
        query: pacsStudyQuerySchema,
      })
      .strict(),
  ),
  /**
   * C-MOVE of studies to the running receiver (Inbox tab); progress as 'pacs:retrieveProgress'
   * events. Retrieved films join the study list and the inbox's screening.
   */
  'pacs:retrieve': channel<
    z.ZodType<{ connectionId: string; studyInstanceUids: string[] }>,
    { retrieveId: string }
  >(
    z
      .object({
        connectionId: z.string().regex(PACS_CONNECTION_ID_PATTERN),
        studyInstanceUids: z.array(studyInstanceUid).min(1).max(500),
      })
      .strict(),
  ),
  'pacs:cancelRetrieve': channel<z.ZodType<{ retrieveId: string }>, { cancelled: boolean }>(
    z.object({ retrieveId: opaqueId }).strict(),
  ),
  /**
   * Scores the retrieved films of these studies and C-STOREs their SR (plus, if asked, the
   * heatmap SC and the Encapsulated PDF) to the connection; the reply is each film's status.
   */
  'pacs:sendResults': channel<
    z.ZodType<{
      connectionId: string;
      studyInstanceUids: string[];
      heatmap: boolean;
      pdf: boolean;
    }>,
    OutboxEntry[]
  >(
    z
      .object({
        connectionId: z.string().regex(PACS_CONNECTION_ID_PATTERN),
        studyInstanceUids: z.array(studyInstanceUid).min(1).max(500),
        heatmap: z.boolean(),
        pdf: z.boolean(),
      })
      .strict(),
  ),
  /** Every result queued, sent or failed (kept on disk across restarts). */
  'pacs:outbox': channel<z.ZodObject<Record<string, never>>, OutboxEntry[]>(z.object({}).strict()),
  /** Sends again whatever is queued or failed. */
  'pacs:retrySend': channel<z.ZodObject<Record<string, never>>, OutboxEntry[]>(
    z.object({}).strict(),
  ),

  /** Reader readings, site validation and site profiles (site-validation-contract.ts). */
  ...siteValidationContract,
} as const;

/** Events main pushes to the renderer. */
export interface IpcEvents extends SiteValidationEvents {
  'screening:progress': ScreeningProgress;
  /** While library:open / library:addDropped walk and read headers. */
  'library:progress': LibraryAddProgress;
  'app:menuCommand': { command: MenuCommand };
  /** Receiver started, stopped, stored an instance or hit a problem. */
  'receiver:status': ReceiverStatus;
  'pacs:retrieveProgress': RetrieveProgress;
  /** A result was queued, is being sent, was sent or failed. */
  'pacs:outboxChanged': OutboxEntry;
}
export const IPC_EVENT_CHANNELS: (keyof IpcEvents)[] = [...IPC_EVENT_NAMES];

export type IpcContract = typeof ipcContract;
export type IpcChannel = keyof IpcContract;
export type IpcRequest<C extends IpcChannel> = z.infer<IpcContract[C]['request']>;
// Exclude only the `undefined` of the optional `reply` marker: a reply may itself be `null`.
export type IpcReply<C extends IpcChannel> = Exclude<IpcContract[C]['reply'], undefined>;
export const IPC_CHANNELS = Object.keys(ipcContract) as IpcChannel[];

/** True only when A and B are the same union. */
type SameUnion<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
// The zod-free name lists of channels.ts must name exactly the contract's channels and events.
const channelNamesMatch: SameUnion<(typeof IPC_CHANNEL_NAMES)[number], IpcChannel> = true;
const eventNamesMatch: SameUnion<(typeof IPC_EVENT_NAMES)[number], keyof IpcEvents> = true;
void channelNamesMatch;
void eventNamesMatch;

/** Every invoke resolves to this envelope, so a rejected request keeps its typed error. */
export type IpcResult<C extends IpcChannel> =
  { ok: true; value: IpcReply<C> } | { ok: false; error: CodedErrorInfo };

/** The API the preload exposes as `window.api` (and the e2e harness installs in the page). */
export type WorkstationApi = {
  invoke<C extends IpcChannel>(channel: C, request: IpcRequest<C>): Promise<IpcResult<C>>;
  on<E extends keyof IpcEvents>(event: E, listener: (payload: IpcEvents[E]) => void): () => void;
  /** Resolves dropped File objects to paths (preload only; the harness maps test files). */
  pathsForDroppedFiles(files: File[]): string[];
};
