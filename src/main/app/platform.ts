/**
 * What the workstation needs from its host: dialogs, pushing events to the renderer, and a few
 * facts. Electron implements it in src/main/app/electron/platform.ts; tests and the e2e harness
 * implement it with scripted answers.
 */
import type { IpcEvents } from '../../shared/ipc/contract';

export interface FileFilter {
  name: string;
  extensions: string[];
}

export interface Platform {
  /** Open dialog for files (DICOM, DICOMDIR, PNG, JPEG); null or [] when cancelled. */
  pickFiles(): Promise<string[] | null>;
  /** Open dialog for one folder; null when cancelled. */
  pickFolder(): Promise<string | null>;
  /** Save dialog; null when cancelled. */
  pickSavePath(defaultName: string, filters: FileFilter[]): Promise<string | null>;
  /** Pushes an event to the renderer. */
  emit<E extends keyof IpcEvents>(event: E, payload: IpcEvents[E]): void;
  appVersion: string;
  /** process.platform of the host (shown in About). */
  platform: string;
  /**
   * Takes the files the OS asked the app to open (argv, a second launch, macOS open-file) and
   * not yet handed to the renderer: absolute paths that existed when they arrived. Hosts
   * without such requests leave it out.
   */
  takeLaunchPaths?(): string[];
}
