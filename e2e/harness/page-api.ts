/**
 * The init script that installs `window.api` (WorkstationApi) in the page, as the preload does in
 * Electron, but backed by a Playwright binding into the real main-side handlers.
 */
import { IPC_EVENT_NAMES } from '../../src/shared/ipc/channels';
import { PAGE_WIRE_CODEC } from './wire-codec';

export const INVOKE_BINDING = '__workstationInvoke';
export const DISPATCH_FUNCTION = '__workstationDispatch';
export const SET_DROP_PATHS_FUNCTION = '__workstationSetDropPaths';

export function pageApiScript(): string {
  return `(() => {
  ${PAGE_WIRE_CODEC}
  const EVENTS = ${JSON.stringify(IPC_EVENT_NAMES)};
  const invokeBinding = window[${JSON.stringify(INVOKE_BINDING)}];
  const listeners = new Map(EVENTS.map((event) => [event, new Set()]));
  let dropPaths = new Map();
  const api = Object.freeze({
    invoke(channel, request) {
      return invokeBinding(String(channel), encodeWire(request)).then(decodeWire);
    },
    on(event, listener) {
      const set = listeners.get(event);
      if (!set) throw new Error('Unknown event: ' + String(event).slice(0, 64));
      if (typeof listener !== 'function') throw new TypeError('listener must be a function');
      const wrapped = (payload) => listener(payload);
      set.add(wrapped);
      return () => { set.delete(wrapped); };
    },
    // Browsers give dropped File objects no path: the harness maps them by file name.
    pathsForDroppedFiles(files) {
      return Array.from(files, (file) => dropPaths.get(file.name)).filter((path) => typeof path === 'string');
    },
  });
  Object.defineProperty(window, 'api', { value: api, enumerable: true });
  Object.defineProperty(window, ${JSON.stringify(DISPATCH_FUNCTION)}, {
    value: (event, payload) => {
      const set = listeners.get(event);
      if (!set) return;
      const decoded = decodeWire(payload);
      for (const listener of set) {
        try { listener(decoded); } catch (error) { console.error(error); }
      }
    },
  });
  Object.defineProperty(window, ${JSON.stringify(SET_DROP_PATHS_FUNCTION)}, {
    value: (pathsByName) => { dropPaths = new Map(Object.entries(pathsByName)); },
  });
})();`;
}
