/**
 * Sandboxed preload: exposes `window.api` (WorkstationApi) and nothing else. Channel and event
 * names are checked against the contract here too, so the page cannot reach any other ipc
 * channel, and no Electron object (ipcRenderer, the IPC event) ever reaches the page.
 */
import { contextBridge, ipcRenderer, webUtils } from 'electron';
// Names only: the contract's zod schemas cannot be required in a sandboxed preload.
import { IPC_CHANNEL_NAMES, IPC_EVENT_NAMES } from '../shared/ipc/channels';
import type { IpcEvents, WorkstationApi } from '../shared/ipc/contract';

const channels = new Set<string>(IPC_CHANNEL_NAMES);
const events = new Set<string>(IPC_EVENT_NAMES);

export const api: WorkstationApi = {
  invoke(channel, request) {
    if (typeof channel !== 'string' || !channels.has(channel)) {
      return Promise.resolve({
        ok: false,
        error: {
          code: 'INVALID_REQUEST',
          message: `Unknown IPC channel: ${String(channel).slice(0, 64)}`,
        },
      });
    }
    return ipcRenderer.invoke(channel, request);
  },
  on<E extends keyof IpcEvents>(event: E, listener: (payload: IpcEvents[E]) => void) {
    if (typeof event !== 'string' || !events.has(event)) {
      throw new Error(`Unknown event: ${String(event).slice(0, 64)}`);
    }
    if (typeof listener !== 'function') throw new TypeError('listener must be a function');
    // Only the payload goes to the page: the IpcRendererEvent would expose ipcRenderer.
    const forward = (_event: unknown, payload: IpcEvents[E]) => listener(payload);
    ipcRenderer.on(event, forward);
    return () => {
      ipcRenderer.removeListener(event, forward);
    };
  },
  pathsForDroppedFiles(files) {
    return Array.from(files, (file) => webUtils.getPathForFile(file)).filter(
      (path) => path.length > 0,
    );
  },
};

contextBridge.exposeInMainWorld('api', api);
