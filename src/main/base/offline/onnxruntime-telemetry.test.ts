/**
 * onnxruntime-node, started the way the engine starts it (a worker thread), queues no telemetry
 * once the switch is set in the main thread; without it, the same run queues events. Each run
 * gets its own HOME, where onnxruntime keeps its upload queue.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { defaultModelDir } from '../../platform/inference';

const repoRoot = resolve(__dirname, '../../../..');
const scratch = mkdtempSync(join(tmpdir(), 'ort-telemetry-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

/** Queued telemetry events after one session in a worker thread, in a fresh HOME. */
function queuedEventsAfterOneSession(name: string, disable: boolean): number {
  const home = join(scratch, name);
  mkdirSync(home);
  const model = join(defaultModelDir(), 'model.onnx');
  const script = `
    const { Worker } = require('node:worker_threads');
    ${disable ? `require(${JSON.stringify(join(__dirname, 'onnxruntime-telemetry.ts'))}).disableOnnxruntimeTelemetry();` : ''}
    const worker = new Worker(\`
      const ort = require(${JSON.stringify(require.resolve('onnxruntime-node'))});
      ort.InferenceSession.create(${JSON.stringify(model)}).then((s) => s.release());
    \`, { eval: true });
    worker.on('exit', (code) => process.exit(code));
  `;
  const env: NodeJS.ProcessEnv = { PATH: process.env['PATH'], HOME: home };
  execFileSync(process.execPath, ['--import', 'tsx', '-e', script], { cwd: repoRoot, env });
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

describe.skipIf(process.platform !== 'linux')('onnxruntime telemetry', () => {
  it('is queued by default (so the check below can fail)', () => {
    expect(queuedEventsAfterOneSession('default', false)).toBeGreaterThan(0);
  });

  it('is not queued once disableOnnxruntimeTelemetry() ran in the main thread', () => {
    expect(queuedEventsAfterOneSession('disabled', true)).toBe(0);
  });
});
