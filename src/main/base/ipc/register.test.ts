import { describe, expect, it } from 'vitest';
import { CodedError } from '../../../shared/errors';
import { IPC_CHANNELS, ipcContract, type IpcChannel } from '../../../shared/ipc/contract';
import { createDirectTransport } from './direct-transport';
import { registerIpcHandlers, type IpcHandlers } from './register';
import { isAppPageUrl, isTrustedSender } from './sender-policy';

/** Handlers that record which channel ran; the ones a test cares about are overridden. */
function recordingHandlers(calls: string[], overrides: Partial<IpcHandlers> = {}): IpcHandlers {
  const fail = (channel: IpcChannel) => async () => {
    calls.push(channel);
    throw new Error(`unexpected call to ${channel}`);
  };
  const handlers = Object.fromEntries(
    IPC_CHANNELS.map((c) => [c, fail(c)]),
  ) as unknown as IpcHandlers;
  return { ...handlers, ...overrides };
}

describe('registerIpcHandlers', () => {
  it('registers exactly the contract channels and removes them again', () => {
    const registered: string[] = [];
    const removed: string[] = [];
    const unregister = registerIpcHandlers(
      { handle: (c) => registered.push(c), removeHandler: (c) => removed.push(c) },
      recordingHandlers([]),
    );
    expect(registered.sort()).toEqual(Object.keys(ipcContract).sort());
    unregister();
    expect(removed.sort()).toEqual(registered);
  });

  it('refuses a handler map with a channel missing (only reachable through a cast)', () => {
    const transport = createDirectTransport();
    const handlers = recordingHandlers([]) as Partial<IpcHandlers>;
    delete handlers['model:predict'];
    expect(() => registerIpcHandlers(transport, handlers as IpcHandlers)).toThrow(/model:predict/);
  });

  it('passes a valid request to its handler and wraps the reply', async () => {
    const transport = createDirectTransport();
    const seen: unknown[] = [];
    registerIpcHandlers(
      transport,
      recordingHandlers([], {
        'screening:cancel': async (request, context) => {
          seen.push(request, context.senderId);
          return { cancelled: true };
        },
      }),
    );
    const result = await transport.invoke('screening:cancel', { jobId: 'job_1' }, { senderId: 7 });
    expect(result).toEqual({ ok: true, value: { cancelled: true } });
    expect(seen).toEqual([{ jobId: 'job_1' }, 7]);
  });

  it.each([
    ['image:load', { imageId: '../../etc/passwd', frame: 0 }, /imageId/],
    ['image:load', { imageId: 'abc', frame: -1 }, /frame/],
    ['image:load', { imageId: 'abc', frame: 0, path: '/etc/passwd' }, /path|Unrecognized/i],
    ['library:open', { kind: 'everything' }, /kind/],
    ['library:addDropped', { paths: [] }, /paths/],
    ['app:getInfo', null, /expected object/i],
    ['model:predict', { imageId: 'a', frame: 0 }, /heatmap/],
    ['screening:start', { folderIds: ['/home/user'] }, /folderIds/],
  ] as const)(
    'rejects an invalid %s request before the handler runs',
    async (channel, request, why) => {
      const transport = createDirectTransport();
      const calls: string[] = [];
      registerIpcHandlers(transport, recordingHandlers(calls));
      const result = await transport.invoke(channel, request);
      expect(result.ok).toBe(false);
      if (result.ok) return;
      expect(result.error.code).toBe('INVALID_REQUEST');
      expect(result.error.message).toMatch(why);
      expect(calls).toEqual([]);
    },
  );

  it('rejects an unknown channel name', async () => {
    const transport = createDirectTransport();
    registerIpcHandlers(transport, recordingHandlers([]));
    const result = await transport.invoke('shell:openExternal', {});
    expect(result).toMatchObject({ ok: false, error: { code: 'INVALID_REQUEST' } });
  });

  it('turns handler errors into coded errors without stack traces', async () => {
    const transport = createDirectTransport();
    registerIpcHandlers(
      transport,
      recordingHandlers([], {
        'image:load': async () => {
          throw new CodedError('FILE_NOT_FOUND', 'The file is gone');
        },
        'library:list': async () => {
          throw new TypeError('cannot read properties of undefined');
        },
      }),
    );
    const coded = await transport.invoke('image:load', { imageId: 'abc', frame: 0 });
    expect(coded).toEqual({
      ok: false,
      error: { code: 'FILE_NOT_FOUND', message: 'The file is gone' },
    });
    const internal = await transport.invoke('library:list', {});
    expect(internal).toEqual({
      ok: false,
      error: { code: 'INTERNAL_ERROR', message: 'cannot read properties of undefined' },
    });
    expect(JSON.stringify(internal)).not.toMatch(/\bat .*\(|stack/);
  });
});

describe('sender policy', () => {
  const fileUrl = 'file:///opt/app/out/renderer/index.html';
  const policy = { trustedWebContentsIds: new Set([3]), rendererUrl: fileUrl };

  it('accepts the own window showing the own built page', () => {
    expect(
      isTrustedSender(
        { webContentsId: 3, frameUrl: `${fileUrl}#/viewer`, isMainFrame: true },
        policy,
      ),
    ).toBe(true);
  });

  it.each([
    ['another webContents', { webContentsId: 4, frameUrl: fileUrl, isMainFrame: true }],
    ['a sub-frame', { webContentsId: 3, frameUrl: fileUrl, isMainFrame: false }],
    [
      'another local file',
      { webContentsId: 3, frameUrl: 'file:///tmp/evil.html', isMainFrame: true },
    ],
    ['a remote page', { webContentsId: 3, frameUrl: 'https://example.com/', isMainFrame: true }],
    ['no url', { webContentsId: 3, frameUrl: undefined, isMainFrame: true }],
  ])('denies %s', (_why, sender) => {
    expect(isTrustedSender(sender, policy)).toBe(false);
  });

  it('matches the dev server by origin', () => {
    expect(isAppPageUrl('http://localhost:5173/src/x', 'http://localhost:5173/')).toBe(true);
    expect(isAppPageUrl('http://localhost:5174/', 'http://localhost:5173/')).toBe(false);
    expect(isAppPageUrl('http://localhost:5173/', 'garbage')).toBe(false);
  });
});
