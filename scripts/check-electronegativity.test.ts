import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { problemsOf, scan, type ScanReport } from './check-electronegativity';

const src = resolve(__dirname, '../src');
const work = mkdtempSync(join(tmpdir(), 'electronegativity-planted-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

/** A copy of src/ whose window options were edited by `plant`. */
function plantedCopy(name: string, plant: (windowSource: string) => string): string {
  const planted = join(work, name);
  cpSync(src, planted, { recursive: true });
  const windowFile = join(planted, 'main', 'app', 'electron', 'window.ts');
  const original = readFileSync(windowFile, 'utf8');
  const edited = plant(original);
  if (edited === original) throw new Error(`planting ${name} changed nothing`);
  writeFileSync(windowFile, edited);
  return planted;
}

function noCode(): string {
  const empty = join(work, 'empty');
  cpSync(join(src, 'renderer', 'index.html'), join(empty, 'index.html'));
  return empty;
}

let reports: Record<'app' | 'noIsolation' | 'nodeIntegration' | 'noCode', ScanReport>;

// The four scans run at once: each spends most of its time on offline look-ups timing out.
beforeAll(async () => {
  const [app, noIsolation, nodeIntegration, empty] = await Promise.all([
    scan(src),
    scan(
      plantedCopy('no-isolation', (s) =>
        s.replace('contextIsolation: true', 'contextIsolation: false'),
      ),
    ),
    scan(
      plantedCopy('node-integration', (s) =>
        s
          .replace('nodeIntegration: false', 'nodeIntegration: true')
          .replace(/\n\s*sandbox: true,/, ''),
      ),
    ),
    scan(noCode()),
  ]);
  reports = { app, noIsolation, nodeIntegration, noCode: empty };
}, 300_000);

describe('electronegativity scan', () => {
  it('passes the app sources, and really parsed them', () => {
    expect(problemsOf(reports.app)).toEqual([]);
    expect(reports.app.findings.map((f) => f.check)).toContain('PRELOAD_JS_CHECK');
  });

  it('fails a copy of the sources with contextIsolation off (HIGH)', () => {
    expect(problemsOf(reports.noIsolation).join('\n')).toMatch(/HIGH CONTEXT_ISOLATION_JS_CHECK/);
  });

  it('fails a copy with nodeIntegration on and no sandbox, which electronegativity rates lower', () => {
    const problems = problemsOf(reports.nodeIntegration).join('\n');
    expect(problems).toMatch(/INFORMATIONAL NODE_INTEGRATION_JS_CHECK/);
    expect(problems).toMatch(/MEDIUM SANDBOX_JS_CHECK/);
  });

  it('fails a scan that parsed no code at all', () => {
    expect(problemsOf(reports.noCode).join('\n')).toMatch(/did not parse the code/);
  });
});
