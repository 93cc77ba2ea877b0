/**
 * The app's PACS service across a restart: a result the user asked to send while the PACS was
 * down stays queued on disk; when the app starts again (a new service over the same folder) it
 * is sent, and Orthanc holds it. Connection handlers validate and persist as the UI uses them.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CodedError } from '../../../shared/errors';
import type { OutboxEntry } from '../../../shared/pacs';
import { DICOM_DIR } from '../../platform/inference/testing/test-support';
import { createOutbox } from './outbox';
import { freePort, startOrthanc } from './testing/orthanc';
import { resultUids } from './results';
import { createPacsService } from './service';

let scratch: string;
beforeAll(async () => {
  scratch = await mkdtemp(join(tmpdir(), 'pacs-service-'));
});
afterAll(async () => {
  await rm(scratch, { recursive: true, force: true });
});

function service(dir: string, changes: OutboxEntry[] = []) {
  return createPacsService({
    dir,
    receiver: () => null,
    engine: () => Promise.reject(new CodedError('MODEL_NOT_FOUND', 'no model in this test')),
    addToLibrary: async () => undefined,
    device: { name: 'test', manufacturer: 'test', softwareVersion: '0' },
    onRetrieveProgress: () => undefined,
    onOutboxChanged: (entry) => changes.push(entry),
  });
}

describe('PACS service', () => {
  it('sends at start what a PACS that was down left queued', async () => {
    const dir = join(scratch, 'app-data');
    const dicomPort = await freePort();
    const peer = {
      aeTitle: 'ORTHANC',
      host: '127.0.0.1',
      port: dicomPort,
      callingAeTitle: 'COVIDNET',
    };
    // Before the restart: the PACS is down, the send fails, the entry stays on disk.
    const before = createOutbox({ dir: join(dir, 'outbox'), timeouts: { connectTimeoutMs: 3000 } });
    const sr = new Uint8Array(await readFile(join(DICOM_DIR, 'nopixels_sr.dcm')));
    await before.enqueue({
      connectionId: 'radiology',
      peer,
      sourcePath: '/films/a.dcm',
      results: {
        studyInstanceUid: '1.2.3',
        sourceSopInstanceUid: '1.2.3.4',
        objects: [
          {
            kind: 'sr',
            sopInstanceUid: resultUids('1.2.3', '1.2.3.4', 1, 'x', 'sr').sopInstanceUid,
            bytes: sr,
          },
        ],
      },
    });
    expect((await before.sendPending())[0].state).toBe('failed');

    const orthanc = await startOrthanc({
      dicomPort,
      modalities: { workstation: ['COVIDNET', '127.0.0.1', 1] },
    });
    try {
      const changes: OutboxEntry[] = [];
      const restarted = service(dir, changes);
      await restarted.resumed;
      const [entry] = await restarted.handlers['pacs:outbox']({}, { senderId: 'test' });
      expect(entry.state).toBe('sent');
      expect(entry.attempts).toBe(2);
      expect(changes.map((c) => c.state)).toEqual(['sending', 'sent']);
      const statistics = await orthanc.rest<{ CountInstances: number }>('GET', '/statistics');
      expect(statistics.CountInstances).toBe(1);
      await restarted.dispose();
    } finally {
      await orthanc.stop();
    }
  });

  it('keeps connections through its handlers and contacts nothing until asked', async () => {
    const pacs = service(join(scratch, 'handlers'));
    const context = { senderId: 'test' };
    const connection = {
      id: 'radiology',
      name: 'Radiology',
      aeTitle: 'PACS',
      host: '127.0.0.1',
      port: await freePort(),
      callingAeTitle: 'COVIDNET',
    };
    expect(await pacs.handlers['pacs:saveConnection'](connection, context)).toEqual([connection]);
    expect(await pacs.handlers['pacs:listConnections']({}, context)).toEqual([connection]);
    // Retrieve needs the receiver running (it is off here): a clear refusal, no network.
    await expect(
      pacs.handlers['pacs:retrieve'](
        { connectionId: 'radiology', studyInstanceUids: ['1.2.3'] },
        context,
      ),
    ).rejects.toThrow(/Start the DICOM receiver/);
    // "Test" is the first contact: nothing listens there, so it says so.
    const echoed = await pacs.handlers['pacs:echo']({ connectionId: 'radiology' }, context);
    expect(echoed.ok).toBe(false);
    expect(await pacs.handlers['pacs:removeConnection']({ id: 'radiology' }, context)).toEqual([]);
    await pacs.dispose();
  });
});
