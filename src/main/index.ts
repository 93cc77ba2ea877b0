/**
 * Electron bootstrap: window, menu, security settings and the wiring of the IPC handlers. All the
 * work is done by Electron-free modules (src/main/app and below); this file only connects them.
 */
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { app, ipcMain, Menu, session, type BrowserWindow } from 'electron';
import { createWorkstation, type Workstation } from './app/workstation';
import { registerIpcHandlers } from './ipc/register';
import type { SenderPolicy } from './ipc/sender-policy';
import { guardAllWebContents, hardenSession } from './electron/hardening';
import { createElectronIpcTransport } from './electron/ipc-transport';
import { buildApplicationMenu } from './electron/menu';
import { createElectronPlatform } from './electron/platform';
import { devServerUrlFrom } from './electron/security-options';
import { createMainWindow } from './electron/window';

// Every renderer runs sandboxed, whatever a window's own preferences say.
app.enableSandbox();

const devServerUrl = devServerUrlFrom(process.env['ELECTRON_RENDERER_URL'], app.isPackaged);
const rendererUrl = devServerUrl ?? pathToFileURL(join(__dirname, '../renderer/index.html')).href;
const trustedWebContentsIds = new Set<number>();
const senderPolicy: SenderPolicy = { trustedWebContentsIds, rendererUrl };

let mainWindow: BrowserWindow | null = null;
let workstation: Workstation | null = null;

function openMainWindow(): BrowserWindow {
  const window = createMainWindow(join(__dirname, '../preload/index.js'));
  const webContentsId = window.webContents.id;
  trustedWebContentsIds.add(webContentsId);
  window.once('ready-to-show', () => window.show());
  window.on('closed', () => {
    trustedWebContentsIds.delete(webContentsId);
    if (mainWindow === window) mainWindow = null;
  });
  void window.loadURL(rendererUrl);
  return window;
}

function start(): void {
  guardAllWebContents(app, () => rendererUrl);
  hardenSession(session.defaultSession, rendererUrl, devServerUrl);

  const platform = createElectronPlatform({
    appVersion: app.getVersion(),
    window: () => mainWindow,
  });
  workstation = createWorkstation(platform, {
    storeDir: join(app.getPath('userData'), 'screening'),
    userModelsDir: join(app.getPath('userData'), 'models'),
  });
  registerIpcHandlers(
    createElectronIpcTransport(ipcMain, () => senderPolicy),
    workstation.handlers,
  );
  Menu.setApplicationMenu(
    buildApplicationMenu(
      (command) => platform.emit('app:menuCommand', { command }),
      process.platform === 'darwin',
    ),
  );
  mainWindow = openMainWindow();
}

if (!app.requestSingleInstanceLock()) {
  app.quit();
} else {
  app.on('second-instance', () => {
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
