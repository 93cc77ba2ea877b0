/**
 * The packaged main entry (app.asar's `main`), started by plain Node with a RECORDING STAND-IN for
 * the `electron` module (scripts/packaging/recording-electron-stand-in.cjs). This is no
 * substitute for Electron: nothing renders, nothing is sandboxed, the real-Electron launch test
 * (e2e/electron-app.e2e.test.ts) still needs a binary. It catches what only shows up after
 * packaging: paths that do not exist inside app.asar, a resolver that misses process.resourcesPath,
 * a worker or native module that cannot load from the packaged tree, wiring left out of the
 * bundle, and any network access at start.
 *
 * app.asar is extracted (with its unpacked files) into a folder named app.asar beside copies of
 * models/ and samples/, which is how Electron presents it to the app's code.
 */
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { extractAll, listPackage } from '@electron/asar';
import { beforeAll, describe, expect, inject, it } from 'vitest';
import { IPC_CHANNEL_NAMES } from '../../src/shared/ipc/channels';
import { SECURE_WEB_PREFERENCES } from '../../src/main/app/electron/security-options';
import { defaultModelDir, loadModelManifest } from '../../src/main/platform/inference';
import { REPO_ROOT } from './electron-builder-run';

const layout = inject('packagedApp');
const installed = join(layout.workDir, 'installed');
const resourcesPath = join(installed, 'resources');
const appRoot = join(resourcesPath, 'app.asar');
const asarEntries = new Set(
  listPackage(join(layout.resourcesDir, 'app.asar'), { isPack: false }).map((p) => p.slice(1)),
);
const NETWORK_TRAP = join(
  REPO_ROOT,
  'src/main/features/screening/testing/network-trap.test-preload.cjs',
);
const SAMPLE = 'nih_cxr_dx_mono2_8bit_jpeg_lossless_sv1.dcm';

interface StartRecord {
  mainEntry: string;
  callsBeforeReady: string[];
  calls: { what: string; detail?: string }[];
  windows: {
    options: { show?: boolean; webPreferences: Record<string, unknown> & { preload: string } };
    loadedUrls: string[];
    webContents: {
      listeners: string[];
      hasWindowOpenHandler: boolean;
      windowOpenDecision: unknown;
    };
  }[];
  ipcChannels: string[];
  session: string[];
  menus: number;
  appListeners: string[];
  replies: Record<
    string,
    { ok: boolean; value?: unknown; error?: { code: string; message: string } }
  >;
}
interface TrapEntry {
  threadId: number;
  installed?: boolean;
  attempt?: string;
  local?: string;
}

/** Runs the packaged main once under the network trap; returns its record and the trap log. */
function startPackagedMain(name: string, samples: string[]) {
  const scratch = join(layout.workDir, name);
  mkdirSync(join(scratch, 'user-data'), { recursive: true });
  const job = join(scratch, 'job.json');
  const out = join(scratch, 'record.json');
  const trapLog = join(scratch, 'network-trap.jsonl');
  writeFileSync(
    job,
    JSON.stringify({ appRoot, resourcesPath, userData: join(scratch, 'user-data'), samples, out }),
  );
  execFileSync(process.execPath, [join(__dirname, 'run-packaged-main.cjs'), job], {
    cwd: scratch, // outside the repo: nothing may fall back to the repo's resources/
    env: {
      PATH: process.env['PATH'] ?? '',
      HOME: scratch, // onnxruntime would queue telemetry under $HOME/.cache
      NODE_OPTIONS: `--require ${NETWORK_TRAP}`,
      COVIDNET_NETWORK_TRAP_LOG: trapLog,
    },
    stdio: 'pipe',
    timeout: 90_000,
  });
  const trap = existsSync(trapLog)
    ? readFileSync(trapLog, 'utf8')
        .split('\n')
        .filter(Boolean)
        .map((line) => JSON.parse(line) as TrapEntry)
    : [];
  return {
    record: JSON.parse(readFileSync(out, 'utf8')) as StartRecord,
    trap,
    userData: join(scratch, 'user-data'),
    home: scratch,
  };
}

/** Telemetry events onnxruntime queued for upload under `home` (0 when it made no queue). */
function queuedTelemetryEvents(home: string): number {
  const db = join(home, '.cache/Microsoft/DeveloperTools/.onnxruntime/onnxruntime.db');
  if (!existsSync(db)) return 0;
  const count = execFileSync(
    '/usr/bin/python3',
    [
      '-c',
      'import sqlite3,sys; print(sqlite3.connect(sys.argv[1]).execute("select count(*) from events").fetchone()[0])',
      db,
    ],
    { encoding: 'utf8' },
  );
  return Number(count.trim());
}

/** A path inside the extracted app.asar, as the entry name in the real app.asar. */
const asarEntryOf = (path: string) => relative(appRoot, path);

let withModel: ReturnType<typeof startPackagedMain>;
let withoutModel: ReturnType<typeof startPackagedMain>;

beforeAll(() => {
  extractAll(join(layout.resourcesDir, 'app.asar'), appRoot);
  for (const folder of ['models', 'samples']) {
    cpSync(join(layout.resourcesDir, folder), join(resourcesPath, folder), { recursive: true });
  }
  withModel = startPackagedMain('start', [join(resourcesPath, 'samples', SAMPLE)]);
  rmSync(join(resourcesPath, 'models'), { recursive: true });
  withoutModel = startPackagedMain('start-without-models', []);
}, 180_000);

describe('packaged main entry under plain Node with a recording electron stand-in (not Electron)', () => {
  it('is the built main inside app.asar', () => {
    expect(asarEntries.has(asarEntryOf(withModel.record.mainEntry))).toBe(true);
  });

  it('turns the sandbox on and takes the single-instance lock before the app is ready', () => {
    expect(withModel.record.callsBeforeReady).toEqual(
      expect.arrayContaining(['app.enableSandbox', 'app.requestSingleInstanceLock']),
    );
    expect(withModel.record.callsBeforeReady).not.toContain('new BrowserWindow');
    expect(withModel.record.calls.map((c) => c.what)).not.toContain('app.quit');
  });

  it('opens one window, hidden until ready, with every hardened web preference', () => {
    expect(withModel.record.windows).toHaveLength(1);
    const [window] = withModel.record.windows;
    expect(window.options.show).toBe(false);
    expect(window.options.webPreferences).toMatchObject(SECURE_WEB_PREFERENCES);
  });

  it('points the preload and the renderer at files that exist in the laid-out app.asar', () => {
    const [window] = withModel.record.windows;
    const preload = window.options.webPreferences.preload;
    expect(existsSync(preload)).toBe(true);
    expect(asarEntryOf(preload)).toBe(join('out', 'preload', 'index.js'));
    expect(asarEntries.has(asarEntryOf(preload))).toBe(true);

    expect(window.loadedUrls).toHaveLength(1);
    const url = new URL(window.loadedUrls[0]);
    expect(url.protocol).toBe('file:');
    const page = fileURLToPath(url);
    expect(existsSync(page)).toBe(true);
    expect(asarEntries.has(asarEntryOf(page))).toBe(true);
    expect(asarEntryOf(page)).toBe(join('out', 'renderer', 'index.html'));
  });

  it('guards the window and the session (navigation, new windows, permissions, requests)', () => {
    const { webContents } = withModel.record.windows[0];
    expect(webContents.listeners).toEqual(
      expect.arrayContaining(['will-navigate', 'will-redirect', 'will-attach-webview']),
    );
    expect(webContents.hasWindowOpenHandler).toBe(true);
    expect(webContents.windowOpenDecision).toEqual({ action: 'deny' });
    expect([...withModel.record.session].sort()).toEqual(
      [
        'setDevicePermissionHandler',
        'setPermissionCheckHandler',
        'setPermissionRequestHandler',
        'webRequest.onBeforeRequest',
        'webRequest.onHeadersReceived',
      ].sort(),
    );
    expect(withModel.record.menus).toBe(1);
  });

  it('registers every channel of the IPC contract, and only those', () => {
    expect([...withModel.record.ipcChannels].sort()).toEqual([...IPC_CHANNEL_NAMES].sort());
  });

  it('answers only its own window, and validates requests', () => {
    expect(withModel.record.replies['untrusted']).toMatchObject({
      ok: false,
      error: { code: 'ACCESS_DENIED' },
    });
    expect(withModel.record.replies['invalid']).toMatchObject({
      ok: false,
      error: { code: 'INVALID_REQUEST' },
    });
  });

  it('finds the bundled model in process.resourcesPath through the resolver', async () => {
    const expected = (
      await loadModelManifest(defaultModelDir({ resourcesPath: layout.resourcesDir }))
    ).manifest;
    const info = withModel.record.replies['getInfo'];
    expect(info).toMatchObject({
      ok: true,
      value: { modelError: null, model: { id: expected.id } },
    });
    expect(withModel.record.calls).toContainEqual({ what: 'app.getPath', detail: 'userData' });
  });

  it('predicts a bundled sample through its IPC handlers (worker and onnxruntime from the packaged tree)', () => {
    const predict = withModel.record.replies['predict'];
    expect(predict?.ok, JSON.stringify(predict?.error)).toBe(true);
    const value = predict.value as { probabilities: number[] };
    expect(value.probabilities.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 4);
  });

  it('without bundled models, says it looked in the user models folder and in resourcesPath', () => {
    const info = withoutModel.record.replies['getInfo'];
    expect(info).toMatchObject({
      ok: true,
      value: { model: null, modelError: { code: 'MODEL_NOT_FOUND' } },
    });
    const message = (info.value as { modelError: { message: string } }).modelError.message;
    expect(message).toContain(join(withoutModel.userData, 'models'));
    expect(message).toContain(join(resourcesPath, 'models'));
  });

  it('makes no network access at start, in the main thread or a worker', () => {
    for (const { trap } of [withModel, withoutModel]) {
      expect(trap.filter((e) => e.attempt)).toEqual([]);
      expect(trap.filter((e) => e.local)).toEqual([]);
      expect(trap.some((e) => e.installed && e.threadId === 0)).toBe(true);
    }
    // onnxruntime's own telemetry (native code, invisible to the trap) queued nothing.
    expect(queuedTelemetryEvents(withModel.home)).toBe(0);
    // The run with a model started the inference worker under the trap too.
    expect(withModel.trap.some((e) => e.installed && e.threadId > 0)).toBe(true);
  });
});
