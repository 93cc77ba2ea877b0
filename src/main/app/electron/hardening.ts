/** Applies the settings from security-options.ts to Electron's app, sessions and web contents. */
import type { App, Session, WebContents } from 'electron';
import {
  SECURITY_RESPONSE_HEADERS,
  WINDOW_OPEN_DECISION,
  isAllowedNavigation,
  isAllowedRequest,
  permissionRequestDecision,
} from './security-options';

/** Offline session: no permission is ever granted and no request leaves the machine. */
export function hardenSession(
  session: Session,
  rendererUrl: string,
  devServerUrl: string | undefined,
): void {
  session.setPermissionRequestHandler((_webContents, _permission, callback) =>
    callback(permissionRequestDecision()),
  );
  session.setPermissionCheckHandler(() => permissionRequestDecision());
  session.setDevicePermissionHandler(() => permissionRequestDecision());
  session.webRequest.onBeforeRequest((details, callback) => {
    callback({ cancel: !isAllowedRequest(details.url, rendererUrl, devServerUrl) });
  });
  session.webRequest.onHeadersReceived((details, callback) => {
    callback({
      responseHeaders: { ...details.responseHeaders, ...headerLists(SECURITY_RESPONSE_HEADERS) },
    });
  });
}

function headerLists(headers: Record<string, string>): Record<string, string[]> {
  return Object.fromEntries(Object.entries(headers).map(([name, value]) => [name, [value]]));
}

/** Navigation, redirects, new windows and <webview> are refused for every web contents. */
export function guardWebContents(contents: WebContents, rendererUrl: () => string): void {
  const blockUnlessOwnPage = (event: { preventDefault(): void }, url: string) => {
    if (!isAllowedNavigation(url, rendererUrl())) event.preventDefault();
  };
  contents.on('will-navigate', blockUnlessOwnPage);
  contents.on('will-redirect', blockUnlessOwnPage);
  contents.on('will-attach-webview', (event) => event.preventDefault());
  contents.setWindowOpenHandler(() => WINDOW_OPEN_DECISION);
}

export function guardAllWebContents(app: App, rendererUrl: () => string): void {
  app.on('web-contents-created', (_event, contents) => guardWebContents(contents, rendererUrl));
}
