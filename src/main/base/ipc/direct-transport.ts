/**
 * An in-process transport: the same registration and validation path as Electron's ipcMain, called
 * directly. Used by tests, the e2e harness and anything else that has no Electron.
 */
import { IPC_CHANNELS, type IpcChannel, type IpcResult } from '../../../shared/ipc/contract';
import {
  invalidRequest,
  type IpcCallContext,
  type IpcInvokeListener,
  type IpcTransport,
} from './register';

export interface DirectTransport extends IpcTransport {
  /** Invokes a channel as a renderer would; the request is validated like any other. */
  invoke<C extends IpcChannel>(
    channel: C,
    rawRequest: unknown,
    context?: IpcCallContext,
  ): Promise<IpcResult<C>>;
  /** Any name, as from an untrusted page: unknown names are rejected like bad requests. */
  invoke(
    channel: string,
    rawRequest: unknown,
    context?: IpcCallContext,
  ): Promise<IpcResult<IpcChannel>>;
}

function isContractChannel(name: string): name is IpcChannel {
  return (IPC_CHANNELS as string[]).includes(name);
}

export function createDirectTransport(): DirectTransport {
  const listeners = new Map<IpcChannel, IpcInvokeListener>();
  return {
    handle(channel, listener) {
      if (listeners.has(channel)) throw new Error(`A handler for ${channel} is already registered`);
      listeners.set(channel, listener);
    },
    removeHandler(channel) {
      listeners.delete(channel);
    },
    async invoke(
      channel: string,
      rawRequest: unknown,
      context: IpcCallContext = { senderId: 'direct' },
    ) {
      const listener = isContractChannel(channel) ? listeners.get(channel) : undefined;
      if (!listener) return invalidRequest(`Unknown IPC channel: ${String(channel).slice(0, 64)}`);
      return listener(rawRequest, context);
    },
  };
}
