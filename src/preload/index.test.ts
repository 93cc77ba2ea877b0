import { beforeEach, describe, expect, it, vi } from 'vitest';
import { IPC_CHANNELS, IPC_EVENT_CHANNELS } from '../shared/ipc/contract';

// A stand-in for the sandboxed preload's `electron` module, recording what the preload does.
const electron = vi.hoisted(() => ({
  exposed: new Map<string, unknown>(),
  listeners: new Map<string, ((...args: unknown[]) => void)[]>(),
  invoked: [] as [string, unknown][],
}));

vi.mock('electron', () => ({
  contextBridge: {
    exposeInMainWorld: (key: string, value: unknown) => electron.exposed.set(key, value),
  },
  ipcRenderer: {
    invoke: async (channel: string, request: unknown) => {
      electron.invoked.push([channel, request]);
      return { ok: true, value: { echoed: channel } };
    },
    on: (channel: string, listener: (...args: unknown[]) => void) => {
      electron.listeners.set(channel, [...(electron.listeners.get(channel) ?? []), listener]);
    },
    removeListener: (channel: string, listener: (...args: unknown[]) => void) => {
      electron.listeners.set(
        channel,
        (electron.listeners.get(channel) ?? []).filter((l) => l !== listener),
      );
    },
  },
  webUtils: { getPathForFile: (file: { name: string }) => `/picked/${file.name}` },
}));

type ExposedApi = {
  invoke(channel: string, request: unknown): Promise<unknown>;
  on(event: string, listener: (payload: unknown) => void): () => void;
  pathsForDroppedFiles(files: { name: string }[]): string[];
};

async function loadPreload(): Promise<ExposedApi> {
  await import('./index');
  return electron.exposed.get('api') as ExposedApi;
}

describe('preload', () => {
  beforeEach(() => {
    electron.invoked.length = 0;
  });

  it('exposes exactly one global, `api`, with exactly three functions', async () => {
    const api = await loadPreload();
    expect([...electron.exposed.keys()]).toEqual(['api']);
    expect(Object.keys(api).sort()).toEqual(['invoke', 'on', 'pathsForDroppedFiles']);
    for (const value of Object.values(api)) expect(typeof value).toBe('function');
  });

  it('forwards every contract channel to ipcRenderer.invoke', async () => {
    const api = await loadPreload();
    for (const channel of IPC_CHANNELS) {
      await expect(api.invoke(channel, {})).resolves.toEqual({
        ok: true,
        value: { echoed: channel },
      });
    }
    expect(electron.invoked.map(([c]) => c)).toEqual(IPC_CHANNELS);
  });

  it.each(['shell:openExternal', 'ELECTRON_BROWSER_REQUIRE', '', 42])(
    'rejects channel %j without touching ipcRenderer',
    async (channel) => {
      const api = await loadPreload();
      await expect(api.invoke(channel as string, {})).resolves.toMatchObject({
        ok: false,
        error: { code: 'INVALID_REQUEST' },
      });
      expect(electron.invoked).toEqual([]);
    },
  );

  it('subscribes to contract events only, passes only the payload, and unsubscribes', async () => {
    const api = await loadPreload();
    for (const event of IPC_EVENT_CHANNELS) {
      const payloads: unknown[][] = [];
      const off = api.on(event, (...args: unknown[]) => payloads.push(args));
      const [registered] = electron.listeners.get(event) ?? [];
      registered?.({ sender: 'the ipcRenderer' }, { n: 1 });
      expect(payloads).toEqual([[{ n: 1 }]]);
      off();
      expect(electron.listeners.get(event)).toEqual([]);
    }
    expect(() => api.on('ipc:anything', () => undefined)).toThrow(/Unknown event/);
  });

  it('resolves dropped files through webUtils', async () => {
    const api = await loadPreload();
    expect(api.pathsForDroppedFiles([{ name: 'a.dcm' }, { name: 'b.png' }])).toEqual([
      '/picked/a.dcm',
      '/picked/b.png',
    ]);
  });
});
