import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { problemsOf, scan } from './check-electronegativity';

const src = resolve(__dirname, '../src');
const work = mkdtempSync(join(tmpdir(), 'electronegativity-planted-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

describe('electronegativity scan', () => {
  it('passes the app sources, and really parsed them', () => {
    const report = scan(src);
    expect(problemsOf(report)).toEqual([]);
    expect(report.findings.map((f) => f.check)).toContain('PRELOAD_JS_CHECK');
  });

  it('fails a copy of the sources with nodeIntegration on and contextIsolation off', () => {
    const planted = join(work, 'src');
    cpSync(src, planted, { recursive: true });
    const windowFile = join(planted, 'main', 'electron', 'window.ts');
    const original = readFileSync(windowFile, 'utf8');
    const insecure = original
      .replace('contextIsolation: true', 'contextIsolation: false')
      .replace('nodeIntegration: false', 'nodeIntegration: true')
      .replace('sandbox: true', 'sandbox: false');
    expect(insecure).not.toBe(original);
    writeFileSync(windowFile, insecure);
    const report = scan(planted);
    expect(problemsOf(report).join('\n')).toMatch(/HIGH CONTEXT_ISOLATION_JS_CHECK/);
    // nodeIntegration: true with sandbox off is reported too (electronegativity rates it for review).
    expect(report.findings.map((f) => f.check)).toContain('NODE_INTEGRATION_JS_CHECK');
  });

  it('fails a scan that parsed no code at all', () => {
    const empty = join(work, 'empty');
    cpSync(join(src, 'renderer', 'index.html'), join(empty, 'index.html'));
    expect(problemsOf(scan(empty)).join('\n')).toMatch(/did not parse the code/);
  });
});
