import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  CONTENT_SECURITY_POLICY,
  SECURE_WEB_PREFERENCES,
  WINDOW_OPEN_DECISION,
  devServerUrlFrom,
  isAllowedNavigation,
  isAllowedRequest,
  permissionRequestDecision,
} from './security-options';

const rendererUrl = 'file:///opt/app/resources/app.asar/out/renderer/index.html';

describe('security options', () => {
  it('isolates and sandboxes the renderer', () => {
    expect(SECURE_WEB_PREFERENCES).toMatchObject({
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
    });
  });

  it('uses the same CSP as the renderer page meta tag, and it is strict', () => {
    const html = readFileSync(resolve(__dirname, '../../../renderer/index.html'), 'utf8');
    const meta = /http-equiv="Content-Security-Policy"\s+content="([^"]+)"/.exec(html)?.[1];
    expect(meta).toBe(CONTENT_SECURITY_POLICY);
    expect(CONTENT_SECURITY_POLICY).toMatch(/default-src 'self'/);
    expect(CONTENT_SECURITY_POLICY).toMatch(/connect-src 'none'/);
    expect(CONTENT_SECURITY_POLICY).toMatch(/object-src 'none'/);
    expect(CONTENT_SECURITY_POLICY).not.toMatch(/unsafe-(inline|eval)|\bhttps?:|\*/);
  });

  it('allows navigation only to the own page', () => {
    expect(isAllowedNavigation(rendererUrl, rendererUrl)).toBe(true);
    expect(isAllowedNavigation(`${rendererUrl}#worklist`, rendererUrl)).toBe(true);
    expect(isAllowedNavigation('file:///etc/passwd', rendererUrl)).toBe(false);
    expect(isAllowedNavigation('https://example.com/', rendererUrl)).toBe(false);
    expect(isAllowedNavigation('javascript:alert(1)', rendererUrl)).toBe(false);
  });

  it('blocks the network for the app session, and local files outside the renderer', () => {
    expect(isAllowedRequest(rendererUrl, rendererUrl)).toBe(true);
    expect(
      isAllowedRequest(rendererUrl.replace('index.html', 'assets/index-1.js'), rendererUrl),
    ).toBe(true);
    expect(isAllowedRequest('file:///etc/passwd', rendererUrl)).toBe(false);
    expect(
      isAllowedRequest(rendererUrl.replace('index.html', '../../secret.json'), rendererUrl),
    ).toBe(false);
    expect(isAllowedRequest('devtools://devtools/bundled/inspector.html', rendererUrl)).toBe(true);
    expect(isAllowedRequest('https://example.com/x.js', rendererUrl)).toBe(false);
    expect(isAllowedRequest('http://127.0.0.1:8080/', rendererUrl)).toBe(false);
    expect(isAllowedRequest('ws://evil.example/', rendererUrl)).toBe(false);
    expect(isAllowedRequest('not a url', rendererUrl)).toBe(false);
    const dev = 'http://localhost:5173/';
    expect(isAllowedRequest('http://localhost:5173/src/main.ts', dev, dev)).toBe(true);
    expect(isAllowedRequest('ws://localhost:5173/', dev, dev)).toBe(true);
    expect(isAllowedRequest('http://localhost:5174/', dev, dev)).toBe(false);
    expect(isAllowedRequest('file:///etc/passwd', dev, dev)).toBe(false);
  });

  it('denies every permission and every new window', () => {
    expect(permissionRequestDecision()).toBe(false);
    expect(WINDOW_OPEN_DECISION).toEqual({ action: 'deny' });
  });

  it('takes a dev server URL only unpackaged and only on loopback http', () => {
    expect(devServerUrlFrom('http://localhost:5173', false)).toBe('http://localhost:5173/');
    expect(devServerUrlFrom('http://localhost:5173', true)).toBeUndefined();
    expect(devServerUrlFrom('https://example.com', false)).toBeUndefined();
    expect(devServerUrlFrom(undefined, false)).toBeUndefined();
  });
});
