/** The main window, created with the settings of security-options.ts. */
import {
  BrowserWindow as ElectronBrowserWindow,
  type BrowserWindowConstructorOptions,
} from 'electron';
import { SECURE_WEB_PREFERENCES } from './security-options';

type SecureWindowOptions = BrowserWindowConstructorOptions & {
  webPreferences: typeof SECURE_WEB_PREFERENCES & { preload: string };
};

/**
 * Electron's BrowserWindow, typed so that the compiler requires every value of
 * SECURE_WEB_PREFERENCES in the options. The options below are spelled out rather than spread so
 * that scanners such as electronegativity see them at the `new BrowserWindow(...)` call.
 */
const BrowserWindow: new (options: SecureWindowOptions) => ElectronBrowserWindow =
  ElectronBrowserWindow;

export function createMainWindow(preloadPath: string): ElectronBrowserWindow {
  return new BrowserWindow({
    width: 1440,
    height: 960,
    minWidth: 960,
    minHeight: 640,
    show: false,
    backgroundColor: '#111111',
    title: 'COVID-Net CXR Workstation',
    webPreferences: {
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
      disableBlinkFeatures: 'Auxclick',
      safeDialogs: true,
      spellcheck: false,
      preload: preloadPath,
    },
  });
}
