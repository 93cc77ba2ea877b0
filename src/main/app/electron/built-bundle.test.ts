/**
 * Builds the app (electron-vite, into a temp folder) and checks statically that the shipped
 * bundles carry the security settings: no Electron binary is needed to catch a regression.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CONTENT_SECURITY_POLICY, SECURE_WEB_PREFERENCES } from './security-options';

const repoRoot = resolve(__dirname, '../../../..');
const outDir = mkdtempSync(join(tmpdir(), 'built-bundle-'));
let mainBundle = '';
let preloadBundle = '';

beforeAll(() => {
  execFileSync(
    process.execPath,
    [
      join(repoRoot, 'node_modules/electron-vite/bin/electron-vite.js'),
      'build',
      '--outDir',
      outDir,
    ],
    {
      cwd: repoRoot,
      stdio: 'pipe',
    },
  );
  mainBundle = readFileSync(join(outDir, 'main/index.js'), 'utf8');
  preloadBundle = readFileSync(join(outDir, 'preload/index.js'), 'utf8');
}, 240_000);
afterAll(() => rmSync(outDir, { recursive: true, force: true }));

describe('built main bundle', () => {
  it('creates the window with every secure web preference', () => {
    const call = mainBundle.slice(mainBundle.indexOf('new BrowserWindow('));
    const options = call.slice(0, call.indexOf('});'));
    expect(options).toContain('webPreferences');
    for (const [key, value] of Object.entries(SECURE_WEB_PREFERENCES)) {
      expect(options).toContain(`${key}: ${JSON.stringify(value)}`);
    }
  });

  it('keeps the hardening calls', () => {
    for (const needle of [
      'app.enableSandbox()',
      'requestSingleInstanceLock()',
      'setWindowOpenHandler(',
      '"will-navigate"',
      '"will-redirect"',
      '"will-attach-webview"',
      '"web-contents-created"',
      'setPermissionRequestHandler(',
      'setPermissionCheckHandler(',
      'webRequest.onBeforeRequest(',
      'webRequest.onHeadersReceived(',
      CONTENT_SECURITY_POLICY.split('; ')[0],
    ]) {
      expect(mainBundle, needle).toContain(needle);
    }
  });

  it('takes the files the OS asks it to open: argv, a second launch, macOS open-file', () => {
    for (const needle of [
      '"open-file"',
      '"second-instance"',
      'process.argv',
      'open-launch-files',
    ]) {
      expect(mainBundle, needle).toContain(needle);
    }
  });

  it('turns no protection off', () => {
    expect(mainBundle).not.toMatch(
      /nodeIntegration:\s*true|contextIsolation:\s*false|sandbox:\s*false|webSecurity:\s*false|allowRunningInsecureContent:\s*true|webviewTag:\s*true/,
    );
    expect(mainBundle).not.toMatch(/@electron\/remote|enableRemoteModule|openExternal/);
  });
});

describe('built worker entries', () => {
  it('ships the inference and decode workers beside the main bundle, where it looks for them', () => {
    for (const entry of ['ort-worker.js', 'decode-worker.js']) {
      expect(readFileSync(join(outDir, 'main', entry), 'utf8').length, entry).toBeGreaterThan(0);
      // spawnEntryWorker looks for `${name}.js` beside the bundle.
      expect(mainBundle, entry).toContain(`name: "${entry.replace(/\.js$/, '')}"`);
    }
  });
});

describe('built preload bundle', () => {
  it('requires nothing but electron (a sandboxed preload cannot)', () => {
    const required = [...preloadBundle.matchAll(/require\(["']([^"']+)["']\)/g)].map((m) => m[1]);
    expect(new Set(required)).toEqual(new Set(['electron']));
  });

  it('exposes only window.api', () => {
    const exposed = [...preloadBundle.matchAll(/exposeInMainWorld\(\s*["']([^"']+)["']/g)].map(
      (m) => m[1],
    );
    expect(exposed).toEqual(['api']);
  });
});
