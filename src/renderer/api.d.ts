// `window.api`, installed by the preload (src/preload/index.ts) or, in e2e tests, by the harness.
import type { WorkstationApi } from '../shared/ipc/contract';

declare global {
  interface Window {
    readonly api: WorkstationApi;
  }
}

export {};
