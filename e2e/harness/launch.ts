/**
 * Launches the built renderer in Chromium with `window.api` backed by the real main-side
 * handlers (createWorkstation + registerIpcHandlers, the same validation path as Electron).
 *
 *   const app = await launchWorkstation();
 *   app.harness.setNextPick(['/path/to/study.dcm']);
 *   await app.page.evaluate(() => window.api.invoke('library:open', { kind: 'files' }));
 *   await app.close();
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { createWorkstation, type Workstation } from '../../src/main/app/workstation';
import { createDirectTransport } from '../../src/main/base/ipc/direct-transport';
import { registerIpcHandlers } from '../../src/main/base/ipc/register';
import {
  DISPATCH_FUNCTION,
  INVOKE_BINDING,
  SET_DROP_PATHS_FUNCTION,
  pageApiScript,
} from './page-api';
import { serveRenderer } from './static-server';
import { createTestPlatform, type EmittedEvent } from './test-platform';
import { decodeWire, encodeWire } from './wire-codec';

const repoRoot = resolve(__dirname, '../..');

export const CHROMIUM_PATH = process.env['CHROMIUM_PATH'] ?? '/usr/bin/chromium';
export const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

export interface LaunchOptions {
  /** Screening store; default a temp folder removed on close. */
  storeDir?: string;
  /** Model folder; default the bundled model. */
  modelDir?: string;
  /** Built renderer folder; default out/renderer (built first if missing). */
  rendererDir?: string;
  headless?: boolean;
  /** Files the app is launched with (what argv / macOS open-file would hand over). */
  launchPaths?: string[];
}

export interface Harness {
  /** Answer of the next open dialog (library:open files/folder, screening:pickFolder); null = cancel. */
  setNextPick(paths: string[] | null): void;
  /** Answer of the next save dialog (screening:export); null = cancel. */
  setNextSavePath(path: string | null): void;
  /** What `window.api.pathsForDroppedFiles` returns for dropped files, by file name. */
  setDroppedFilePaths(pathsByName: Record<string, string>): Promise<void>;
  /** Events main pushed so far (screening progress, menu commands). */
  readonly emitted: EmittedEvent[];
  /** Pushes an event to the page as main would (e.g. a menu command). */
  emit: ReturnType<typeof createTestPlatform>['emit'];
  /** A file handed over while the app runs (second launch, open-file), as the bootstrap does. */
  openLaunchPaths(paths: string[]): void;
  workstation: Workstation;
}

export interface LaunchedWorkstation {
  page: Page;
  browser: Browser;
  context: BrowserContext;
  /** Origin of the local renderer server. */
  origin: string;
  harness: Harness;
  close(): Promise<void>;
}

/** Builds the renderer when out/ has none (electron-vite build). */
export function ensureBuiltRenderer(rendererDir = join(repoRoot, 'out', 'renderer')): string {
  if (!existsSync(join(rendererDir, 'index.html'))) {
    execFileSync(
      process.execPath,
      [join(repoRoot, 'node_modules/electron-vite/bin/electron-vite.js'), 'build'],
      {
        cwd: repoRoot,
        stdio: 'inherit',
      },
    );
  }
  return rendererDir;
}

export async function launchWorkstation(options: LaunchOptions = {}): Promise<LaunchedWorkstation> {
  const rendererDir = options.rendererDir ?? ensureBuiltRenderer();
  const ownStoreDir =
    options.storeDir === undefined ? mkdtempSync(join(tmpdir(), 'workstation-e2e-')) : null;
  // The store in a folder of its own: the user-data siblings made beside it (reader readings,
  // site profiles, the DICOM inbox) then stay in this run's temp folder, not in /tmp itself.
  const storeDir = options.storeDir ?? join(ownStoreDir as string, 'screening');

  const platform = createTestPlatform({ launchPaths: options.launchPaths });
  const workstation = createWorkstation(platform, { storeDir, modelDir: options.modelDir });
  const transport = createDirectTransport();
  registerIpcHandlers(transport, workstation.handlers);

  const server = await serveRenderer(rendererDir);
  const browser = await chromium.launch({
    executablePath: CHROMIUM_PATH,
    args: CHROMIUM_ARGS,
    headless: options.headless ?? true,
  });
  const context = await browser.newContext({ serviceWorkers: 'block' });
  // Offline, like the app: only the local renderer server answers.
  await context.route('**/*', (route) =>
    new URL(route.request().url()).origin === server.origin
      ? route.continue()
      : route.abort('blockedbyclient'),
  );
  await context.exposeBinding(
    INVOKE_BINDING,
    async (source, channel: unknown, request: unknown) => {
      // Same rule as the Electron transport: only the app's own top frame may invoke.
      const frameUrl = source.frame.url();
      const isOwnTopFrame =
        source.frame === source.page.mainFrame() && frameUrl.startsWith(`${server.origin}/`);
      const result = isOwnTopFrame
        ? await transport.invoke(String(channel), decodeWire(request), { senderId: 'harness' })
        : {
            ok: false,
            error: {
              code: 'ACCESS_DENIED',
              message: 'Requests are only accepted from the workstation page.',
            },
          };
      return encodeWire(result);
    },
  );
  await context.addInitScript({ content: pageApiScript() });

  platform.onEmit(({ event, payload }) => {
    const call = `globalThis[${JSON.stringify(DISPATCH_FUNCTION)}](${JSON.stringify(event)}, ${JSON.stringify(encodeWire(payload))})`;
    for (const target of context.pages()) {
      // Page closed or navigating: the event is dropped, as in Electron.
      target.evaluate(call).catch(() => undefined);
    }
  });

  const page = await context.newPage();
  await page.goto(`${server.origin}/index.html`);

  let closed = false;
  return {
    page,
    browser,
    context,
    origin: server.origin,
    harness: {
      setNextPick: (paths) => platform.setNextPick(paths),
      setNextSavePath: (path) => platform.setNextSavePath(path),
      async setDroppedFilePaths(pathsByName) {
        await page.evaluate(
          `globalThis[${JSON.stringify(SET_DROP_PATHS_FUNCTION)}](${JSON.stringify(pathsByName)})`,
        );
      },
      emitted: platform.emitted,
      emit: (event, payload) => platform.emit(event, payload),
      openLaunchPaths(paths) {
        platform.queueLaunchPaths(paths);
        platform.emit('app:menuCommand', { command: 'open-launch-files' });
      },
      workstation,
    },
    async close() {
      if (closed) return;
      closed = true;
      await browser.close().catch(() => undefined);
      await server.close();
      await workstation.dispose();
      if (ownStoreDir) rmSync(ownStoreDir, { recursive: true, force: true });
    },
  };
}
