/**
 * Against a real PACS (Debian's Orthanc, started here on loopback with temporary storage): 20
 * one-film studies are queried (C-FIND with each filter), retrieved by C-MOVE into the app's own
 * receiver (every instance once, data set byte-identical to what Orthanc holds), screened by the
 * inbox's screening job, and their SRs C-STOREd back; Orthanc's REST API then shows one SR in its
 * own series of each study, which still passes dciodvfy, dsrdump and PixelMed. Our receiver still
 * refuses a calling AE that is not on its allow-list.
 */
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDicomInbox, type DicomInbox } from '../../app/dicom-inbox';
import { createScreeningJobs, type ScreeningJobs } from '../../app/screening-jobs';
import { instanceFileName } from '../../platform/dicom-network';
import { HAVE_DCMTK } from '../../platform/dicom-network/testing/test-support';
import { createInferenceEngine, type InferenceEngine } from '../../platform/inference';
import { testModelDir } from '../../platform/inference/testing/test-support';
import { workstationDevice } from '../../platform/reporting';
import {
  dciodvfyErrors,
  pixelmedSrErrors,
  runTool,
} from '../../platform/reporting/testing/test-support';
import { echo, findStudies, type PacsPeer } from './client';
import { createOutbox } from './outbox';
import { freePort, startOrthanc, type Orthanc } from './testing/orthanc';
import { retrieveStudies, type RetrievedStudy } from './retrieve';
import { queueFilmResults } from './send';
import { datasetOf, makeTestStudies, type TestStudy } from './testing/test-studies';

const OUR_AE = 'COVIDNET';
const STUDY_COUNT = 20;

interface OrthancStudy {
  ID: string;
  MainDicomTags: { StudyInstanceUID: string };
  Series: string[];
}
interface OrthancSeries {
  ID: string;
  MainDicomTags: { Modality: string; SeriesInstanceUID: string };
  Instances: string[];
}

describe.skipIf(!HAVE_DCMTK)('PACS round trip against Orthanc', () => {
  let scratch: string;
  let orthanc: Orthanc;
  let studies: TestStudy[];
  let receiverPort: number;
  let peer: PacsPeer;
  let engine: InferenceEngine;
  let jobs: ScreeningJobs;
  let inbox: DicomInbox;
  let retrieved: RetrievedStudy[];
  const orthancIds = new Map<string, string>(); // SOP Instance UID -> Orthanc instance id
  /** One entry per instance the receiver stored (true: new, false: a repeat of one it had). */
  const storedEvents: boolean[] = [];

  beforeAll(async () => {
    scratch = await mkdtemp(join(tmpdir(), 'pacs-test-'));
    studies = await makeTestStudies(join(scratch, 'studies'), STUDY_COUNT);
    receiverPort = await freePort();
    orthanc = await startOrthanc({
      modalities: { workstation: [OUR_AE, '127.0.0.1', receiverPort] },
    });
    for (const study of studies)
      orthancIds.set(study.sopInstanceUid, await orthanc.upload(await readFile(study.path)));
    peer = {
      aeTitle: orthanc.aeTitle,
      host: '127.0.0.1',
      port: orthanc.dicomPort,
      callingAeTitle: OUR_AE,
    };
    engine = await createInferenceEngine({ modelDir: testModelDir(), intraOpThreads: 1 });
    jobs = createScreeningJobs({ engine, storeDir: join(scratch, 'store') });
    inbox = await startDicomInbox({
      port: receiverPort,
      aeTitle: OUR_AE,
      inbox: join(scratch, 'inbox'),
      allowedCallingAeTitles: [orthanc.aeTitle],
      screening: { jobs, storeDir: join(scratch, 'store'), modelSha256: engine.manifest.sha256 },
      onEvent: (event) => {
        if (event.type === 'stored') storedEvents.push(event.instance.isNew);
      },
    });
  });

  afterAll(async () => {
    await inbox?.stop().catch(() => undefined);
    await jobs?.dispose();
    await engine?.dispose();
    await orthanc?.stop();
    if (scratch) await rm(scratch, { recursive: true, force: true });
  });

  it('answers C-ECHO, and Orthanc refuses an AE it does not know', async () => {
    expect((await echo(peer)).ok).toBe(true);
    const foreign = await echo({ ...peer, callingAeTitle: 'STRANGER' });
    expect(foreign.ok).toBe(false);
    expect(foreign.error?.code).toBe('PACS_ERROR');
    expect(foreign.error?.message).toMatch(
      /refused the association from STRANGER: it does not know our AE title/,
    );
  });

  it('finds the 20 studies at study level, and each filter narrows them', async () => {
    const all = await findStudies(peer, {});
    expect(all.map((s) => s.studyInstanceUid).sort()).toEqual(
      studies.map((s) => s.studyInstanceUid).sort(),
    );
    const third = studies[2];
    const byId = await findStudies(peer, { patientId: third.patientId });
    expect(byId.map((s) => s.studyInstanceUid)).toEqual([third.studyInstanceUid]);
    expect(byId[0].patientName).toBe(third.patientName);
    expect(byId[0].accessionNumber).toBe(third.accessionNumber);
    expect(byId[0].numberOfInstances).toBe(1);
    const byName = await findStudies(peer, { patientName: 'PACS^Patient1*' });
    expect(byName.map((s) => s.patientName).sort()).toEqual(
      studies
        .map((s) => s.patientName)
        .filter((n) => n.startsWith('PACS^Patient1'))
        .sort(),
    );
    const byAccession = await findStudies(peer, { accessionNumber: studies[7].accessionNumber });
    expect(byAccession.map((s) => s.studyInstanceUid)).toEqual([studies[7].studyInstanceUid]);
    const byDate = await findStudies(peer, { studyDateFrom: '20261103', studyDateTo: '20261105' });
    expect(byDate.map((s) => s.studyDate).sort()).toEqual(['20261103', '20261104', '20261105']);
    // Modality: the CR films only (SIIM and Barre), then DX only.
    const cr = await findStudies(peer, { modalities: ['CR'] });
    const dx = await findStudies(peer, { modalities: ['DX'] });
    expect(cr.length + dx.length).toBe(STUDY_COUNT);
    expect(cr.every((s) => s.modalitiesInStudy.includes('CR'))).toBe(true);
    expect(cr.length).toBeGreaterThan(0);
  });

  it(
    'retrieves every study by C-MOVE into the inbox: each instance once, byte-identical',
    {
      timeout: 300_000,
    },
    async () => {
      const progress: number[] = [];
      retrieved = await retrieveStudies({
        peer,
        studyInstanceUids: studies.map((s) => s.studyInstanceUid),
        destinationAeTitle: OUR_AE,
        inboxDir: inbox.inbox,
        onProgress: (counts) => progress.push(counts.completed),
      });
      expect(retrieved).toHaveLength(STUDY_COUNT);
      expect(progress.at(-1)).toBe(STUDY_COUNT);
      const names = (await readdir(inbox.inbox)).filter((n) => n.endsWith('.dcm')).sort();
      expect(names).toEqual(studies.map((s) => instanceFileName(s.sopInstanceUid)).sort());
      // Each instance arrived once: 20 stores, none a repeat.
      expect(storedEvents).toEqual(studies.map(() => true));
      for (const study of studies) {
        const stored = await readFile(join(inbox.inbox, instanceFileName(study.sopInstanceUid)));
        const held = await orthanc.instanceFile(orthancIds.get(study.sopInstanceUid) ?? '');
        expect(datasetOf(stored).equals(datasetOf(held)), study.path).toBe(true);
      }
    },
  );

  it('our receiver still refuses a calling AE that is not allowed', async () => {
    const result = await echo({
      aeTitle: OUR_AE,
      host: '127.0.0.1',
      port: receiverPort,
      callingAeTitle: 'FOREIGN',
    });
    expect(result.ok).toBe(false);
    expect(result.error?.message).toMatch(/refused/);
  });

  it('screens the retrieved films, sends each SR back into its study, and the SRs still validate', async () => {
    const jobId = inbox.jobId ?? '';
    const summary = await inbox.stop();
    expect(summary?.done).toBe(STUDY_COUNT);
    const { rows } = await jobs.results(jobId);
    expect(rows).toHaveLength(STUDY_COUNT);
    expect(rows.every((row) => row.status === 'ok' || row.status === 'rejected')).toBe(true);

    const outbox = createOutbox({ dir: join(scratch, 'outbox') });
    for (const study of retrieved)
      for (const path of study.files)
        await queueFilmResults({
          engine,
          outbox,
          connectionId: 'orthanc',
          peer,
          path,
          kinds: ['sr'],
          device: workstationDevice('test'),
        });
    const sent = await outbox.sendPending();
    expect(sent).toHaveLength(STUDY_COUNT);
    expect(sent.filter((entry) => entry.state !== 'sent').map((e) => e.lastError)).toEqual([]);

    const srFiles: string[] = [];
    for (const study of studies) {
      const [found] = await orthanc.rest<{ ID: string }[]>(
        'POST',
        '/tools/lookup',
        study.studyInstanceUid,
      );
      const orthancStudy = await orthanc.rest<OrthancStudy>('GET', `/studies/${found.ID}`);
      const series = await Promise.all(
        orthancStudy.Series.map((id) => orthanc.rest<OrthancSeries>('GET', `/series/${id}`)),
      );
      const srSeries = series.filter((s) => s.MainDicomTags.Modality === 'SR');
      expect(srSeries, study.path).toHaveLength(1);
      expect(srSeries[0].Instances).toHaveLength(1);
      // Its own series, not the film's.
      const filmSeries = series.filter((s) => s.MainDicomTags.Modality !== 'SR');
      expect(filmSeries).toHaveLength(1);
      expect(srSeries[0].MainDicomTags.SeriesInstanceUID).not.toBe(
        filmSeries[0].MainDicomTags.SeriesInstanceUID,
      );
      const file = join(scratch, `${study.patientId}.sr.dcm`);
      await writeFile(file, await orthanc.instanceFile(srSeries[0].Instances[0]));
      srFiles.push(file);
    }
    for (const file of srFiles) {
      expect(dciodvfyErrors(file), file).toEqual([]);
      const dump = runTool('dsrdump', [file]);
      expect(dump.status, dump.stderr).toBe(0);
      expect(dump.stdout).toMatch(/Imaging Measurement Report/);
      expect(`${dump.stdout}${dump.stderr}`).not.toMatch(/^E: /m);
    }
    // PixelMed's TID 1500 check is slow (a JVM each): three of the twenty.
    for (const file of srFiles.slice(0, 3)) {
      const { errors, output } = pixelmedSrErrors(file);
      expect(errors, output).toEqual([]);
    }
  }, 600_000);

  it('cancels a retrieve part-way: the promise rejects with CANCELLED and the moves stop', async () => {
    // A plain receiver this time, into its own folder (the screening one stops, if still up).
    await inbox.stop();
    const plain = await startDicomInbox({
      port: receiverPort,
      aeTitle: OUR_AE,
      inbox: join(scratch, 'inbox-cancel'),
      allowedCallingAeTitles: [orthanc.aeTitle],
    });
    const controller = new AbortController();
    let studiesDone = 0;
    const cancelled = retrieveStudies({
      peer,
      studyInstanceUids: studies.map((s) => s.studyInstanceUid),
      destinationAeTitle: OUR_AE,
      inboxDir: plain.inbox,
      signal: controller.signal,
      onProgress: (counts) => {
        studiesDone = counts.studiesDone;
        if (counts.completed >= 1) controller.abort();
      },
    });
    await expect(cancelled).rejects.toMatchObject({ code: 'CANCELLED' });
    expect(studiesDone).toBeLessThan(STUDY_COUNT);
    // The association is closed: a new query works at once.
    expect((await echo(peer)).ok).toBe(true);
    await plain.stop();
    // Fewer than all of Orthanc's instances came (the studies' films, and their SRs if sent).
    const arrived = (await readdir(plain.inbox)).filter((n) => n.endsWith('.dcm'));
    const held = await orthanc.rest<{ CountInstances: number }>('GET', '/statistics');
    expect(arrived.length).toBeLessThan(held.CountInstances);
  });
});
