/**
 * The PACS side of the workstation: connections (settings), C-ECHO test, query, retrieve into
 * the running receiver's inbox (so the inbox's screening job scores the films) and into the study
 * list, and sending results through the on-disk outbox. Exposed as the `pacs:*` IPC handlers.
 *
 * Nothing is contacted until a request asks, except that entries the user already asked to send
 * and that are still queued from an earlier run are sent again at start.
 */
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { CodedError, toErrorInfo } from '../../../shared/errors';
import type { IpcChannel } from '../../../shared/ipc/contract';
import type { OutboxEntry, PacsConnection, RetrieveProgress } from '../../../shared/pacs';
import type { OperatingPoint } from '../../../shared/verdict';
import type { InferenceEngine } from '../../platform/inference';
import type { IpcHandlers } from '../../base/ipc/register';
import type { ReportDevice } from '../../platform/reporting';
import { echo, findStudies, type PacsPeer } from './client';
import { createConnectionStore } from './connections';
import { createOutbox, type Outbox } from './outbox';
import { retrieveStudies } from './retrieve';
import { queueFilmResults } from './send';
import type { PacsResultKind } from './results';

type PacsChannel = Extract<IpcChannel, `pacs:${string}`>;
export type PacsHandlers = Pick<IpcHandlers, PacsChannel>;

export interface PacsServiceOptions {
  /** Settings file and outbox live here. */
  dir: string;
  /** The running receiver (C-MOVE destination and where films land), or null when it is off. */
  receiver: () => { aeTitle: string; inboxDir: string } | null;
  engine: () => Promise<InferenceEngine>;
  /** The active site profile's operating point when results are made (null: none). */
  operatingPoint?: () => Promise<OperatingPoint | null>;
  /** Puts retrieved films in the study list. */
  addToLibrary: (paths: string[]) => Promise<unknown>;
  device: ReportDevice;
  onRetrieveProgress: (progress: RetrieveProgress) => void;
  onOutboxChanged: (entry: OutboxEntry) => void;
}

export interface PacsService {
  handlers: PacsHandlers;
  outbox: Outbox;
  /** Settles once the resend of queued entries at start has finished. */
  resumed: Promise<void>;
  dispose(): Promise<void>;
}

export function peerOf(connection: PacsConnection): PacsPeer {
  return {
    aeTitle: connection.aeTitle,
    host: connection.host,
    port: connection.port,
    callingAeTitle: connection.callingAeTitle,
  };
}

export function createPacsService(options: PacsServiceOptions): PacsService {
  const connections = createConnectionStore(join(options.dir, 'connections.json'));
  const outbox = createOutbox({
    dir: join(options.dir, 'outbox'),
    onChange: options.onOutboxChanged,
  });
  const retrieving = new Map<string, AbortController>();
  const running = new Set<Promise<unknown>>();
  /** Inbox files of each study retrieved in this session. */
  const retrievedFiles = new Map<string, string[]>();

  const track = <T>(work: Promise<T>): Promise<T> => {
    running.add(work);
    void work.finally(() => running.delete(work)).catch(() => undefined);
    return work;
  };

  const resumed = track(
    outbox.list().then(async (entries) => {
      if (entries.some((entry) => entry.state !== 'sent')) await outbox.sendPending();
    }),
  ).catch(() => undefined);

  function startRetrieve(connection: PacsConnection, studyInstanceUids: string[]): string {
    const receiver = options.receiver();
    if (!receiver)
      throw new CodedError(
        'INVALID_REQUEST',
        'Start the DICOM receiver (Inbox tab) first: the PACS sends the studies to it',
      );
    const retrieveId = randomUUID();
    const controller = new AbortController();
    retrieving.set(retrieveId, controller);
    const progress: RetrieveProgress = {
      retrieveId,
      connectionId: connection.id,
      state: 'running',
      studies: studyInstanceUids.length,
      studiesDone: 0,
      completed: 0,
      failed: 0,
      remaining: 0,
      bytes: 0,
      retrievedStudyUids: [],
      error: null,
    };
    const report = (change: Partial<RetrieveProgress>) => {
      Object.assign(progress, change);
      options.onRetrieveProgress({
        ...progress,
        retrievedStudyUids: [...progress.retrievedStudyUids],
      });
    };
    report({});
    track(
      retrieveStudies({
        peer: peerOf(connection),
        studyInstanceUids,
        destinationAeTitle: receiver.aeTitle,
        inboxDir: receiver.inboxDir,
        signal: controller.signal,
        onProgress: (counts, study) => {
          if (study) {
            retrievedFiles.set(study.studyInstanceUid, study.files);
            progress.retrievedStudyUids.push(study.studyInstanceUid);
          }
          report(counts);
        },
      })
        .then(async (studies) => {
          await options.addToLibrary(studies.flatMap((study) => study.files));
          report({ state: 'done' });
        })
        .catch(async (error: unknown) => {
          const info = toErrorInfo(error);
          // What did arrive still joins the study list.
          const arrived = progress.retrievedStudyUids.flatMap(
            (uid) => retrievedFiles.get(uid) ?? [],
          );
          if (arrived.length > 0) await options.addToLibrary(arrived).catch(() => undefined);
          report({ state: info.code === 'CANCELLED' ? 'cancelled' : 'failed', error: info });
        })
        .finally(() => retrieving.delete(retrieveId)),
    );
    return retrieveId;
  }

  async function sendResults(
    connection: PacsConnection,
    studyInstanceUids: string[],
    kinds: PacsResultKind[],
  ): Promise<OutboxEntry[]> {
    const engine = await options.engine();
    const operatingPoint = (await options.operatingPoint?.()) ?? null;
    const entryIds: string[] = [];
    const failures: OutboxEntry[] = [];
    for (const studyInstanceUid of studyInstanceUids) {
      const files = retrievedFiles.get(studyInstanceUid);
      if (!files)
        throw new CodedError(
          'INVALID_REQUEST',
          `Study ${studyInstanceUid} was not retrieved in this session; retrieve it first`,
        );
      for (const path of files) {
        try {
          const entry = await queueFilmResults({
            engine,
            outbox,
            connectionId: connection.id,
            peer: peerOf(connection),
            path,
            kinds,
            device: options.device,
            operatingPoint,
          });
          entryIds.push(entry.entryId);
        } catch (error) {
          // A film that cannot be reported (unreadable, no study) is a failed row, not an abort.
          failures.push({
            entryId: `unreportable-${failures.length}`,
            connectionId: connection.id,
            destination: `${connection.aeTitle}@${connection.host}:${connection.port}`,
            studyInstanceUid,
            sourceSopInstanceUid: '',
            sourcePath: path,
            kinds: [],
            state: 'failed',
            attempts: 0,
            lastError: toErrorInfo(error).message,
            updatedAt: new Date().toISOString(),
          });
        }
      }
    }
    const sent = entryIds.length > 0 ? await outbox.sendPending({ entryIds }) : [];
    return [...sent, ...failures];
  }

  const handlers: PacsHandlers = {
    'pacs:listConnections': async () => connections.list(),
    'pacs:saveConnection': async (connection) => connections.save(connection),
    'pacs:removeConnection': async ({ id }) => connections.remove(id),
    'pacs:echo': async ({ connectionId }) => echo(peerOf(await connections.get(connectionId))),
    'pacs:query': async ({ connectionId, query }) =>
      findStudies(peerOf(await connections.get(connectionId)), query),
    'pacs:retrieve': async ({ connectionId, studyInstanceUids }) => ({
      retrieveId: startRetrieve(await connections.get(connectionId), studyInstanceUids),
    }),
    'pacs:cancelRetrieve': async ({ retrieveId }) => {
      const controller = retrieving.get(retrieveId);
      controller?.abort();
      return { cancelled: controller !== undefined };
    },
    'pacs:sendResults': async ({ connectionId, studyInstanceUids, heatmap, pdf }) => {
      const kinds: PacsResultKind[] = ['sr'];
      if (heatmap) kinds.push('sc');
      if (pdf) kinds.push('encapsulatedPdf');
      return track(sendResults(await connections.get(connectionId), studyInstanceUids, kinds));
    },
    'pacs:outbox': async () => outbox.list(),
    'pacs:retrySend': async () => track(outbox.sendPending()),
  };

  return {
    handlers,
    outbox,
    resumed,
    async dispose() {
      for (const controller of retrieving.values()) controller.abort();
      await Promise.allSettled([...running]);
    },
  };
}
