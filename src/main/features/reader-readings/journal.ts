/**
 * The reader-readings database: an append-only journal, `readings.journal`, in the app's user
 * data. One record per line, `<checksum> <json>\n`, where checksum = the first 16 hex digits of
 * SHA-256 over the JSON text. Why a journal and not SQLite: it needs no native module and no wasm
 * (it installs offline on Node 20 and in Electron with nothing to download or compile), and
 * crash safety is simple to reason about:
 *   - each record is one write() of one whole line, then fsync; `record()` resolves only after
 *     the fsync, so a reading the UI confirmed survives a kill and a power cut;
 *   - a process killed mid-write leaves at most a torn last line: readers skip any line whose
 *     checksum does not match (so a half row is never returned), and opening for append cuts the
 *     torn tail off so the next record starts on a clean line;
 *   - a later record of the same study replaces the earlier one when read (corrections append;
 *     nothing is rewritten in place).
 */
import { createHash, randomBytes } from 'node:crypto';
import { mkdir, open, readFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { cutTornTail } from '../../base/durable-file';
import type { ReaderReading } from '../../../shared/reader-reading';

export const JOURNAL_FILE = 'readings.journal';

/** The CLI's default folder (the app passes one in its user data). */
export function defaultReadingsDir(): string {
  return join(homedir(), '.covidnet-workstation', 'reader-readings');
}

function checksumOf(json: string): string {
  return createHash('sha256').update(json, 'utf8').digest('hex').slice(0, 16);
}

export function encodeRecord(reading: ReaderReading): string {
  const json = JSON.stringify(reading);
  return `${checksumOf(json)} ${json}\n`;
}

/** The reading on one journal line, or null for a torn or damaged line. */
export function decodeRecord(line: string): ReaderReading | null {
  const space = line.indexOf(' ');
  if (space !== 16) return null;
  const json = line.slice(space + 1);
  if (checksumOf(json) !== line.slice(0, space)) return null;
  try {
    return JSON.parse(json) as ReaderReading;
  } catch {
    return null;
  }
}

export interface JournalContents {
  /** Every intact record, in the order written. */
  records: ReaderReading[];
  /** Lines skipped because their checksum did not match (a torn tail counts here until cut off). */
  damagedLines: number;
}

export async function readJournal(dir: string): Promise<JournalContents> {
  let text: string;
  try {
    text = await readFile(join(dir, JOURNAL_FILE), 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { records: [], damagedLines: 0 };
    throw error;
  }
  const records: ReaderReading[] = [];
  let damagedLines = 0;
  for (const line of text.split('\n')) {
    if (line.length === 0) continue;
    const record = decodeRecord(line);
    if (record) records.push(record);
    else damagedLines++;
  }
  return { records, damagedLines };
}

/** The newest reading of every study, newest first. */
export function latestPerStudy(records: readonly ReaderReading[]): ReaderReading[] {
  const latest = new Map<string, ReaderReading>();
  for (const record of records) latest.set(record.studyKey, record);
  return [...latest.values()].reverse();
}

export type NewReading = Omit<ReaderReading, 'id' | 'recordedAt'>;

export interface ReadingJournal {
  readonly dir: string;
  /** Appends one reading; resolves once it is on disk (fsync'd). */
  record(reading: NewReading): Promise<ReaderReading>;
  /** The newest reading of every study, newest first. */
  latest(): Promise<ReaderReading[]>;
  read(): Promise<JournalContents>;
  close(): Promise<void>;
}

export async function openReadingJournal(dir: string): Promise<ReadingJournal> {
  await mkdir(dir, { recursive: true });
  const handle = await open(join(dir, JOURNAL_FILE), 'a+');
  await cutTornTail(handle);
  // Make the journal's directory entry durable once (a new file could vanish on a power cut).
  const dirHandle = await open(dir, 'r');
  try {
    await dirHandle.sync();
  } finally {
    await dirHandle.close();
  }
  // Appends are chained so two records never interleave their fsyncs.
  let tail: Promise<unknown> = Promise.resolve();
  let closed = false;
  return {
    dir,
    record(reading) {
      if (closed) return Promise.reject(new Error('The readings journal is closed'));
      const full: ReaderReading = {
        ...reading,
        id: `${Date.now().toString(36)}-${randomBytes(4).toString('hex')}`,
        recordedAt: new Date().toISOString(),
      };
      const written = tail.then(async () => {
        // One write per record: a kill can tear only this line.
        await handle.write(encodeRecord(full));
        await handle.sync();
        return full;
      });
      tail = written.catch(() => undefined);
      return written;
    },
    async latest() {
      await tail;
      return latestPerStudy((await readJournal(dir)).records);
    },
    async read() {
      await tail;
      return readJournal(dir);
    },
    async close() {
      if (closed) return;
      closed = true;
      await tail;
      await handle.close();
    },
  };
}
