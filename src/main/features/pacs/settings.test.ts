/**
 * PACS settings without a PACS: addresses as the user types them (IP addresses only, nothing is
 * looked up), the connection store (validated on save and on read, kept across restarts), the
 * IPC contract refusing what the settings refuse, and an unreachable PACS answered as a failed
 * echo (a reply, not a crash) and a failed outbox entry kept on disk with the reason.
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ipcContract } from '../../../shared/ipc/contract';
import { DICOM_DIR } from '../../platform/inference/testing/test-support';
import type { PacsConnection } from '../../../shared/pacs';
import { parsePacsAddress } from './address';
import { echo } from './client';
import { createConnectionStore } from './connections';
import { createOutbox } from './outbox';
import { freePort } from './testing/orthanc';
import { resultUids } from './results';

let scratch: string;
beforeAll(async () => {
  scratch = await mkdtemp(join(tmpdir(), 'pacs-settings-'));
});
afterAll(async () => {
  await rm(scratch, { recursive: true, force: true });
});

const CONNECTION: PacsConnection = {
  id: 'radiology',
  name: 'Radiology PACS',
  aeTitle: 'PACS',
  host: '127.0.0.1',
  port: 4242,
  callingAeTitle: 'COVIDNET',
};

describe('PACS addresses', () => {
  it('parses AET@host:port with an IP address, and refuses names and bad parts', () => {
    expect(parsePacsAddress('ORTHANC@127.0.0.1:4242')).toEqual({
      aeTitle: 'ORTHANC',
      host: '127.0.0.1',
      port: 4242,
    });
    expect(parsePacsAddress('PACS@[::1]:104')).toEqual({ aeTitle: 'PACS', host: '::1', port: 104 });
    expect(() => parsePacsAddress('PACS@pacs.example.org:104')).toThrow(/IP address/);
    expect(() => parsePacsAddress('PACS@127.0.0.1:70000')).toThrow(/port/);
    expect(() => parsePacsAddress('AN_AE_TITLE_TOO_LONG@127.0.0.1:104')).toThrow();
    expect(() => parsePacsAddress('127.0.0.1:104')).toThrow(/AET@host:port/);
  });
});

describe('PACS connection settings', () => {
  it('saves several connections, keeps them across a restart, and removes one', async () => {
    const file = join(scratch, 'connections.json');
    const store = createConnectionStore(file);
    expect(await store.list()).toEqual([]);
    await store.save(CONNECTION);
    await store.save({ ...CONNECTION, id: 'research', name: 'Research Orthanc', port: 4343 });
    // A second store over the same file is the app after a restart.
    const again = createConnectionStore(file);
    expect((await again.list()).map((c) => c.name)).toEqual(['Radiology PACS', 'Research Orthanc']);
    await again.save({ ...CONNECTION, port: 104 });
    expect((await again.get('radiology')).port).toBe(104);
    expect((await again.remove('research')).map((c) => c.id)).toEqual(['radiology']);
  });

  it('refuses an invalid connection on save, and a damaged settings file on read', async () => {
    const store = createConnectionStore(join(scratch, 'strict.json'));
    await expect(store.save({ ...CONNECTION, host: 'pacs.example.org' })).rejects.toThrow();
    await expect(store.save({ ...CONNECTION, aeTitle: 'BACK\\SLASH' })).rejects.toThrow();
    const damaged = join(scratch, 'damaged.json');
    await writeFile(
      damaged,
      JSON.stringify({ connections: [{ ...CONNECTION, host: 'evil.example.org' }] }),
    );
    await expect(createConnectionStore(damaged).list()).rejects.toThrow(/not valid/);
  });

  it('the IPC contract refuses what the settings refuse', () => {
    const save = ipcContract['pacs:saveConnection'].request;
    expect(save.safeParse(CONNECTION).success).toBe(true);
    expect(save.safeParse({ ...CONNECTION, host: 'pacs.example.org' }).success).toBe(false);
    expect(save.safeParse({ ...CONNECTION, port: 0 }).success).toBe(false);
    expect(save.safeParse({ ...CONNECTION, extra: 1 }).success).toBe(false);
    const query = ipcContract['pacs:query'].request;
    expect(
      query.safeParse({ connectionId: 'radiology', query: { studyDateFrom: '20261301' } }).success,
    ).toBe(false);
    expect(
      query.safeParse({ connectionId: 'radiology', query: { patientName: 'A\\B' } }).success,
    ).toBe(false);
    expect(
      query.safeParse({ connectionId: 'radiology', query: { modalities: ['CT'] } }).success,
    ).toBe(false);
    expect(
      query.safeParse({
        connectionId: 'radiology',
        query: { patientName: 'DOE^*', studyDateFrom: '20261101', modalities: ['CR', 'DX'] },
      }).success,
    ).toBe(true);
  });
});

describe('an unreachable PACS', () => {
  it('is a failed echo with the reason, and a result stays queued on disk', async () => {
    const closedPort = await freePort();
    const peer = { ...CONNECTION, port: closedPort };
    const result = await echo(peer, { connectTimeoutMs: 3000 });
    expect(result.ok).toBe(false);
    expect(result.error?.code).toBe('PACS_ERROR');
    expect(result.error?.message).toMatch(/cannot talk to PACS at 127\.0\.0\.1/);

    const anSr = new Uint8Array(await readFile(join(DICOM_DIR, 'nopixels_sr.dcm')));
    const outbox = createOutbox({
      dir: join(scratch, 'outbox'),
      timeouts: { connectTimeoutMs: 3000 },
    });
    const uids = resultUids('1.2.3', '1.2.3.4', 1, 'abc', 'sr');
    const entry = await outbox.enqueue({
      connectionId: 'radiology',
      peer,
      sourcePath: '/films/a.dcm',
      results: {
        studyInstanceUid: '1.2.3',
        sourceSopInstanceUid: '1.2.3.4',
        objects: [{ kind: 'sr', sopInstanceUid: uids.sopInstanceUid, bytes: anSr }],
      },
    });
    const [failed] = await outbox.sendPending();
    expect(failed.state).toBe('failed');
    expect(failed.attempts).toBe(1);
    expect(failed.lastError).toMatch(/cannot talk to PACS/);
    // On disk, for the next start.
    const stored = JSON.parse(
      await readFile(join(scratch, 'outbox', entry.entryId, 'entry.json'), 'utf8'),
    ) as { state: string };
    expect(stored.state).toBe('failed');
    expect((await createOutbox({ dir: join(scratch, 'outbox') }).list())[0].state).toBe('failed');
    // The same film, model and kind always get the same UIDs; another kind gets others.
    expect(resultUids('1.2.3', '1.2.3.4', 1, 'abc', 'sr')).toEqual(uids);
    expect(resultUids('1.2.3', '1.2.3.4', 1, 'abc', 'sc').sopInstanceUid).not.toBe(
      uids.sopInstanceUid,
    );
  });
});
