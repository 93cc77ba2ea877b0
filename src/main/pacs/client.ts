/**
 * The PACS client side (SCU): C-ECHO, study-level C-FIND, C-MOVE with progress and cancel, and
 * C-STORE of files, over dcmjs-dimse's Client. Every call opens one association to an address the
 * user entered and closes it; nothing is contacted unless a caller asks.
 */
import { performance } from 'node:perf_hooks';
import { Client, Dataset, constants, log as dimseLog, requests } from 'dcmjs-dimse';
import { CodedError, toErrorInfo } from '../../shared/errors';
import type { PacsEchoResult, PacsStudy, PacsStudyQuery } from '../../shared/pacs';
import { networkErrorInWords } from '../dicom-network/network-errors';
import { pacsAddressProblem, type PacsAddress } from './address';

const { CEchoRequest, CFindRequest, CMoveRequest, CStoreRequest } = requests;
const { Status } = constants;

// dcmjs-dimse logs every PDU at INFO; callers report through their own events instead.
dimseLog.setLevel('silent');

export interface PacsPeer extends PacsAddress {
  /** Our AE title on this association. */
  callingAeTitle: string;
}

export interface AssociationTimeouts {
  connectTimeoutMs?: number;
  /** Longest silence between PDUs (a C-MOVE answers once per instance moved). */
  pduTimeoutMs?: number;
}

const DEFAULTS: Required<AssociationTimeouts> = { connectTimeoutMs: 10_000, pduTimeoutMs: 60_000 };

/** DIMSE status classes (PS3.7 Annex C). */
export function isSuccessStatus(status: number): boolean {
  return status === Status.Success;
}
export function isWarningStatus(status: number): boolean {
  return status === 0x0001 || (status & 0xf000) === 0xb000;
}
export function isPendingStatus(status: number): boolean {
  return status === 0xff00 || status === 0xff01;
}

export function describeStatus(status: number, comment?: string): string {
  const hex = `0x${status.toString(16).padStart(4, '0').toUpperCase()}`;
  const name =
    status === 0xa700 || (status & 0xff00) === 0xa700
      ? 'refused: out of resources'
      : status === 0xa900 || (status & 0xff00) === 0xa900
        ? 'error: data set does not match SOP class'
        : (status & 0xf000) === 0xc000
          ? 'error: cannot understand'
          : status === 0x0122
            ? 'refused: SOP class not supported'
            : status === 0x0124
              ? 'refused: not authorized'
              : status === 0x0110
                ? 'processing failure'
                : status === Status.Cancel
                  ? 'cancelled'
                  : 'failed';
  return `${name} (status ${hex})${comment ? `: ${comment}` : ''}`;
}

/** A-ASSOCIATE-RJ source and reason (PS3.8 9.3.4) as a user can act on them. */
export function rejectionInWords(source: number, reason: number): string {
  if (source === 1) {
    if (reason === 3) return 'it does not know our AE title (add it to the PACS as a modality)';
    if (reason === 7) return 'the AE title we called is not its own (check the PACS AE title)';
    if (reason === 2) return 'it does not support the DICOM application context';
    return 'it refused us (no reason given)';
  }
  if (source === 3 && reason === 2) return 'it is busy (local limit exceeded); try again later';
  if (source === 3 && reason === 1) return 'it is temporarily congested; try again later';
  return 'it refused the association';
}

function requirePeer(peer: PacsPeer): void {
  const problem = pacsAddressProblem(peer);
  if (problem) throw new CodedError('INVALID_REQUEST', problem);
}

/**
 * Runs `requestsToSend` on one association; resolves when the association has closed normally,
 * rejects with PACS_ERROR when it could not be made (refused, unreachable, dropped).
 */
function runAssociation(
  peer: PacsPeer,
  requestsToSend: requests.Request[],
  options: AssociationTimeouts & { signal?: AbortSignal; onClient?: (client: Client) => void } = {},
): Promise<void> {
  requirePeer(peer);
  const timeouts = { ...DEFAULTS, ...options };
  return new Promise<void>((resolveRun, rejectRun) => {
    const client = new Client();
    let failure: Error | null = null;
    const fail = (message: string, cause?: unknown) => {
      failure ??= new CodedError('PACS_ERROR', message, { cause });
    };
    for (const request of requestsToSend) client.addRequest(request);
    client.on('associationRejected', (result: { result: number; source: number; reason: number }) =>
      fail(
        `${peer.aeTitle} refused the association from ${peer.callingAeTitle}: ` +
          `${rejectionInWords(result.source, result.reason)} ` +
          `(A-ASSOCIATE-RJ result ${result.result}, source ${result.source}, reason ${result.reason})`,
      ),
    );
    client.on('networkError', (error: Error) =>
      fail(
        `cannot talk to ${peer.aeTitle} at ${peer.host}:${peer.port}: ${networkErrorInWords(error.message)}`,
        error,
      ),
    );
    let open = true;
    const onAbort = () => {
      fail('cancelled');
      // After the association closed there is nothing left to abort.
      if (open) client.abort();
    };
    client.on('closed', () => {
      open = false;
      options.signal?.removeEventListener('abort', onAbort);
      if (failure) rejectRun(failure);
      else resolveRun();
    });
    if (options.signal?.aborted) {
      rejectRun(new CodedError('CANCELLED', 'cancelled'));
      return;
    }
    options.signal?.addEventListener('abort', onAbort, { once: true });
    options.onClient?.(client);
    client.send(peer.host, peer.port, peer.callingAeTitle, peer.aeTitle, {
      connectTimeout: timeouts.connectTimeoutMs,
      associationTimeout: timeouts.connectTimeoutMs,
      pduTimeout: timeouts.pduTimeoutMs,
    });
  });
}

/** C-ECHO: is the PACS there, and does it accept us? Never throws for a PACS problem. */
export async function echo(
  peer: PacsPeer,
  timeouts?: AssociationTimeouts,
): Promise<PacsEchoResult> {
  const started = performance.now();
  const request = new CEchoRequest();
  let status: number | null = null;
  request.on('response', (response: { getStatus(): number }) => (status = response.getStatus()));
  try {
    await runAssociation(peer, [request], timeouts);
    if (status === null || !isSuccessStatus(status))
      throw new CodedError(
        'PACS_ERROR',
        `C-ECHO ${status === null ? 'got no answer' : describeStatus(status)}`,
      );
    return { ok: true, milliseconds: performance.now() - started, error: null };
  } catch (error) {
    return { ok: false, milliseconds: performance.now() - started, error: toErrorInfo(error) };
  }
}

/** Study-level C-FIND matching keys (PS3.4 C.6.1.1.2); wildcards as the user typed them. */
export function studyFindKeys(query: PacsStudyQuery): Record<string, string> {
  const from = query.studyDateFrom ?? '';
  const to = query.studyDateTo ?? '';
  const modalities = query.modalities ?? ['CR', 'DX'];
  return {
    PatientName: query.patientName ?? '',
    PatientID: query.patientId ?? '',
    AccessionNumber: query.accessionNumber ?? '',
    StudyDate: from || to ? `${from}-${to}` : '',
    // A multi-valued ModalitiesInStudy matches a study holding any of them (Orthanc, dcm4chee).
    ModalitiesInStudy: modalities.join('\\'),
    StudyInstanceUID: '',
    StudyDescription: '',
    NumberOfStudyRelatedInstances: '',
  };
}

function text(elements: Record<string, unknown>, key: string): string {
  const value = elements[key];
  if (value === undefined || value === null) return '';
  if (Array.isArray(value)) return value.map((v) => text({ v }, 'v')).join('\\');
  if (typeof value === 'object' && 'Alphabetic' in value)
    return String((value as { Alphabetic: unknown }).Alphabetic ?? '');
  return String(value).trim();
}

function toStudy(dataset: Dataset): PacsStudy {
  const elements = dataset.getElements();
  const count = Number(text(elements, 'NumberOfStudyRelatedInstances'));
  return {
    studyInstanceUid: text(elements, 'StudyInstanceUID'),
    patientName: text(elements, 'PatientName'),
    patientId: text(elements, 'PatientID'),
    studyDate: text(elements, 'StudyDate'),
    accessionNumber: text(elements, 'AccessionNumber'),
    studyDescription: text(elements, 'StudyDescription'),
    modalitiesInStudy: text(elements, 'ModalitiesInStudy').split('\\').filter(Boolean),
    numberOfInstances:
      text(elements, 'NumberOfStudyRelatedInstances') && Number.isFinite(count) ? count : null,
  };
}

interface DimseResponse {
  getStatus(): number;
  getErrorComment(): string;
  hasDataset(): boolean;
  getDataset(): Dataset | undefined;
}

/**
 * Runs C-FINDs on one association (one after the other) and collects each one's pending data
 * sets; checks every final status.
 */
async function findMany(
  peer: PacsPeer,
  findRequests: requests.CFindRequest[],
  timeouts?: AssociationTimeouts,
): Promise<Dataset[][]> {
  const found: Dataset[][] = findRequests.map(() => []);
  const finals: ({ status: number; comment: string } | null)[] = findRequests.map(() => null);
  findRequests.forEach((request, index) =>
    request.on('response', (response: DimseResponse) => {
      const status = response.getStatus();
      if (isPendingStatus(status)) {
        const dataset = response.hasDataset() ? response.getDataset() : undefined;
        if (dataset) found[index].push(dataset);
      } else finals[index] = { status, comment: response.getErrorComment() };
    }),
  );
  await runAssociation(peer, findRequests, timeouts);
  for (const final of finals) {
    if (!final) throw new CodedError('PACS_ERROR', 'C-FIND ended without a final response');
    if (!isSuccessStatus(final.status))
      throw new CodedError('PACS_ERROR', `C-FIND ${describeStatus(final.status, final.comment)}`);
  }
  return found;
}

async function find(
  peer: PacsPeer,
  request: requests.CFindRequest,
  timeouts?: AssociationTimeouts,
): Promise<Dataset[]> {
  return (await findMany(peer, [request], timeouts))[0];
}

export async function findStudies(
  peer: PacsPeer,
  query: PacsStudyQuery,
  timeouts?: AssociationTimeouts,
): Promise<PacsStudy[]> {
  const request = CFindRequest.createStudyFindRequest(studyFindKeys(query));
  const studies = (await find(peer, request, timeouts)).map(toStudy);
  return studies.sort(
    (a, b) => b.studyDate.localeCompare(a.studyDate) || a.patientName.localeCompare(b.patientName),
  );
}

/** The SOP Instance UIDs of a study (image-level C-FIND), to know what a C-MOVE will bring. */
export interface InstanceRef {
  sopInstanceUid: string;
  seriesInstanceUid: string;
  modality: string;
}

/** The instances of each study (image-level C-FINDs on one association), in the given order. */
export async function findInstancesOfStudies(
  peer: PacsPeer,
  studyInstanceUids: readonly string[],
  timeouts?: AssociationTimeouts,
): Promise<InstanceRef[][]> {
  const findRequests = studyInstanceUids.map((studyInstanceUid) =>
    CFindRequest.createImageFindRequest({
      StudyInstanceUID: studyInstanceUid,
      SeriesInstanceUID: '',
      SOPInstanceUID: '',
      Modality: '',
    }),
  );
  return (await findMany(peer, findRequests, timeouts)).map((datasets) =>
    datasets.map((dataset) => {
      const elements = dataset.getElements();
      return {
        sopInstanceUid: text(elements, 'SOPInstanceUID'),
        seriesInstanceUid: text(elements, 'SeriesInstanceUID'),
        modality: text(elements, 'Modality'),
      };
    }),
  );
}

/** The SOP Instance UIDs of a study (image-level C-FIND), to know what a C-MOVE will bring. */
export async function findInstanceUids(
  peer: PacsPeer,
  studyInstanceUid: string,
  timeouts?: AssociationTimeouts,
): Promise<InstanceRef[]> {
  return (await findInstancesOfStudies(peer, [studyInstanceUid], timeouts))[0];
}

export interface MoveProgress {
  completed: number;
  failed: number;
  warnings: number;
  remaining: number;
}

type MoveResponse = DimseResponse & {
  getCompleted(): number;
  getFailures(): number;
  getWarnings(): number;
  getRemaining(): number;
};

export interface MoveOutcome extends MoveProgress {
  status: number;
  comment: string;
}

/** A study-level C-MOVE of one study, or of several by UID list matching (PS3.4 C.2.2.2.2). */
function studyMoveRequest(destinationAeTitle: string, studyInstanceUids: readonly string[]) {
  const request = CMoveRequest.createStudyMoveRequest(destinationAeTitle, studyInstanceUids[0]);
  if (studyInstanceUids.length > 1)
    request.setDataset(
      new Dataset({ QueryRetrieveLevel: 'STUDY', StudyInstanceUID: [...studyInstanceUids] }),
    );
  return request;
}

/**
 * C-MOVEs to `destinationAeTitle` (our own receiver, which the PACS must know), one request per
 * group of study UIDs, one after the other on one association. A PACS's failure status is an
 * outcome (see `moveFailure`); only a failed association or a cancel throws. Cancel with
 * `signal`: C-CANCEL for the move in progress, then A-ABORT.
 */
export async function moveStudyGroups(
  peer: PacsPeer,
  groups: readonly (readonly string[])[],
  destinationAeTitle: string,
  options: {
    onProgress?: (groupIndex: number, progress: MoveProgress) => void;
    onGroupDone?: (groupIndex: number, outcome: MoveOutcome) => void;
    signal?: AbortSignal;
  } & AssociationTimeouts = {},
): Promise<MoveOutcome[]> {
  if (options.signal?.aborted) throw new CodedError('CANCELLED', 'retrieve cancelled');
  const progress: MoveProgress[] = groups.map(() => ({
    completed: 0,
    failed: 0,
    warnings: 0,
    remaining: 0,
  }));
  const outcomes: (MoveOutcome | null)[] = groups.map(() => null);
  const moveRequests = groups.map((group, index) => {
    const request = studyMoveRequest(destinationAeTitle, group);
    request.on('response', (response: MoveResponse) => {
      const status = response.getStatus();
      const last = progress[index];
      progress[index] = {
        completed: response.getCompleted() ?? last.completed,
        failed: response.getFailures() ?? last.failed,
        warnings: response.getWarnings() ?? last.warnings,
        remaining: isPendingStatus(status) ? (response.getRemaining() ?? 0) : 0,
      };
      options.onProgress?.(index, progress[index]);
      if (!isPendingStatus(status)) {
        outcomes[index] = { ...progress[index], status, comment: response.getErrorComment() };
        options.onGroupDone?.(index, outcomes[index]);
      }
    });
    return request;
  });
  let client: Client | null = null;
  const cutOff = new AbortController();
  const onAbort = () => {
    // C-CANCEL the move in progress, then A-ABORT at once: no further study is requested, and a
    // PACS that ignores C-CANCEL stops sending to us with the association.
    const current = moveRequests.find((_, index) => outcomes[index] === null);
    try {
      if (current) client?.cancel(current);
    } catch {
      // The association is already gone.
    }
    cutOff.abort();
  };
  options.signal?.addEventListener('abort', onAbort, { once: true });
  try {
    await runAssociation(peer, moveRequests, {
      ...options,
      signal: cutOff.signal,
      onClient: (c) => (client = c),
    });
  } catch (error) {
    if (options.signal?.aborted) throw new CodedError('CANCELLED', 'retrieve cancelled');
    throw error;
  } finally {
    options.signal?.removeEventListener('abort', onAbort);
  }
  if (options.signal?.aborted || outcomes.some((outcome) => outcome?.status === Status.Cancel))
    throw new CodedError('CANCELLED', 'retrieve cancelled');
  return outcomes.map((outcome) => {
    if (!outcome) throw new CodedError('PACS_ERROR', 'C-MOVE ended without a final response');
    return outcome;
  });
}

/** Why a C-MOVE outcome is a failure, in words, or null when it succeeded. */
export function moveFailure(
  outcome: MoveOutcome,
  what: string,
  destinationAeTitle: string,
): string | null {
  if (!isSuccessStatus(outcome.status) && !isWarningStatus(outcome.status))
    return (
      `C-MOVE of ${what} to ${destinationAeTitle} ${describeStatus(outcome.status, outcome.comment)}` +
      (outcome.status === 0xa801 ? ' (the PACS does not know that destination AE title)' : '')
    );
  if (outcome.failed > 0)
    return `${outcome.failed} of ${outcome.completed + outcome.failed} instances of ${what} could not be sent to ${destinationAeTitle}`;
  return null;
}

/** C-MOVE of one study; throws the PACS's refusal in words. */
export async function moveStudy(
  peer: PacsPeer,
  studyInstanceUid: string,
  destinationAeTitle: string,
  options: {
    onProgress?: (progress: MoveProgress) => void;
    signal?: AbortSignal;
  } & AssociationTimeouts = {},
): Promise<MoveProgress> {
  const [outcome] = await moveStudyGroups(peer, [[studyInstanceUid]], destinationAeTitle, {
    ...options,
    onProgress: (_, progress) => options.onProgress?.(progress),
  });
  const failure = moveFailure(outcome, `study ${studyInstanceUid}`, destinationAeTitle);
  if (failure) throw new CodedError('PACS_ERROR', failure);
  return outcome;
}

export interface StoreOutcome {
  path: string;
  ok: boolean;
  /** The PACS's answer in words (status and comment), or the network error. */
  message: string;
  status: number | null;
}

/**
 * C-STORE of Part 10 files on one association. An association that cannot be made fails every
 * file with its reason; a refused file fails alone with the PACS's status.
 */
export async function storeFiles(
  peer: PacsPeer,
  paths: readonly string[],
  timeouts?: AssociationTimeouts,
): Promise<StoreOutcome[]> {
  const outcomes = new Map<string, StoreOutcome>();
  const storeRequests: requests.CStoreRequest[] = [];
  for (const path of paths) {
    let request: requests.CStoreRequest;
    try {
      request = new CStoreRequest(path);
    } catch (error) {
      // dcmjs-dimse reads the file here: one it cannot parse fails alone.
      const reason = error instanceof Error ? error.message : String(error);
      outcomes.set(path, {
        path,
        ok: false,
        status: null,
        message: `cannot read ${path}: ${reason}`,
      });
      continue;
    }
    request.on('response', (response: DimseResponse) => {
      const status = response.getStatus();
      const ok = isSuccessStatus(status) || isWarningStatus(status);
      outcomes.set(path, {
        path,
        ok,
        status,
        message: ok ? 'stored' : `C-STORE ${describeStatus(status, response.getErrorComment())}`,
      });
    });
    storeRequests.push(request);
  }
  try {
    if (storeRequests.length > 0) await runAssociation(peer, storeRequests, timeouts);
  } catch (error) {
    const message = toErrorInfo(error).message;
    return paths.map((path) => outcomes.get(path) ?? { path, ok: false, status: null, message });
  }
  return paths.map(
    (path) =>
      outcomes.get(path) ?? {
        path,
        ok: false,
        status: null,
        message: 'the PACS did not answer this C-STORE (no presentation context accepted?)',
      },
  );
}
