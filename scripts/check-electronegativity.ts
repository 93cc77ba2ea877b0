/**
 * Runs electronegativity (offline) over the given folders and fails on any HIGH or CRITICAL
 * finding. It also fails when no finding at all points into a JavaScript/TypeScript file: the
 * app's BrowserWindow always yields the informational PRELOAD_JS_CHECK, so a scan without one
 * has not parsed the code (a scan that silently looks at nothing cannot pass).
 *
 *   tsx scripts/check-electronegativity.ts [input ...]     (default: src)
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parse } from 'csv-parse/sync';

export interface Finding {
  check: string;
  severity: string;
  confidence: string;
  file: string;
  location: string;
  description: string;
}

export interface ScanReport {
  input: string;
  findings: Finding[];
}

const repoRoot = resolve(__dirname, '..');
const cli = join(repoRoot, 'node_modules', '@doyensec', 'electronegativity', 'dist', 'index.js');
const FAILING_SEVERITIES = new Set(['HIGH', 'CRITICAL']);

function installedElectronVersion(): string {
  const pkg = JSON.parse(
    readFileSync(join(repoRoot, 'node_modules', 'electron', 'package.json'), 'utf8'),
  ) as {
    version: string;
  };
  return pkg.version;
}

export function scan(input: string): ScanReport {
  const outDir = mkdtempSync(join(tmpdir(), 'electronegativity-'));
  const csvPath = join(outDir, 'findings.csv');
  try {
    // -e: the scanner cannot see node_modules from src/, so it would assume Electron 0.1 defaults.
    const run = spawnSync(
      process.execPath,
      [cli, '-i', input, '-o', csvPath, '-r', '-v', 'false', '-e', installedElectronVersion()],
      { encoding: 'utf8', timeout: 300_000 },
    );
    if (run.status !== 0) {
      throw new Error(`electronegativity exited with ${run.status}:\n${run.stdout}\n${run.stderr}`);
    }
    const rows = parse(readFileSync(csvPath, 'utf8'), {
      columns: (header: string[]) => header.map((h) => h.trim()),
      skip_empty_lines: true,
      trim: true,
    }) as Record<string, string>[];
    const findings = rows.map((row) => ({
      check: row['issue'],
      severity: row['severity'],
      confidence: row['confidence'],
      file: row['filename'],
      location: row['location'],
      description: row['description'],
    }));
    return { input, findings };
  } finally {
    rmSync(outDir, { recursive: true, force: true });
  }
}

/** Problems with a report: failing findings, or signs that nothing was really scanned. */
export function problemsOf(report: ScanReport): string[] {
  const problems: string[] = [];
  if (!report.findings.some((f) => /\.(m?[jt]s|tsx?)$/.test(f.file))) {
    problems.push(
      `${report.input}: no finding in any JS/TS file; the scanner did not parse the code`,
    );
  }
  for (const f of report.findings) {
    if (FAILING_SEVERITIES.has(f.severity)) {
      problems.push(
        `${report.input}: ${f.severity} ${f.check} at ${f.file}:${f.location} (${f.description})`,
      );
    }
  }
  return problems;
}

function printTable(report: ScanReport): void {
  console.log(`\n${report.input}: ${report.findings.length} findings`);
  const rows = report.findings.map((f) => [
    f.severity,
    f.confidence,
    f.check,
    `${f.file}:${f.location}`,
  ]);
  const header = ['severity', 'confidence', 'check', 'where'];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  for (const row of [header, ...rows])
    console.log(row.map((cell, i) => cell.padEnd(widths[i])).join('  '));
}

function main(inputs: string[]): number {
  const problems: string[] = [];
  for (const input of inputs.length > 0 ? inputs : ['src']) {
    const report = scan(resolve(input));
    printTable(report);
    problems.push(...problemsOf(report));
  }
  if (problems.length > 0) {
    console.error(`\nelectronegativity check FAILED:\n- ${problems.join('\n- ')}`);
    return 1;
  }
  console.log('\nelectronegativity check passed: no HIGH or CRITICAL finding.');
  return 0;
}

if (require.main === module) process.exitCode = main(process.argv.slice(2));
