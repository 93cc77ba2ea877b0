/**
 * `npm run covidnet -- <command> [args]`: a registry of subcommands. To add one, create
 * `src/cli/commands/<name>.ts` exporting a CliCommand (or `usage` + `run(argv)`, wrapped with
 * fromModule) and add one line to COMMANDS below.
 */
import { CodedError } from '../shared/errors';
import { UsageError, fromModule, type CliCommand, type CliIo } from './command';
import { datasetCommand } from './commands/dataset';
import { driftCommand } from './commands/drift';
import * as evaluate from './commands/evaluate';
import { exportCommand } from './commands/export';
import { infoCommand } from './commands/info';
import * as pacs from './commands/pacs';
import * as predict from './commands/predict';
import * as report from './commands/report';
import * as receive from './commands/receive';
import * as screen from './commands/screen';
import { segmentCommand } from './commands/segment';
import * as validate from './commands/validate';

export const COMMANDS: CliCommand[] = [
  infoCommand,
  exportCommand,
  fromModule('predict', 'classify one image, optionally with a heatmap', predict),
  segmentCommand,
  fromModule(
    'report',
    'write DICOM SR, heatmap Secondary Capture and PDF reports of one image',
    report,
  ),
  fromModule('screen', 'screen a folder of studies to CSV/JSON (resumable)', screen),
  fromModule('evaluate', 'evaluate the model against a labelled manifest', evaluate),
  fromModule(
    'validate',
    "site validation: the model on a clinic's own labelled films, with intervals and a site operating point",
    validate,
  ),
  driftCommand,
  fromModule(
    'receive',
    'DICOM receiver (C-STORE SCP) into an inbox, optionally screening',
    receive,
  ),
  fromModule(
    'pacs',
    'query/retrieve studies from a PACS (C-FIND, C-MOVE) and send results back (C-STORE)',
    pacs,
  ),
  datasetCommand,
];

function overview(): string {
  const width = Math.max(...COMMANDS.map((c) => c.name.length));
  return [
    'usage: covidnet <command> [options]',
    '',
    'commands:',
    ...COMMANDS.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`),
    '',
    "Run `covidnet <command> --help` for a command's options.",
  ].join('\n');
}

export async function runCli(argv: string[], io: CliIo): Promise<number> {
  const [name, ...args] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    io.out(overview());
    return name ? 0 : 2;
  }
  const command = COMMANDS.find((c) => c.name === name);
  if (!command) {
    io.err(`unknown command: ${name}\n\n${overview()}`);
    return 2;
  }
  if (args.includes('--help') || args.includes('-h')) {
    io.out(command.usage);
    return 0;
  }
  try {
    return await command.run(args, io);
  } catch (error) {
    const parseArgsError = String((error as { code?: unknown }).code ?? '').startsWith(
      'ERR_PARSE_ARGS',
    );
    if (error instanceof UsageError || parseArgsError) {
      // The synopsis only: the option list is what --help is for.
      const synopsis = command.usage.split('\n\n')[0];
      io.err(
        `${command.name}: ${(error as Error).message}\n\n${synopsis}\n\n` +
          `Run \`covidnet ${command.name} --help\` for the options and their defaults.`,
      );
      return 2;
    }
    if (error instanceof CodedError) {
      io.err(`error ${error.code}: ${error.message}`);
      return 1;
    }
    io.err(
      `internal error: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`,
    );
    return 1;
  }
}

if (require.main === module) {
  runCli(process.argv.slice(2), {
    out: (text) => process.stdout.write(`${text}\n`),
    err: (text) => process.stderr.write(`${text}\n`),
  }).then((code) => {
    process.exitCode = code;
  });
}
