/**
 * Calibration is applied in TypeScript (the engine, for every caller) exactly as in Python
 * (training/calibration.py, used by the v3 training checks): softmax(logits / T), and the same
 * 15-bin expected calibration error.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { expectedCalibrationError } from '../src/main/features/evaluation/calibration';
import { calibratedProbabilities } from '../src/main/platform/inference/trust';

const repo = resolve(__dirname, '..');
const work = mkdtempSync(join(tmpdir(), 'calibration-parity-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

/** Seeded logits with large, small, tied and negative values (a real model's range and then some). */
function logitsFixture(): number[][] {
  let state = 20261;
  const next = (): number => {
    state = (state * 1103515245 + 12345) % 2 ** 31;
    return state / 2 ** 31;
  };
  const rows: number[][] = [
    [0, 0, 0],
    [50, -50, 0],
    [2.5, 2.5, -1],
  ];
  for (let i = 0; i < 200; i++) rows.push([0, 1, 2].map(() => (next() - 0.5) * 12));
  return rows;
}

function pythonProbabilities(logits: number[][], temperature: number): number[][] {
  const input = join(work, `logits-${temperature}.f64`);
  const output = join(work, `probs-${temperature}.f64`);
  writeFileSync(input, Buffer.from(Float64Array.from(logits.flat()).buffer));
  execFileSync('/usr/bin/python3', [
    join(repo, 'training/calibration.py'),
    '--temperature',
    String(temperature),
    '--logits',
    input,
    '--classes',
    '3',
    '--out',
    output,
  ]);
  const flat = new Float64Array(new Uint8Array(readFileSync(output)).buffer);
  return logits.map((_, i) => Array.from(flat.subarray(3 * i, 3 * i + 3)));
}

describe('temperature calibration: TypeScript engine vs training/calibration.py', () => {
  it.each([0.5, 1, 1.7, 3.2])('T = %s gives the same probabilities (1e-12)', (temperature) => {
    const logits = logitsFixture();
    const python = pythonProbabilities(logits, temperature);
    const calibration = { method: 'temperature' as const, temperature, fitted_on: 'test' };
    let max = 0;
    logits.forEach((row, i) => {
      const ours = calibratedProbabilities(calibration, { probabilities: [], logits: row }, 3);
      ours.forEach((p, c) => (max = Math.max(max, Math.abs(p - python[i][c]))));
    });
    expect(max).toBeLessThan(1e-12);
  });

  it('a higher temperature flattens the probabilities (the transform is really applied)', () => {
    const [sharp] = pythonProbabilities([[3, 0, -1]], 0.5);
    const [flat] = pythonProbabilities([[3, 0, -1]], 3.2);
    expect(sharp[0]).toBeGreaterThan(0.99);
    expect(flat[0]).toBeLessThan(0.6);
  });

  it('the 15-bin ECE agrees with Python on the calibrated probabilities', () => {
    const logits = logitsFixture();
    const truth = logits.map((_, i) => (i * 7) % 3);
    const probabilities = pythonProbabilities(logits, 1.7);
    const python = execFileSync('/usr/bin/python3', [
      '-c',
      [
        'import sys, json, numpy as np',
        `sys.path.insert(0, ${JSON.stringify(join(repo, 'training'))})`,
        'from calibration import expected_calibration_error',
        'd = json.load(sys.stdin)',
        'print(expected_calibration_error(np.array(d["p"]), np.array(d["t"])))',
      ].join('\n'),
    ], { input: JSON.stringify({ p: probabilities, t: truth }) }).toString();
    const ours = expectedCalibrationError(probabilities.map((p, i) => ({ probabilities: p, truth: truth[i] })));
    expect(ours.ece).not.toBeNull();
    expect(Math.abs(ours.ece! - Number(python))).toBeLessThan(1e-12);
  });
});
