/**
 * The CLI as a user runs it, for tests: `covidnet <args>` in a child process (tsx), optionally
 * under the network trap preload, with its output collected. Used by the CLI, report, receiver
 * and PACS tests instead of each keeping its own spawn helper.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { REPO_ROOT } from '../../main/platform/inference/testing/test-support';

export const CLI_ENTRY = join(REPO_ROOT, 'src/cli/main.ts');
export const NETWORK_TRAP = join(
  REPO_ROOT,
  'src/main/features/screening/testing/network-trap.test-preload.cjs',
);

export interface CliExit {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export interface CliProcess {
  child: ChildProcess;
  stdout(): string;
  stderr(): string;
  /** Settles when the process has exited and its output is closed. */
  done: Promise<CliExit>;
  /** Resolves with the first match of `pattern` in stdout+stderr; rejects if it exits first. */
  waitFor(pattern: RegExp, timeoutMs?: number): Promise<RegExpExecArray>;
  kill(signal?: NodeJS.Signals): void;
}

export interface CliOptions {
  /** Run under the network trap, logging to this file (every thread appends to it). */
  trapLog?: string;
  env?: Record<string, string>;
}

export function spawnCli(args: string[], options: CliOptions = {}): CliProcess {
  const child = spawn(process.execPath, ['--import', 'tsx', CLI_ENTRY, ...args], {
    cwd: REPO_ROOT,
    env: {
      ...process.env,
      ...(options.trapLog
        ? { NODE_OPTIONS: `--require ${NETWORK_TRAP}`, COVIDNET_NETWORK_TRAP_LOG: options.trapLog }
        : {}),
      // Keep the child's threads modest on a shared machine.
      OMP_NUM_THREADS: '1',
      ...options.env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
  const done = new Promise<CliExit>((resolveDone) =>
    child.on('close', (code, signal) => resolveDone({ code, signal, stdout, stderr })),
  );
  let exited = false;
  void done.then(() => (exited = true));
  return {
    child,
    stdout: () => stdout,
    stderr: () => stderr,
    done,
    async waitFor(pattern, timeoutMs = 120_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const match = pattern.exec(stdout + stderr);
        if (match) return match;
        if (exited || Date.now() > deadline)
          throw new Error(
            `covidnet ${args[0]} ${exited ? 'exited' : 'timed out'} before ${pattern}:\n${stdout}\n${stderr}`,
          );
        await new Promise((r) => setTimeout(r, 50));
      }
    },
    kill: (signal = 'SIGKILL') => void child.kill(signal),
  };
}

/** Runs `covidnet <args>` to the end. */
export function runCli(args: string[], options?: CliOptions): Promise<CliExit> {
  return spawnCli(args, options).done;
}
