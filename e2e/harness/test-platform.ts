/** A Platform with scripted dialog answers, for the e2e harness and integration tests. */
import type { Platform } from '../../src/main/app/platform';
import type { IpcEvents } from '../../src/shared/ipc/contract';

export interface EmittedEvent<E extends keyof IpcEvents = keyof IpcEvents> {
  event: E;
  payload: IpcEvents[E];
}

export interface TestPlatform extends Platform {
  /** Answer of the next open dialog (files, or the first path for a folder); null = cancel. */
  setNextPick(paths: string[] | null): void;
  /** Answer of the next save dialog; null = cancel. */
  setNextSavePath(path: string | null): void;
  /** Every event emitted so far, in order. */
  readonly emitted: EmittedEvent[];
  /** Called for every emitted event (the harness forwards them to the page). */
  onEmit(listener: (event: EmittedEvent) => void): void;
  /** Files the OS would hand over (argv, a second launch, macOS open-file), taken once. */
  queueLaunchPaths(paths: string[]): void;
}

export function createTestPlatform(
  options: { appVersion?: string; launchPaths?: string[] } = {},
): TestPlatform {
  let launchPaths = [...(options.launchPaths ?? [])];
  let nextPick: string[] | null = null;
  let nextSavePath: string | null = null;
  const emitted: EmittedEvent[] = [];
  const listeners: ((event: EmittedEvent) => void)[] = [];
  const takePick = () => {
    const pick = nextPick;
    nextPick = null; // one answer per dialog, as a user would give
    return pick;
  };
  return {
    appVersion: options.appVersion ?? '0.0.0-test',
    platform: process.platform,
    emitted,
    setNextPick(paths) {
      nextPick = paths;
    },
    setNextSavePath(path) {
      nextSavePath = path;
    },
    onEmit(listener) {
      listeners.push(listener);
    },
    queueLaunchPaths(paths) {
      launchPaths.push(...paths);
    },
    takeLaunchPaths() {
      const paths = launchPaths;
      launchPaths = [];
      return paths;
    },
    async pickFiles() {
      return takePick();
    },
    async pickFolder() {
      return takePick()?.[0] ?? null;
    },
    async pickSavePath() {
      const path = nextSavePath;
      nextSavePath = null;
      return path;
    },
    emit(event, payload) {
      const record = { event, payload } as EmittedEvent;
      emitted.push(record);
      for (const listener of listeners) listener(record);
    },
  };
}
