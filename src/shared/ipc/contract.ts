/**
 * The one IPC contract. Every channel names a runtime schema for its request (validated in main
 * before any handler runs) and the TypeScript type of its reply. The main-side registration, the
 * preload bridge and the e2e harness are all derived from this object: adding a channel here
 * makes the compiler point at every place that is then incomplete.
 */
import { z } from 'zod';
import type { CodedErrorInfo } from '../errors';
import type { DecodedFrame, ImageMetadata } from '../imaging';
import type { LibraryAddProgress, LibrarySnapshot } from '../library';
import type { AnalysisResult, ModelInfo } from '../prediction';
import { AE_TITLE_PATTERN, type ReceiverSettings, type ReceiverStatus } from '../dicom-receiver';
import type { ScreeningJobSummary, ScreeningProgress, ScreeningRow } from '../screening';
import {
  REPORT_EXPORT_KINDS,
  type ReportExportKind,
  type ReportExportResult,
  type ScreeningReportsExportResult,
} from '../report-export';
import { IPC_CHANNEL_NAMES, IPC_EVENT_NAMES, type MenuCommand } from './channels';
import { siteValidationContract, type SiteValidationEvents } from './site-validation-contract';

export { MENU_COMMANDS, type MenuCommand } from './channels';

/** Declares a channel: the request schema at runtime, the reply type at compile time only. */
function channel<Schema extends z.ZodType, Reply>(
  request: Schema,
): { request: Schema; reply?: Reply } {
  return { request };
}

const opaqueId = z
  .string()
  .min(1)
  .max(128)
  .regex(/^[A-Za-z0-9_-]+$/);
const frameIndex = z.number().int().min(0).max(100_000);

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
   * The whole pipeline (chest gate, lung segmenter, crop, classifier). heatmapLabel: the class the
   * heatmap explains; omitted = the predicted class. A film the gate turns away is a result too.
   */
  'model:predict': channel<
    z.ZodType<{ imageId: string; frame: number; heatmap: boolean; heatmapLabel?: string }>,
    AnalysisResult
  >(
    z
      .object({
        imageId: opaqueId,
        frame: frameIndex,
        heatmap: z.boolean(),
        heatmapLabel: z.string().min(1).max(64).optional(),
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
