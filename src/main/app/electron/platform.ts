/** The Platform of the real app: Electron dialogs and webContents.send to the main window. */
import { dialog, type BrowserWindow } from 'electron';
import type { Platform } from '../platform';
import type { LaunchQueue } from './launch-args';

export function createElectronPlatform(options: {
  appVersion: string;
  window: () => BrowserWindow | null;
  /** Files the OS asked the app to open, queued by the bootstrap. */
  launchQueue: LaunchQueue;
}): Platform {
  const parentWindow = () => options.window() ?? undefined;
  const showOpen = async (
    properties: Electron.OpenDialogOptions['properties'],
    filters?: Electron.FileFilter[],
  ) => {
    const parent = parentWindow();
    const dialogOptions: Electron.OpenDialogOptions = { properties, filters };
    const result = parent
      ? await dialog.showOpenDialog(parent, dialogOptions)
      : await dialog.showOpenDialog(dialogOptions);
    return result.canceled ? null : result.filePaths;
  };
  return {
    appVersion: options.appVersion,
    platform: process.platform,
    async pickFiles() {
      return showOpen(
        ['openFile', 'multiSelections'],
        [
          {
            name: 'Images (DICOM, DICOMDIR, PNG, JPEG)',
            extensions: ['dcm', 'dicom', 'png', 'jpg', 'jpeg', '*'],
          },
        ],
      );
    },
    async pickFolder() {
      const paths = await showOpen(['openDirectory', 'createDirectory']);
      return paths?.[0] ?? null;
    },
    async pickSavePath(defaultName, filters) {
      const parent = parentWindow();
      const dialogOptions: Electron.SaveDialogOptions = { defaultPath: defaultName, filters };
      const result = parent
        ? await dialog.showSaveDialog(parent, dialogOptions)
        : await dialog.showSaveDialog(dialogOptions);
      return result.canceled || !result.filePath ? null : result.filePath;
    },
    takeLaunchPaths: () => options.launchQueue.take(),
    emit(event, payload) {
      const target = options.window();
      if (target && !target.isDestroyed()) target.webContents.send(event, payload);
    },
  };
}
