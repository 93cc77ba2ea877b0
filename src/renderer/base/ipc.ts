import type { CodedErrorInfo } from '../../shared/errors';
import type { IpcChannel, IpcReply, IpcRequest } from '../../shared/ipc/contract';

/** A failed IPC call, keeping the main side's error code so the UI can explain it. */
export class IpcCallError extends Error {
  readonly info: CodedErrorInfo;
  constructor(info: CodedErrorInfo) {
    super(info.message);
    this.name = 'IpcCallError';
    this.info = info;
  }
}

/** Invokes a channel and unwraps the envelope: resolves to the value or throws IpcCallError. */
export async function call<C extends IpcChannel>(
  channel: C,
  request: IpcRequest<C>,
): Promise<IpcReply<C>> {
  const result = await window.api.invoke(channel, request);
  if (result.ok) return result.value;
  throw new IpcCallError(result.error);
}

/** Turns anything caught into coded error info (non-IPC failures become INTERNAL_ERROR). */
export function errorInfoOf(error: unknown): CodedErrorInfo {
  if (error instanceof IpcCallError) return error.info;
  return {
    code: 'INTERNAL_ERROR',
    message: error instanceof Error ? error.message : String(error),
  };
}
