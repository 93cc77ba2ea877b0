/**
 * The few browser shapes that page-side callbacks (run in Chromium by Playwright) touch. Test and
 * bench files are type-checked with the Node config (no DOM lib), so they declare `document` and
 * `window` with these types in module scope only.
 */
import type { WorkstationApi } from '../../src/shared/ipc/contract';

export interface PageImageData {
  width: number;
  height: number;
  data: Uint8ClampedArray;
}

export interface PageElement {
  dataset: Record<string, string | undefined>;
  width: number;
  height: number;
  querySelector(selector: string): PageElement | null;
  getContext(
    kind: '2d',
  ): { getImageData(x: number, y: number, w: number, h: number): PageImageData } | null;
  addEventListener(
    type: string,
    listener: (event: { detail?: unknown }) => void,
    options?: boolean | { once?: boolean },
  ): void;
}

export interface PageDocument {
  querySelector(selector: string): PageElement | null;
}

export interface PageWindow {
  api: WorkstationApi;
}
