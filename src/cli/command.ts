/** What every CLI subcommand provides; `src/cli/main.ts` lists them. */

export interface CliIo {
  out: (text: string) => void;
  err: (text: string) => void;
}

export interface CliCommand {
  name: string;
  /** One line for the command list. */
  summary: string;
  /** Full help text shown by `<command> --help`. */
  usage: string;
  /** Returns the process exit code. Throwing UsageError prints usage and exits with 2. */
  run(args: string[], io: CliIo): Promise<number>;
}

/** Bad arguments: reported with the command's usage, exit code 2. */
export class UsageError extends Error {
  override name = 'UsageError';
}

/** Adapts a command module that exports `usage` and `run(argv)` (it prints for itself). */
export function fromModule(
  name: string,
  summary: string,
  module: { usage: string; run(argv: string[]): Promise<number> },
): CliCommand {
  return {
    name,
    summary,
    usage: `usage: covidnet ${module.usage}`,
    run: (args) => module.run(args),
  };
}
