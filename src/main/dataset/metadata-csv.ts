/**
 * Reading an upstream metadata CSV as its maintainers publish it, with errors that name the file,
 * the line and the column. NIH's header has commas inside bracketed names
 * (`OriginalImage[Width,Height]`): such a name spans as many data cells as it has parts, so the
 * columns after it still line up.
 */
import { readFile } from 'node:fs/promises';
import { parse } from 'csv-parse/sync';
import { CodedError } from '../../shared/errors';

export interface MetadataTable {
  file: string;
  /** Column name -> cell index (a bracketed name -> its first cell). */
  columns: Map<string, number>;
  /** Data rows (cells), with their 1-based line numbers in the file. */
  rows: { line: number; cells: string[] }[];
}

export function metadataError(file: string, what: string): CodedError {
  return new CodedError('INVALID_REQUEST', `${file}: ${what}`);
}

/** Header cells -> column map, joining `Name[a` ... `b]` pieces into one name over several cells. */
export function headerColumns(cells: readonly string[]): Map<string, number> {
  const columns = new Map<string, number>();
  for (let i = 0; i < cells.length; i++) {
    const start = i;
    let name = cells[i].trim();
    if (name.includes('[') && !name.includes(']')) {
      while (i + 1 < cells.length && !cells[i].includes(']')) name += `,${cells[++i].trim()}`;
    }
    if (name && !columns.has(name)) columns.set(name, start);
  }
  return columns;
}

export async function readMetadataCsv(
  file: string,
  required: readonly string[],
): Promise<MetadataTable> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new CodedError(
      code === 'ENOENT' ? 'FILE_NOT_FOUND' : 'FILE_UNREADABLE',
      `Metadata file ${file} is missing or unreadable (${code ?? 'error'}); it needs the columns ${required.join(', ')}`,
    );
  }
  let records: { record: string[]; info: { lines: number } }[];
  try {
    records = parse(text, {
      bom: true,
      relax_column_count: true,
      skip_empty_lines: true,
      info: true,
    }) as unknown as { record: string[]; info: { lines: number } }[];
  } catch (error) {
    throw metadataError(file, `not a readable CSV: ${(error as Error).message}`);
  }
  if (records.length === 0) throw metadataError(file, 'is empty (no header row)');
  const columns = headerColumns(records[0].record);
  const missing = required.filter((name) => !columns.has(name));
  if (missing.length > 0) {
    throw metadataError(
      file,
      `no column ${missing.map((m) => `"${m}"`).join(', ')} in its header (found: ${[...columns.keys()].join(', ')})`,
    );
  }
  return {
    file,
    columns,
    rows: records.slice(1).map(({ record, info }) => ({ line: info.lines, cells: record })),
  };
}

/** A cell by column name ('' when the row is shorter). */
export function cell(table: MetadataTable, cells: readonly string[], column: string): string {
  const index = table.columns.get(column);
  return index === undefined ? '' : (cells[index] ?? '').trim();
}

/** A cell that must not be empty: a clear error naming the file, the line and the column. */
export function requiredCell(
  table: MetadataTable,
  row: { line: number; cells: readonly string[] },
  column: string,
): string {
  const value = cell(table, row.cells, column);
  if (!value) throw metadataError(table.file, `line ${row.line}: column "${column}" is empty`);
  return value;
}
