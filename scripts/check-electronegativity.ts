/**
 * Runs electronegativity (offline) over the given folders and fails on any HIGH or CRITICAL
 * finding, and on any finding of the checks in ALWAYS_FAILING_CHECKS. It also fails when no finding at all points into a JavaScript/TypeScript file: the
 * app's BrowserWindow always yields the informational PRELOAD_JS_CHECK, so a scan without one
 * has not parsed the code (a scan that silently looks at nothing cannot pass).
 *
 *   tsx scripts/check-electronegativity.ts [input ...]     (default: src)
 */
import { execFile } from 'node:child_process';
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
/**
 * Checks that fail whatever severity electronegativity gives them: it rates nodeIntegration: true
 * only INFORMATIONAL and a missing sandbox MEDIUM, but this app turns neither on or off.
 */
const ALWAYS_FAILING_CHECKS = new Set([
  'NODE_INTEGRATION_JS_CHECK',
  'SANDBOX_JS_CHECK',
  'CONTEXT_ISOLATION_JS_CHECK',
  'WEB_SECURITY_JS_CHECK',
  'INSECURE_CONTENT_JS_CHECK',
]);

function installedElectronVersion(): string {
  const pkg = JSON.parse(
    readFileSync(join(repoRoot, 'node_modules', 'electron', 'package.json'), 'utf8'),
  ) as {
    version: string;
  };
  return pkg.version;
}

/** Runs the CLI; resolves with its output, rejects when it fails. */
function runCli(args: string[]): Promise<void> {
  return new Promise((resolveRun, rejectRun) => {
    execFile(
      process.execPath,
      [cli, ...args],
      { encoding: 'utf8', timeout: 300_000 },
      (error, stdout, stderr) => {
        if (error)
          rejectRun(new Error(`electronegativity failed: ${error.message}\n${stdout}\n${stderr}`));
        else resolveRun();
      },
    );
  });
}

/** Runs the scanner once and parses its CSV; null when the CSV came out garbled. */
async function scanOnce(input: string): Promise<Finding[] | null> {
  const outDir = mkdtempSync(join(tmpdir(), 'electronegativity-'));
  const csvPath = join(outDir, 'findings.csv');
  try {
    // -e: the scanner cannot see node_modules from src/, so it would assume Electron 0.1 defaults.
    await runCli([
      '-i',
      input,
      '-o',
      csvPath,
      '-r',
      '-v',
      'false',
      '-e',
      installedElectronVersion(),
    ]);
    let rows: Record<string, string>[];
    try {
      rows = parse(readFileSync(csvPath, 'utf8'), {
        columns: (header: string[]) => header.map((h) => h.trim()),
        skip_empty_lines: true,
        trim: true,
      }) as Record<string, string>[];
    } catch {
      return null;
    }
    // Its CSV writer races: the header can land over the first record. Check ids are UPPER_SNAKE.
    if (rows.some((row) => !/^[A-Z0-9_]+$/.test(row['issue'] ?? ''))) return null;
    return rows.map((row) => ({
      check: row['issue'],
      severity: row['severity'],
      confidence: row['confidence'],
      file: row['filename'],
      location: row['location'],
      description: row['description'],
    }));
  } finally {
    rmSync(outDir, { recursive: true, force: true });
  }
}

/** Scans one folder. Several scans may run at once (each mostly waits on its offline look-ups). */
export async function scan(input: string): Promise<ScanReport> {
  // electronegativity 1.10 sometimes writes its CSV header over the first row: scan again then.
  for (let attempt = 1; attempt <= 4; attempt++) {
    const findings = await scanOnce(input);
    if (findings) return { input, findings };
  }
  throw new Error(`electronegativity wrote an unreadable report for ${input} four times`);
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
    if (FAILING_SEVERITIES.has(f.severity) || ALWAYS_FAILING_CHECKS.has(f.check)) {
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

async function main(inputs: string[]): Promise<number> {
  const reports = await Promise.all(
    (inputs.length > 0 ? inputs : ['src']).map((input) => scan(resolve(input))),
  );
  const problems: string[] = [];
  for (const report of reports) {
    printTable(report);
    problems.push(...problemsOf(report));
  }
  if (problems.length > 0) {
    console.error(`\nelectronegativity check FAILED:\n- ${problems.join('\n- ')}`);
    return 1;
  }
  console.log(
    '\nelectronegativity check passed: no HIGH or CRITICAL finding, no isolation/sandbox finding.',
  );
  return 0;
}

if (require.main === module) {
  main(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
    },
    (error: unknown) => {
      console.error(error);
      process.exitCode = 2;
    },
  );
}
