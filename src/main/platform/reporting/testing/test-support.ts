/**
 * Runs the validators PACS vendors use on what the reporting module writes: dicom3tools'
 * dciodvfy, dcmtk's dsrdump / dsr2xml / dcm2pdf / dcmj2pnm / dcmdump, PixelMed's TID 1500
 * check, qpdf and poppler. CI installs them (.ci/run); a missing tool fails the test by name.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import dcmjs from 'dcmjs';

export interface ToolRun {
  status: number | null;
  stdout: string;
  stderr: string;
}

export function runTool(command: string, args: string[]): ToolRun {
  const result = spawnSync(command, args, { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  if (result.error) {
    throw new Error(`${command} could not run (${result.error.message}); see .ci/run for packages`);
  }
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

/** dciodvfy's "Error - ..." lines (it prints warnings too, which do not fail a PACS import). */
export function dciodvfyErrors(path: string): string[] {
  const run = runTool('dciodvfy', [path]);
  return `${run.stdout}\n${run.stderr}`.split('\n').filter((line) => line.startsWith('Error'));
}

/** PixelMed DicomSRValidator (IOD + root template, TID 1500): its error lines. */
export function pixelmedSrErrors(path: string): { errors: string[]; output: string } {
  const run = runTool('java', [
    '-Djdk.xml.xpathExprOpLimit=0',
    '-Djdk.xml.xpathExprGrpLimit=0',
    '-Djdk.xml.xpathTotalOpLimit=0',
    '-cp',
    '/usr/share/java/pixelmed.jar',
    'com.pixelmed.validate.DicomSRValidator',
    path,
  ]);
  const output = `${run.stdout}\n${run.stderr}`;
  const errors = output.split('\n').filter((line) => /^Error|Exception/.test(line));
  if (run.status !== 0) errors.push(`exit status ${run.status}`);
  return { errors, output };
}

/** Every value of one tag, as dcmdump prints it (FD with full round-trip precision). */
export function dcmdumpValues(path: string, tag: string): string[] {
  const run = runTool('dcmdump', ['+P', tag, '+L', path]);
  return run.stdout
    .split('\n')
    .filter((line) => line.startsWith(`(${tag.toLowerCase()})`))
    .map((line) => {
      if (line.includes('(no value available)')) return '';
      const bracketed = /\[([^\]]*)\]/.exec(line);
      if (bracketed) return bracketed[1];
      return line.slice(14).trim().split(/\s+/)[0];
    });
}

/**
 * Every Floating Point Value (0040,A161) of an SR, exactly as stored (read with dcmjs): dcmdump
 * prints FD with 17 digits that are not always the nearest, so a double can read back 1 ulp off.
 */
export function srFloatingPointValues(path: string): number[] {
  const bytes = readFileSync(path);
  const parsed = dcmjs.data.DicomMessage.readFile(
    bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength),
  );
  const values: number[] = [];
  const walk = (node: unknown): void => {
    if (Array.isArray(node)) {
      node.forEach(walk);
    } else if (node && typeof node === 'object' && !ArrayBuffer.isView(node)) {
      for (const [key, value] of Object.entries(node as Record<string, unknown>)) {
        if (key === '0040A161') values.push(...((value as { Value: number[] }).Value ?? []));
        else walk(value);
      }
    }
  };
  walk(parsed.dict);
  return values;
}
