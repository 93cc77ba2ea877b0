/**
 * Checks of command-line values that several commands share, so a mistake is reported before any
 * work is done and in the same words everywhere: output files whose folder is missing, and errors
 * about one input file that name it once.
 */
import { statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { withoutPathPrefix, type CodedErrorInfo } from '../shared/errors';
import { UsageError } from './command';

/**
 * An output file the command will write: its folder must exist. Chosen over creating it, so a
 * mistyped path is caught instead of leaving results in a folder nobody looks in.
 */
export function outputFileOption(path: string, flag: string): string {
  const folder = dirname(resolve(path));
  const info = statSync(folder, { throwIfNoEntry: false });
  if (!info?.isDirectory())
    throw new UsageError(
      `${flag} ${path}: the folder ${folder} ${info ? 'is not a folder' : 'does not exist'} (create it first, or pick another)`,
    );
  return path;
}

/** "<file>: <CODE>: <message>", naming the file once even when the message starts with it. */
export function fileErrorLine(file: string, info: CodedErrorInfo): string {
  return `${file}: ${info.code}: ${withoutPathPrefix(info.message, file, resolve(file))}`;
}
