/** The IPC transport over Electron's ipcMain, with the sender check in front of every channel. */
import type { IpcMain, IpcMainInvokeEvent } from 'electron';
import type { IpcTransport } from '../../base/ipc/register';
import { isTrustedSender, type SenderPolicy } from '../../base/ipc/sender-policy';

export function senderOf(event: IpcMainInvokeEvent): {
  webContentsId: number;
  frameUrl: string | undefined;
  isMainFrame: boolean;
} {
  const frame = event.senderFrame;
  return {
    webContentsId: event.sender.id,
    frameUrl: frame?.url,
    // A top frame has no parent; sub-frames (iframes) are never trusted.
    isMainFrame: frame !== null && frame.parent === null,
  };
}

export function createElectronIpcTransport(
  ipcMain: IpcMain,
  policy: () => SenderPolicy,
): IpcTransport {
  return {
    handle(channel, listener) {
      ipcMain.handle(channel, async (event, rawRequest: unknown) => {
        if (!isTrustedSender(senderOf(event), policy())) {
          return {
            ok: false,
            error: {
              code: 'ACCESS_DENIED',
              message: 'Requests are only accepted from the workstation window.',
            },
          };
        }
        return listener(rawRequest, { senderId: event.sender.id });
      });
    },
    removeHandler(channel) {
      ipcMain.removeHandler(channel);
    },
  };
}
