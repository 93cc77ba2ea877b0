/**
 * The receiver as a modality sees it: the `receive` CLI in a child process (under the network
 * trap), driven by DCMTK's echoscu and storescu. Instances are the shared DICOM files, copied and
 * given new SOP Instance UIDs with dcmodify where a test needs many distinct ones.
 */
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ScreeningRow } from '../../../shared/screening';
import { DICOM_DIR, testModelDir } from '../inference/testing/test-support';
import { spawnCli, type CliProcess } from '../../../cli/testing/test-support';
import { instanceFileName, INCOMING_DIR } from './inbox-files';
import {
  CORPUS_SOURCES,
  dumpValues,
  HAVE_DCMTK,
  makeInstances,
  run,
  storescu,
  writeProfile,
} from './testing/test-support';

const AE = 'COVIDNET';

let scratch: string;
let trapLog: string;
let sourceDir: string;
/** Source files of the 1,000-instance corpus (shared files plus two DCMTK-made fixtures). */
let corpus: string[];

interface Receiver extends CliProcess {
  port: number;
}

async function startReceiver(args: string[]): Promise<Receiver> {
  const child = spawnCli(['receive', '--port', '0', '--ae', AE, ...args], { trapLog });
  try {
    const ready = await child.waitFor(/Receiving as \S+ on 127\.0\.0\.1:(\d+)/, 60_000);
    return { ...child, port: Number(ready[1]) };
  } catch (error) {
    child.kill('SIGKILL');
    throw error;
  }
}

async function stopReceiver(receiver: Receiver): Promise<void> {
  receiver.kill('SIGTERM');
  const { code } = await receiver.done;
  expect(code, receiver.stderr()).toBe(0);
}

/** The data set of a Part 10 file: what follows group 0002 (its length from (0002,0000)). */
function datasetOf(file: Buffer): Buffer {
  expect(file.toString('latin1', 128, 132)).toBe('DICM');
  expect(file.readUInt32LE(132)).toBe(0x00000002); // (0002,0000) first
  return file.subarray(144 + file.readUInt32LE(140));
}

async function inboxFiles(inbox: string): Promise<string[]> {
  return (await readdir(inbox)).filter((n) => n.endsWith('.dcm')).sort();
}

/** Every instance in `files` is in the inbox once, with the data set byte-identical. */
async function expectStoredAsSent(inbox: string, files: string[]): Promise<void> {
  const expected = new Map<string, string>();
  const uids = await dumpValues(files, '0008,0018');
  files.forEach((file, i) => expected.set(instanceFileName(uids[i]), file));
  expect(await inboxFiles(inbox)).toEqual([...expected.keys()].sort());
  for (const [name, sent] of expected) {
    const stored = await readFile(join(inbox, name));
    const original = await readFile(sent);
    expect(datasetOf(stored).equals(datasetOf(original)), name).toBe(true);
  }
  // Stored in the syntax it was sent in (and a Part 10 file dcmdump reads).
  const names = [...expected.keys()];
  expect(
    await dumpValues(
      names.map((name) => join(inbox, name)),
      '0002,0010',
    ),
  ).toEqual(
    await dumpValues(
      names.map((name) => expected.get(name) as string),
      '0002,0010',
    ),
  );
}

describe.skipIf(!HAVE_DCMTK)('DICOM receiver (dcmtk)', () => {
  let profile: string;

  beforeAll(async () => {
    scratch = await mkdtemp(join(tmpdir(), 'covidnet-receiver-'));
    trapLog = join(scratch, 'network-trap.jsonl');
    // Fixtures for the two syntaxes the shared files lack, made with DCMTK from a shared file.
    sourceDir = join(scratch, 'sources');
    await mkdir(sourceDir);
    const mr = join(DICOM_DIR, 'mr_small_explicit_big_endian.dcm');
    await run('dcmcjpeg', ['+el', mr, join(sourceDir, 'mr_small_jpeg_lossless_sv6.dcm')]);
    const cr = join(DICOM_DIR, 'barre_cr_mono1_10bit_chest_explicit_le.dcm'); // unsigned, for NEAR
    await run('dcmcjpls', ['+en', cr, join(sourceDir, 'cr_jpegls_near_lossless.dcm')]);
    corpus = [
      ...CORPUS_SOURCES.map((name) => join(DICOM_DIR, name)),
      join(sourceDir, 'mr_small_jpeg_lossless_sv6.dcm'),
      join(sourceDir, 'cr_jpegls_near_lossless.dcm'),
    ];
    profile = join(scratch, 'each.cfg');
    await writeProfile(corpus, profile);
  }, 120_000);
  afterAll(async () => {
    if (scratch) await rm(scratch, { recursive: true, force: true });
  });

  it('answers C-ECHO, refuses unknown calling AEs and unsupported transfer syntaxes, and stores 1,000 instances from 4 concurrent senders exactly once, byte-identical', async () => {
    const inbox = join(scratch, 'inbox');
    const receiver = await startReceiver([
      '--inbox',
      inbox,
      '--allow',
      'SENDER1,SENDER2,SENDER3,SENDER4,ECHOSCU',
    ]);
    try {
      const echo = await run('echoscu', ['-aec', AE, '127.0.0.1', String(receiver.port)]);
      expect(echo.stderr).toBe('');

      // Not on the allow-list: rejected at association, nothing stored.
      const intruder = await storescu(receiver.port, AE, [corpus[0]], ['-aet', 'INTRUDER']);
      expect(intruder.code).not.toBe(0);
      expect(intruder.stderr).toMatch(/Calling AE Title Not Recognized/);
      // Wrong called AE title: rejected too.
      const wrongCalled = await run('echoscu', [
        '-aec',
        'OTHER',
        '127.0.0.1',
        String(receiver.port),
      ]).catch((e: { stderr: string }) => e);
      expect(wrongCalled.stderr).toMatch(/Called AE Title Not Recognized/);

      // Deflated explicit VR LE is not among the accepted syntaxes: refused at negotiation.
      const deflatedProfile = join(scratch, 'deflated.cfg');
      await writeFile(
        deflatedProfile,
        [
          '[[TransferSyntaxes]]',
          '[Deflated]',
          'TransferSyntax1 = 1.2.840.10008.1.2.1.99',
          '[[PresentationContexts]]',
          '[D]',
          'PresentationContext1 = 1.2.840.10008.5.1.4.1.1.7\\Deflated',
          '[[Profiles]]',
          '[D]',
          'PresentationContexts = D',
        ].join('\n'),
      );
      const deflated = await storescu(
        receiver.port,
        AE,
        [join(DICOM_DIR, 'ot_deflated_explicit_le.dcm')],
        ['-aet', 'SENDER1', '-xf', deflatedProfile, 'D'],
      );
      expect(deflated.code).not.toBe(0);
      expect(deflated.stderr).toMatch(/No Acceptable Presentation Contexts/);
      expect(await inboxFiles(inbox)).toEqual([]);

      // 1,000 distinct instances, 250 per sender, all at once.
      const files = await makeInstances(join(scratch, 'corpus'), corpus, 1000);
      const senders = [0, 1, 2, 3].map((s) =>
        storescu(
          receiver.port,
          AE,
          files.filter((_, i) => i % 4 === s),
          ['-aet', `SENDER${s + 1}`, '-xf', profile, 'Each'],
        ),
      );
      for (const sent of await Promise.all(senders)) expect(sent.code, sent.stderr).toBe(0);
      await expectStoredAsSent(inbox, files);

      // A re-send is accepted and not stored twice.
      const again = await storescu(receiver.port, AE, files.slice(0, 20), [
        '-aet',
        'SENDER2',
        '-xf',
        profile,
        'Each',
      ]);
      expect(again.code, again.stderr).toBe(0);
      expect(await inboxFiles(inbox)).toHaveLength(1000);
      expect(await readdir(join(inbox, INCOMING_DIR))).toEqual([]);

      // Still serving after all that.
      await run('echoscu', ['-aec', AE, '127.0.0.1', String(receiver.port)]);
    } finally {
      await stopReceiver(receiver);
    }
  }, 600_000);

  it('leaves no partial file when killed mid-transfer, and a restart accepts the re-send', async () => {
    const inbox = join(scratch, 'inbox-kill');
    // Large instances (7 MB each), so the kill lands while one is being written.
    const files = await makeInstances(
      join(scratch, 'large'),
      [join(DICOM_DIR, 'wg04_rg1_chest_cr_mono1_15bit_explicit_le.dcm')],
      6,
    );
    const profileLarge = join(scratch, 'large.cfg');
    await writeProfile(files, profileLarge);
    const first = await startReceiver(['--inbox', inbox]);
    const sending = storescu(first.port, AE, files, ['-xf', profileLarge, 'Each']);
    let partial: string | null = null;
    for (let i = 0; i < 4000 && partial === null; i++) {
      const names = await readdir(join(inbox, INCOMING_DIR)).catch(() => []);
      for (const name of names) {
        const info = await stat(join(inbox, INCOMING_DIR, name)).catch(() => null);
        if (info && info.size > 1 << 20) partial = name;
      }
      if (partial === null) await new Promise((r) => setTimeout(r, 2));
    }
    first.kill('SIGKILL');
    expect((await first.done).signal).toBe('SIGKILL');
    expect(partial, 'a transfer was in flight when the receiver was killed').not.toBeNull();
    expect((await sending).code).not.toBe(0);

    // What is in the inbox is complete; the instance in flight is not there under its name.
    const names = new Map<string, string>();
    const uids = await dumpValues(files, '0008,0018');
    files.forEach((file, i) => names.set(instanceFileName(uids[i]), file));
    const stored = await inboxFiles(inbox);
    expect(stored.length).toBeLessThan(files.length);
    expect(stored).not.toContain(String(partial).replace(/^\d+-\d+-/, ''));
    const storedFiles = stored.map((name) => names.get(name));
    expect(storedFiles.every((f) => f !== undefined)).toBe(true);
    await expectStoredAsSent(inbox, storedFiles as string[]);

    const second = await startReceiver(['--inbox', inbox]);
    try {
      expect(await readdir(join(inbox, INCOMING_DIR))).toEqual([]); // leftover temporary removed
      const resent = await storescu(second.port, AE, files, ['-xf', profileLarge, 'Each']);
      expect(resent.code, resent.stderr).toBe(0);
      await expectStoredAsSent(inbox, files);
    } finally {
      await stopReceiver(second);
    }
  }, 300_000);

  it('with --screen, every received chest X-ray ends up scored in the store', async () => {
    const inbox = join(scratch, 'inbox-screen');
    const store = join(scratch, 'store');
    const chests = [
      'siim_cxr_cr_mono2_8bit_jpegbaseline.dcm',
      'barre_cr_mono1_10bit_chest_rle.dcm',
      'barre_cr_mono1_10bit_chest_jpegls_lossless.dcm',
      'nih_cxr_dx_mono2_8bit_implicitvr.dcm',
      'nih_cxr_dx_mono2_8bit_jpegls_lossless.dcm',
      'wg04_rg1_chest_cr_mono1_15bit_jpeg_lossless_sv1.dcm',
    ];
    const files = await makeInstances(
      join(scratch, 'screen'),
      [...chests, 'ct_small_explicit_le.dcm'].map((name) => join(DICOM_DIR, name)),
      7,
    );
    const profileScreen = join(scratch, 'screen.cfg');
    await writeProfile(files, profileScreen);
    const receiver = await startReceiver([
      '--inbox',
      inbox,
      '--screen',
      '--model',
      testModelDir(),
      '--store',
      store,
    ]);
    try {
      const sent = await storescu(receiver.port, AE, files, ['-xf', profileScreen, 'Each']);
      expect(sent.code, sent.stderr).toBe(0);
      const jobId = /screening job (\S+)/.exec(receiver.stdout())?.[1] as string;
      expect(jobId).toBeTruthy();
      const rowsFile = join(store, jobId, 'rows.jsonl');
      let rows: ScreeningRow[] = [];
      for (let i = 0; i < 1200 && rows.length < files.length; i++) {
        await new Promise((r) => setTimeout(r, 100));
        if (!existsSync(rowsFile)) continue;
        rows = (await readFile(rowsFile, 'utf8'))
          .split('\n')
          .filter(Boolean)
          .map((l) => JSON.parse(l) as ScreeningRow);
      }
      expect(rows).toHaveLength(files.length);
      const uids = await dumpValues(files, '0008,0018');
      for (const [i, file] of files.entries()) {
        const path = join(inbox, instanceFileName(uids[i]));
        const row = rows.find((r) => r.path === path);
        expect(row, path).toBeDefined();
        if (file.endsWith('ct_small_explicit_le.dcm')) {
          // Not a chest X-ray: set aside (by modality, or by the chest gate), never scored.
          expect(row?.status).not.toBe('ok');
          expect(['NOT_A_CHEST_XRAY_CANDIDATE', 'NOT_A_FRONTAL_CHEST_XRAY']).toContain(
            row?.errorCode,
          );
        } else {
          expect(row?.status, `${file}: ${row?.errorMessage}`).toBe('ok');
          expect(row?.probabilities).toHaveLength(3);
        }
      }
    } finally {
      await stopReceiver(receiver);
    }
  }, 300_000);

  it('listened on loopback only and made no network connection (network trap)', async () => {
    const entries = (await readFile(trapLog, 'utf8'))
      .split('\n')
      .filter(Boolean)
      .map(
        (l) =>
          JSON.parse(l) as { attempt?: string; listen?: string; accepted?: string; local?: string },
      );
    expect(entries.filter((e) => e.attempt)).toEqual([]);
    const listens = entries.filter((e) => e.listen !== undefined).map((e) => e.listen);
    expect(listens.length).toBeGreaterThanOrEqual(4); // one per receiver start
    for (const listen of listens) expect(listen).toMatch(/^127\.0\.0\.1:0$/);
    const accepted = entries.filter((e) => e.accepted !== undefined).map((e) => e.accepted);
    expect(accepted.length).toBeGreaterThan(0);
    for (const peer of accepted) expect(peer).toBe('127.0.0.1');
  });
});
