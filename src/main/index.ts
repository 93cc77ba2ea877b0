/**
 * Electron bootstrap: window, menu, security settings and the wiring of the IPC handlers. All the
 * work is done by Electron-free modules (src/main/app and below); this file only connects them.
 */
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { app, ipcMain, Menu, session, type BrowserWindow } from 'electron';
import type { Platform } from './app/platform';
import { createWorkstation, type Workstation } from './app/workstation';
import { registerIpcHandlers } from './base/ipc/register';
import type { SenderPolicy } from './base/ipc/sender-policy';
import { guardAllWebContents, hardenSession } from './app/electron/hardening';
import { createElectronIpcTransport } from './app/electron/ipc-transport';
import { LaunchQueue, launchPathsFrom, launchPathsFromArgv } from './app/electron/launch-args';
import { buildApplicationMenu } from './app/electron/menu';
import { createElectronPlatform } from './app/electron/platform';
import { devServerUrlFrom } from './app/electron/security-options';
import { createMainWindow } from './app/electron/window';

// Every renderer runs sandboxed, whatever a window's own preferences say.
app.enableSandbox();

const devServerUrl = devServerUrlFrom(process.env['ELECTRON_RENDERER_URL'], app.isPackaged);
const rendererUrl = devServerUrl ?? pathToFileURL(join(__dirname, '../renderer/index.html')).href;
const trustedWebContentsIds = new Set<number>();
const senderPolicy: SenderPolicy = { trustedWebContentsIds, rendererUrl };

let mainWindow: BrowserWindow | null = null;
let workstation: Workstation | null = null;
let rendererLoaded = false;
let platform: Platform | null = null;

// Files the OS asks us to open: queued here, added by the renderer's library:openLaunchFiles
// (which it calls at start, and again when told that more arrived).
const launchQueue = new LaunchQueue();
function queueLaunchPaths(paths: string[]): void {
  if (launchQueue.push(paths) > 0 && rendererLoaded) {
    platform?.emit('app:menuCommand', { command: 'open-launch-files' });
  }
}
launchQueue.push(
  launchPathsFromArgv(process.argv, { cwd: process.cwd(), defaultApp: process.defaultApp === true })
    .paths,
);
// macOS: a double-clicked file arrives as an event, possibly before 'ready'.
app.on('open-file', (event, path) => {
  event.preventDefault();
  queueLaunchPaths(launchPathsFrom([path], process.cwd()).paths);
});

function openMainWindow(): BrowserWindow {
  const window = createMainWindow(join(__dirname, '../preload/index.js'));
  const webContentsId = window.webContents.id;
  trustedWebContentsIds.add(webContentsId);
  window.once('ready-to-show', () => window.show());
  window.webContents.on('did-finish-load', () => (rendererLoaded = true));
  window.on('closed', () => {
    rendererLoaded = false;
    trustedWebContentsIds.delete(webContentsId);
    if (mainWindow === window) mainWindow = null;
  });
  void window.loadURL(rendererUrl);
  return window;
}

function start(): void {
  guardAllWebContents(app, () => rendererUrl);
  hardenSession(session.defaultSession, rendererUrl, devServerUrl);

  const electronPlatform = createElectronPlatform({
    appVersion: app.getVersion(),
    window: () => mainWindow,
    launchQueue,
  });
  platform = electronPlatform;
  workstation = createWorkstation(electronPlatform, {
    storeDir: join(app.getPath('userData'), 'screening'),
    userModelsDir: join(app.getPath('userData'), 'models'),
  });
  registerIpcHandlers(
    createElectronIpcTransport(ipcMain, () => senderPolicy),
    workstation.handlers,
  );
  Menu.setApplicationMenu(
    buildApplicationMenu(
      (command) => electronPlatform.emit('app:menuCommand', { command }),
      process.platform === 'darwin',
    ),
  );
  mainWindow = openMainWindow();
}

if (!app.requestSingleInstanceLock()) {
  app.quit();
} else {
  app.on('second-instance', (_event, argv, workingDirectory) => {
    // A second launch (a file double-clicked while the app runs) hands its files to this one.
    queueLaunchPaths(
      launchPathsFromArgv(argv, { cwd: workingDirectory, defaultApp: process.defaultApp === true })
        .paths,
    );
    if (!mainWindow) return;
    if (mainWindow.isMinimized()) mainWindow.restore();
    mainWindow.focus();
  });
  app.on('activate', () => {
    if (app.isReady() && !mainWindow) mainWindow = openMainWindow();
  });
  app.on('window-all-closed', () => {
    if (process.platform !== 'darwin') app.quit();
  });
  app.on('will-quit', () => {
    void workstation?.dispose();
    workstation = null;
  });
  void app.whenReady().then(start);
}
