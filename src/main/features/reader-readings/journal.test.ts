/**
 * The reader-readings journal survives a crash: a real child process recording readings is
 * killed with SIGKILL at random moments, and every reading it had confirmed is still there, whole,
 * with no half row returned; a torn last line (what a kill inside a write, or a power cut, leaves)
 * is skipped on read and cut off before the next append.
 */
import { spawn } from 'node:child_process';
import { appendFile, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { READER_LABELS } from '../../../shared/reader-reading';
import { REPO_ROOT } from '../../platform/inference/testing/test-support';
import { JOURNAL_FILE, encodeRecord, openReadingJournal, readJournal } from './journal';
import { newReading, readingsCsv } from './index';

const CHILD = join(
  REPO_ROOT,
  'src/main/features/reader-readings/testing/journal-writer.test-child.ts',
);

let scratch: string;
beforeAll(async () => {
  scratch = await mkdtemp(join(tmpdir(), 'covidnet-readings-'));
});
afterAll(async () => {
  await rm(scratch, { recursive: true, force: true });
});

/** Runs the writer until it has confirmed `atLeast` readings, then SIGKILLs it. */
function writeThenKill(
  dir: string,
  round: number,
  atLeast: number,
): Promise<{ confirmed: string[]; signal: string | null }> {
  const child = spawn(process.execPath, ['--import', 'tsx', CHILD, dir, String(round)], {
    cwd: REPO_ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const confirmed: string[] = [];
  let buffered = '';
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  child.stdout.on('data', (d: Buffer) => {
    buffered += d.toString();
    const lines = buffered.split('\n');
    buffered = lines.pop() ?? '';
    for (const line of lines) if (line.startsWith('ok ')) confirmed.push(line.slice(3));
    // Kill while the writer is in the middle of its loop (it never pauses between records).
    if (confirmed.length >= atLeast && child.exitCode === null) child.kill('SIGKILL');
  });
  return new Promise((resolve, reject) =>
    child.on('close', (code, signal) => {
      if (signal !== 'SIGKILL') reject(new Error(`writer exited ${code}: ${stderr}`));
      else resolve({ confirmed, signal });
    }),
  );
}

describe('reader readings journal', () => {
  it('keeps every confirmed reading, whole, across five SIGKILLs mid-write', async () => {
    const dir = join(scratch, 'killed');
    const allConfirmed: string[] = [];
    for (let round = 0; round < 5; round++) {
      const { confirmed, signal } = await writeThenKill(dir, round, 20 + round * 17);
      expect(signal).toBe('SIGKILL');
      allConfirmed.push(...confirmed);
      const { records, damagedLines } = await readJournal(dir);
      const ids = new Set(records.map((r) => r.id));
      // Nothing confirmed is lost ...
      for (const id of allConfirmed) expect(ids.has(id)).toBe(true);
      // ... every record returned is whole (all fields, checksum-verified) ...
      for (const record of records) {
        expect(READER_LABELS).toContain(record.reading);
        expect(record.note).toHaveLength(500);
        expect(record.ai?.modelId).toBe('test');
      }
      // ... at most the one record being written at the kill is torn, and it is not returned.
      expect(damagedLines).toBeLessThanOrEqual(1);
      // No duplicates.
      expect(ids.size).toBe(records.length);
    }
    // Reopening cuts any torn tail: the file is then whole lines only.
    const journal = await openReadingJournal(dir);
    await journal.close();
    const text = await readFile(join(dir, JOURNAL_FILE), 'utf8');
    expect(text.endsWith('\n')).toBe(true);
    expect((await readJournal(dir)).damagedLines).toBe(0);
    expect(allConfirmed.length).toBeGreaterThanOrEqual(20 + 37 + 54 + 71 + 88);
  }, 120_000);

  it('skips a torn last line on read and cuts it before the next append', async () => {
    const dir = join(scratch, 'torn');
    const journal = await openReadingJournal(dir);
    const first = await journal.record(
      newReading(
        { reading: 'pneumonia', agreement: 'disagree', note: ' first ', ai: null },
        { path: '/films/a.png' },
      ),
    );
    await journal.close();
    // Half of a second record, as a kill inside the write (or a power cut) would leave it.
    const second = encodeRecord({ ...first, id: 'half', reading: 'COVID-19' });
    await appendFile(join(dir, JOURNAL_FILE), second.slice(0, Math.floor(second.length / 2)));
    const torn = await readJournal(dir);
    expect(torn.records.map((r) => r.id)).toEqual([first.id]);
    expect(torn.damagedLines).toBe(1);

    const reopened = await openReadingJournal(dir);
    const third = await reopened.record(
      newReading(
        { reading: 'normal', agreement: 'agree', note: '', ai: null },
        { path: '/films/a.png' },
      ),
    );
    const all = await reopened.read();
    expect(all.records.map((r) => r.id)).toEqual([first.id, third.id]);
    expect(all.damagedLines).toBe(0);
    // The newer reading of the same study replaces the earlier one.
    const latest = await reopened.latest();
    expect(latest).toHaveLength(1);
    expect(latest[0].reading).toBe('normal');
    expect(first.note).toBe('first');
    await reopened.close();

    const csv = readingsCsv(latest);
    expect(csv.split('\n')[0]).toMatch(/^path,label,agreement_with_ai,/);
    expect(csv).toContain('/films/a.png,normal,agree,');
  });

  it('keys a DICOM reading by its study, a PNG/JPEG reading by its file', () => {
    const dicom = newReading(
      { reading: 'COVID-19', agreement: null, note: '', ai: null },
      { path: '/films/x.dcm', studyInstanceUid: '1.2.3', sopInstanceUid: '1.2.3.4' },
    );
    expect(dicom.studyKey).toBe('1.2.3');
    const png = newReading(
      { reading: 'other', agreement: null, note: '', ai: null },
      { path: '/films/x.png' },
    );
    expect(png.studyKey).toBe('file:/films/x.png');
  });
});
