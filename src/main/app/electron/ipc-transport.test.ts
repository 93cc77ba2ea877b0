import type { IpcMain, IpcMainInvokeEvent } from 'electron';
import { describe, expect, it } from 'vitest';
import { createElectronIpcTransport } from './ipc-transport';

type Listener = (event: IpcMainInvokeEvent, request: unknown) => Promise<unknown>;

/** Only what the transport touches of ipcMain and of the invoke event. */
function fakeIpcMain() {
  const handlers = new Map<string, Listener>();
  const ipcMain = {
    handle: (channel: string, listener: Listener) => handlers.set(channel, listener),
    removeHandler: (channel: string) => handlers.delete(channel),
  } as unknown as IpcMain;
  return { ipcMain, handlers };
}

function invokeEvent(webContentsId: number, url: string, topFrame = true): IpcMainInvokeEvent {
  return {
    sender: { id: webContentsId },
    senderFrame: { url, parent: topFrame ? null : {} },
  } as unknown as IpcMainInvokeEvent;
}

const page = 'file:///app/out/renderer/index.html';
const policy = { trustedWebContentsIds: new Set([1]), rendererUrl: page };

describe('Electron IPC transport', () => {
  it('passes requests from the own window to the listener, with the sender id', async () => {
    const { ipcMain, handlers } = fakeIpcMain();
    const transport = createElectronIpcTransport(ipcMain, () => policy);
    transport.handle('library:list', async (request, context) => ({
      ok: true,
      value: {
        patients: [],
        problems: [
          {
            displayName: JSON.stringify([request, context]),
            error: { code: 'CANCELLED', message: '' },
          },
        ],
      },
    }));
    const reply = await handlers.get('library:list')!(invokeEvent(1, page), { a: 1 });
    expect(reply).toMatchObject({
      ok: true,
      value: { problems: [{ displayName: '[{"a":1},{"senderId":1}]' }] },
    });
    transport.removeHandler('library:list');
    expect(handlers.size).toBe(0);
  });

  it.each([
    ['another webContents', invokeEvent(2, page)],
    ['an iframe in the own window', invokeEvent(1, page, false)],
    ['another page in the own window', invokeEvent(1, 'https://example.com/')],
  ])('answers ACCESS_DENIED to %s without running the listener', async (_why, event) => {
    const { ipcMain, handlers } = fakeIpcMain();
    let ran = false;
    createElectronIpcTransport(ipcMain, () => policy).handle('app:getInfo', async () => {
      ran = true;
      return { ok: false, error: { code: 'INTERNAL_ERROR', message: 'should not run' } };
    });
    expect(await handlers.get('app:getInfo')!(event, {})).toMatchObject({
      ok: false,
      error: { code: 'ACCESS_DENIED' },
    });
    expect(ran).toBe(false);
  });
});
