/**
 * Registers one handler per contract channel on a transport. Every request is validated with the
 * contract's schema before its handler runs, and every outcome becomes an `IpcResult` envelope, so
 * the renderer gets a typed error code and never a stack trace.
 */
import { CodedError, toErrorInfo, type CodedErrorInfo } from '../../../shared/errors';
import {
  IPC_CHANNELS,
  ipcContract,
  type IpcChannel,
  type IpcReply,
  type IpcRequest,
  type IpcResult,
} from '../../../shared/ipc/contract';

/** Who sent a request; the Electron transport fills it from the invoke event. */
export interface IpcCallContext {
  /** Transport-specific sender id (Electron: webContents id; harness: 'harness'). */
  senderId: string | number;
}

export type IpcHandler<C extends IpcChannel> = (
  request: IpcRequest<C>,
  context: IpcCallContext,
) => Promise<IpcReply<C>>;

/** One handler per channel: a channel added to the contract without a handler does not compile. */
export type IpcHandlers = { [C in IpcChannel]: IpcHandler<C> };

/** Receives an unvalidated request and resolves to the envelope sent back to the caller. */
export type IpcInvokeListener = (
  rawRequest: unknown,
  context: IpcCallContext,
) => Promise<IpcResult<IpcChannel>>;

/** Where handlers are attached: Electron's ipcMain in the app, an in-process map in tests. */
export interface IpcTransport {
  handle(channel: IpcChannel, listener: IpcInvokeListener): void;
  removeHandler(channel: IpcChannel): void;
}

export function invalidRequest(message: string): { ok: false; error: CodedErrorInfo } {
  return { ok: false, error: { code: 'INVALID_REQUEST', message } };
}

/** Short, path-qualified description of why a request failed its schema. */
function describeIssues(
  issues: readonly { path: readonly PropertyKey[]; message: string }[],
): string {
  return issues
    .slice(0, 5)
    .map((issue) => {
      const path = issue.path.map(String).join('.');
      return path ? `${path}: ${issue.message}` : issue.message;
    })
    .join('; ');
}

/** Validates, runs and wraps one channel's handler. */
export function createChannelListener<C extends IpcChannel>(
  channel: C,
  handler: IpcHandler<C>,
): IpcInvokeListener {
  const schema = ipcContract[channel].request;
  return async (rawRequest, context) => {
    const parsed = schema.safeParse(rawRequest);
    if (!parsed.success) {
      return invalidRequest(
        `Invalid request for ${channel}: ${describeIssues(parsed.error.issues)}`,
      );
    }
    try {
      const value = await handler(parsed.data as IpcRequest<C>, context);
      return { ok: true, value };
    } catch (error) {
      return { ok: false, error: toErrorInfo(error) };
    }
  };
}

/** Attaches every contract channel; returns a function that detaches them again. */
export function registerIpcHandlers(transport: IpcTransport, handlers: IpcHandlers): () => void {
  for (const channel of IPC_CHANNELS) {
    const handler = handlers[channel] as IpcHandler<typeof channel> | undefined;
    if (typeof handler !== 'function') {
      // The mapped type makes this unreachable from typed code; guard against casts anyway.
      throw new CodedError('INTERNAL_ERROR', `No IPC handler for channel ${channel}`);
    }
    transport.handle(channel, createChannelListener(channel, handler));
  }
  return () => {
    for (const channel of IPC_CHANNELS) transport.removeHandler(channel);
  };
}
