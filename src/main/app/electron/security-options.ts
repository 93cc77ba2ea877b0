/**
 * Every security-relevant setting the bootstrap hands to Electron, as plain values and functions.
 * Kept free of the `electron` import so the unit tests check exactly what the app uses.
 */
import { isAppPageUrl } from '../../base/ipc/sender-policy';

/** BrowserWindow webPreferences (the preload path is added by the bootstrap). */
export const SECURE_WEB_PREFERENCES = {
  contextIsolation: true,
  sandbox: true,
  nodeIntegration: false,
  nodeIntegrationInWorker: false,
  nodeIntegrationInSubFrames: false,
  webSecurity: true,
  allowRunningInsecureContent: false,
  webviewTag: false,
  navigateOnDragDrop: false,
  experimentalFeatures: false,
  // Middle-click would otherwise open links in a new window (also refused by the open handler).
  disableBlinkFeatures: 'Auxclick',
  safeDialogs: true,
  spellcheck: false,
} as const;

/** The same policy as the meta tag in src/renderer/index.html; also sent as a response header. */
export const CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data: blob:",
  "connect-src 'none'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

/** Extra headers on every response the app session serves. */
export const SECURITY_RESPONSE_HEADERS: Record<string, string> = {
  'Content-Security-Policy': CONTENT_SECURITY_POLICY,
  'X-Content-Type-Options': 'nosniff',
};

/** Navigation is only allowed to the app's own page (a reload or a hash change). */
export function isAllowedNavigation(url: string, rendererUrl: string): boolean {
  return isAppPageUrl(url, rendererUrl);
}

/**
 * Network filter for the app session: the built renderer's own folder, devtools, and (development
 * only) the dev server. Everything else is cancelled: the workstation is offline by design, and
 * the page cannot load other local files either.
 */
export function isAllowedRequest(url: string, rendererUrl: string, devServerUrl?: string): boolean {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return false;
  }
  if (parsed.protocol === 'devtools:') return true;
  // Pixel buffers handed to the renderer as object URLs / inline thumbnails.
  if (parsed.protocol === 'blob:' || parsed.protocol === 'data:') return true;
  if (parsed.protocol === 'file:') {
    const own = new URL(rendererUrl);
    if (own.protocol !== 'file:') return false;
    const rendererFolder = own.pathname.slice(0, own.pathname.lastIndexOf('/') + 1);
    // URL parsing has already resolved any '..' segments.
    return parsed.host === own.host && parsed.pathname.startsWith(rendererFolder);
  }
  if (devServerUrl) {
    const dev = new URL(devServerUrl);
    if (parsed.origin === dev.origin) return true;
    // Vite's hot-reload socket is on the same host and port.
    if ((parsed.protocol === 'ws:' || parsed.protocol === 'wss:') && parsed.host === dev.host)
      return true;
  }
  return false;
}

/** Permission requests (camera, notifications, ...) and checks: the app needs none. */
export function permissionRequestDecision(): false {
  return false;
}

/** Window.open and target=_blank: never. */
export const WINDOW_OPEN_DECISION = { action: 'deny' } as const;

/** Dev server URL only outside packaged builds and only if it is a loopback http URL. */
export function devServerUrlFrom(
  value: string | undefined,
  isPackaged: boolean,
): string | undefined {
  if (isPackaged || !value) return undefined;
  try {
    const url = new URL(value);
    const loopback =
      url.hostname === 'localhost' || url.hostname === '127.0.0.1' || url.hostname === '[::1]';
    return url.protocol === 'http:' && loopback ? url.origin + '/' : undefined;
  } catch {
    return undefined;
  }
}
