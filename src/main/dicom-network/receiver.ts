/**
 * DICOM receiver: C-ECHO and C-STORE SCP (dcmjs-dimse for the protocol, our own listening socket).
 *
 * Choices: the socket is ours, not dcmjs-dimse's Server (which binds every interface), so it binds
 * 127.0.0.1 unless told otherwise; the called AE title must be ours and, with an allow-list, the
 * calling AE title must be on it (otherwise A-ASSOCIATE-RJ); each presentation context is
 * accepted with the first proposed transfer syntax we store as sent (ACCEPTED_TRANSFER_SYNTAXES),
 * others refused at negotiation; data sets stream to disk (inbox-files.ts) with back-pressure on
 * the socket, never held whole in memory.
 */
import { createServer, isIP, type Server, type Socket } from 'node:net';
import { finished, Writable } from 'node:stream';
import { Dataset, Scp, constants, log as dimseLog, responses } from 'dcmjs-dimse';
import type { association as dimseAssociation, requests } from 'dcmjs-dimse';
import { AE_TITLE_PATTERN } from '../../shared/dicom-receiver';
import { networkErrorInWords } from './network-errors';
import { CodedError } from '../../shared/errors';
import { InstanceFileWriter, prepareInbox, type StoredInstance } from './inbox-files';
import {
  chooseTransferSyntax,
  isStorageSopClass,
  VERIFICATION_SOP_CLASS,
} from './transfer-syntaxes';

const { PresentationContextResult, RejectReason, RejectResult, RejectSource, Status } = constants;
const { CEchoResponse, CStoreResponse } = responses;

/** C-STORE "Refused: Out of Resources" (PS3.4 Annex B.2.3). */
const STATUS_OUT_OF_RESOURCES = 0xa700;

export const DEFAULT_BIND_ADDRESS = '127.0.0.1';

export type ReceiverEvent =
  | { type: 'association-accepted'; callingAeTitle: string; remoteAddress: string }
  | { type: 'association-rejected'; callingAeTitle: string; calledAeTitle: string; reason: string }
  | { type: 'stored'; instance: StoredInstance }
  | { type: 'store-failed'; sopInstanceUid: string; message: string }
  | { type: 'connection-error'; message: string };

export interface ReceiverOptions {
  /** TCP port; 0 picks a free one (see `port` on the result). */
  port: number;
  /** Interface to listen on (default 127.0.0.1: nothing off this machine can connect). */
  bind?: string;
  /** Our AE title; associations calling another title are rejected. */
  aeTitle: string;
  inbox: string;
  /** When given, only these calling AE titles may associate. */
  allowedCallingAeTitles?: readonly string[] | null;
  onEvent?: (event: ReceiverEvent) => void;
  /** Idle limits (ms) before a connection is dropped; defaults are dcmjs-dimse's 1 minute. */
  associationTimeoutMs?: number;
  pduTimeoutMs?: number;
}

export interface DicomReceiver {
  readonly host: string;
  readonly port: number;
  readonly aeTitle: string;
  /** Stops listening and drops open associations (a transfer in flight leaves no file). */
  close(): Promise<void>;
}

export function validAeTitle(title: string): boolean {
  return AE_TITLE_PATTERN.test(title);
}

// dcmjs-dimse logs every PDU at INFO; the receiver reports through onEvent instead.
dimseLog.setLevel('silent');

interface ScpContext {
  options: ReceiverOptions;
  allowed: Set<string> | null;
  emit: (event: ReceiverEvent) => void;
}

class InboxScp extends Scp {
  private writer: InstanceFileWriter | null = null;
  private storeError: Error | null = null;
  private callingAeTitle = '';

  constructor(
    private readonly connection: Socket,
    private readonly context: ScpContext,
  ) {
    super(connection, {
      associationTimeout: context.options.associationTimeoutMs,
      pduTimeout: context.options.pduTimeoutMs,
    });
    // dcmjs-dimse's own Server sets these for accepted sockets ('connect' never fires on them).
    const self = this as unknown as { connected: boolean; connectedTime: number };
    self.connected = true;
    self.connectedTime = Date.now();
    // A connection that ends mid-instance removes the partial temporary file.
    connection.on('close', () => this.writer?.destroy());
  }

  override associationRequested(association: dimseAssociation.Association): void {
    const calling = association.getCallingAeTitle().trim();
    const called = association.getCalledAeTitle().trim();
    const { options, allowed, emit } = this.context;
    const reject = (reason: number, why: string): void => {
      emit({
        type: 'association-rejected',
        callingAeTitle: calling,
        calledAeTitle: called,
        reason: why,
      });
      this.sendAssociationReject(RejectResult.Permanent, RejectSource.ServiceUser, reason);
      this.connection.end();
    };
    if (called !== options.aeTitle) {
      reject(
        RejectReason.CalledAeNotRecognized,
        `called AE title ${called} is not ${options.aeTitle}`,
      );
      return;
    }
    if (allowed && !allowed.has(calling)) {
      reject(RejectReason.CallingAeNotRecognized, `calling AE title ${calling} is not allowed`);
      return;
    }
    for (const { id } of association.getPresentationContexts()) {
      const context = association.getPresentationContext(id);
      const abstractSyntax = context.getAbstractSyntaxUid().replace(/\0+$/, '');
      if (abstractSyntax !== VERIFICATION_SOP_CLASS && !isStorageSopClass(abstractSyntax)) {
        context.setResult(PresentationContextResult.RejectAbstractSyntaxNotSupported);
        continue;
      }
      const chosen = chooseTransferSyntax(abstractSyntax, context.getTransferSyntaxUids());
      if (chosen) context.setResult(PresentationContextResult.Accept, chosen);
      else context.setResult(PresentationContextResult.RejectTransferSyntaxesNotSupported);
    }
    this.callingAeTitle = calling;
    emit({
      type: 'association-accepted',
      callingAeTitle: calling,
      remoteAddress: this.connection.remoteAddress ?? '',
    });
    this.sendAssociationAccept();
  }

  override associationReleaseRequested(): void {
    this.sendAssociationReleaseResponse();
  }

  override abort(): void {
    this.connection.destroy();
  }

  override cEchoRequest(
    request: requests.CEchoRequest,
    callback: (response: InstanceType<typeof CEchoResponse>) => void,
  ): void {
    const response = CEchoResponse.fromRequest(request);
    response.setStatus(Status.Success);
    callback(response);
  }

  override createStoreWritableStream(
    context: dimseAssociation.PresentationContext,
    request: requests.CStoreRequest,
  ): Writable {
    this.storeError = null;
    const transferSyntaxUid = context.getAcceptedTransferSyntaxUid();
    if (context.getResult() !== PresentationContextResult.Accept || !transferSyntaxUid) {
      this.storeError = new Error('C-STORE on a presentation context that was not accepted');
      return new Writable({ write: (_chunk, _encoding, done) => done() });
    }
    const writer = new InstanceFileWriter(this.context.options.inbox, {
      sopClassUid: request.getAffectedSopClassUid().replace(/\0+$/, ''),
      sopInstanceUid: request.getAffectedSopInstanceUid().replace(/\0+$/, ''),
      transferSyntaxUid,
      sourceAeTitle: this.callingAeTitle,
    });
    writer.on('error', (error) => (this.storeError = error));
    // Back-pressure: stop reading the socket (so TCP slows the sender) until the disk catches
    // up; dcmjs-dimse's own wait only covers the first 'drain'.
    const write = writer.write.bind(writer) as (chunk: Buffer) => boolean;
    (writer as unknown as { write: (chunk: Buffer) => boolean }).write = (chunk) => {
      if (!write(chunk)) {
        this.connection.pause();
        writer.once('drain', () => this.connection.resume());
      }
      return true;
    };
    this.writer = writer;
    return writer;
  }

  override createDatasetFromStoreWritableStream(
    writable: Writable,
    context: dimseAssociation.PresentationContext,
    callback: (dataset: Dataset) => void,
  ): void {
    // The instance is on disk already; cStoreRequest only needs to know how that went.
    finished(writable, () => {
      // A stream that is ending emits no 'drain': read again once it is done.
      this.connection.resume();
      callback(new Dataset({}, context.getAcceptedTransferSyntaxUid() ?? undefined));
    });
  }

  override cStoreRequest(
    request: requests.CStoreRequest,
    callback: (response: InstanceType<typeof CStoreResponse>) => void,
  ): void {
    const writer = this.writer;
    this.writer = null;
    const response = CStoreResponse.fromRequest(request);
    const stored = writer?.stored ?? null;
    if (stored && !this.storeError) {
      response.setStatus(Status.Success);
      this.context.emit({ type: 'stored', instance: stored });
    } else {
      const error = this.storeError ?? new Error('instance was not stored');
      const errno = (error as NodeJS.ErrnoException).code;
      response.setStatus(
        errno === 'ENOSPC' || errno === 'EDQUOT'
          ? STATUS_OUT_OF_RESOURCES
          : Status.ProcessingFailure,
      );
      this.context.emit({
        type: 'store-failed',
        sopInstanceUid: request.getAffectedSopInstanceUid(),
        message: error.message,
      });
    }
    callback(response);
  }
}

export async function startReceiver(options: ReceiverOptions): Promise<DicomReceiver> {
  if (!validAeTitle(options.aeTitle))
    throw new CodedError('INVALID_REQUEST', `invalid AE title: ${JSON.stringify(options.aeTitle)}`);
  const allowedList = options.allowedCallingAeTitles ?? null;
  for (const title of allowedList ?? [])
    if (!validAeTitle(title))
      throw new CodedError('INVALID_REQUEST', `invalid calling AE title: ${JSON.stringify(title)}`);
  if (!Number.isInteger(options.port) || options.port < 0 || options.port > 65535)
    throw new CodedError('INVALID_REQUEST', `invalid port: ${options.port}`);
  const host = options.bind ?? DEFAULT_BIND_ADDRESS;
  // An address, not a name: nothing is looked up, and what it listens on is plain to see.
  if (isIP(host) === 0)
    throw new CodedError('INVALID_REQUEST', `bind address must be an IP address: ${host}`);
  await prepareInbox(options.inbox);

  const context: ScpContext = {
    options: { ...options, aeTitle: options.aeTitle.trim() },
    allowed: allowedList ? new Set(allowedList.map((t) => t.trim())) : null,
    emit: (event) => options.onEvent?.(event),
  };
  const sockets = new Set<Socket>();
  const server: Server = createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    const scp = new InboxScp(socket, context);
    scp.on('networkError', (error: Error) => {
      context.emit({ type: 'connection-error', message: networkErrorInWords(error.message) });
      socket.destroy();
    });
  });
  await new Promise<void>((resolveListen, rejectListen) => {
    server.once('error', (error: NodeJS.ErrnoException) =>
      rejectListen(
        new CodedError(
          'INVALID_REQUEST',
          error.code === 'EADDRINUSE'
            ? `port ${options.port} on ${host} is already in use`
            : `cannot listen on ${host}:${options.port}: ${error.message}`,
          { cause: error },
        ),
      ),
    );
    server.listen({ port: options.port, host, exclusive: true }, () => resolveListen());
  });
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : options.port;
  return {
    host,
    port,
    aeTitle: context.options.aeTitle,
    close: () =>
      new Promise<void>((resolveClose) => {
        server.close(() => resolveClose());
        for (const socket of sockets) socket.destroy();
      }),
  };
}
