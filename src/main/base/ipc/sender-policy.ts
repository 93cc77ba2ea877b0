/**
 * Which renderer may invoke the IPC handlers: only the app's own window, showing the app's own
 * page (the built renderer file, or the dev server in development). Electron-free so it is tested
 * without Electron; the bootstrap feeds it the invoke event's sender.
 */

export interface IpcSender {
  /** webContents id of the sender. */
  webContentsId: number;
  /** URL of the frame that sent the request (event.senderFrame.url). */
  frameUrl: string | undefined;
  /** Whether the sending frame is the top frame of its webContents. */
  isMainFrame: boolean;
}

export interface SenderPolicy {
  /** webContents ids of the app's own windows. */
  trustedWebContentsIds: ReadonlySet<number>;
  /** URL the app loads: file:///.../out/renderer/index.html or the dev server URL. */
  rendererUrl: string;
}

function parseUrl(url: string | undefined): URL | null {
  if (!url) return null;
  try {
    return new URL(url);
  } catch {
    return null;
  }
}

/**
 * True when `url` is the app's own page: for file: the very same file (query and hash ignored);
 * for http(s) (dev server) the same origin.
 */
export function isAppPageUrl(url: string | undefined, rendererUrl: string): boolean {
  const candidate = parseUrl(url);
  const own = parseUrl(rendererUrl);
  if (!candidate || !own) return false;
  if (own.protocol === 'file:') {
    return (
      candidate.protocol === 'file:' &&
      candidate.host === own.host &&
      candidate.pathname === own.pathname
    );
  }
  if (own.protocol === 'http:' || own.protocol === 'https:') {
    return candidate.origin === own.origin;
  }
  return false;
}

export function isTrustedSender(sender: IpcSender, policy: SenderPolicy): boolean {
  return (
    sender.isMainFrame &&
    policy.trustedWebContentsIds.has(sender.webContentsId) &&
    isAppPageUrl(sender.frameUrl, policy.rendererUrl)
  );
}
