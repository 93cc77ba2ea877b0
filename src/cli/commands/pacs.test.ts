/**
 * The PACS commands as a site runs them (child processes) against a real Orthanc started here:
 * - `pacs echo|query|retrieve --screen --send-results`: a study goes out and its SR comes back;
 * - a PACS that refuses the SR (a Lua filter) leaves it queued on disk with the PACS's reason, and
 *   after both restart (Orthanc accepting, the headless node again) the node sends it;
 * - two headless nodes (`receive --screen --send-results-to`) behind one Orthanc that routes every
 *   new CR/DX film to both end with exactly one SR per study in Orthanc.
 */
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HAVE_DCMTK, storescu } from '../../main/platform/dicom-network/testing/test-support';
import { freePort, startOrthanc, type Orthanc } from '../../main/features/pacs/testing/orthanc';
import { makeTestStudies, type TestStudy } from '../../main/features/pacs/testing/test-studies';
import { dciodvfyErrors } from '../../main/platform/reporting/testing/test-support';
import { runCli, spawnCli, type CliProcess } from '../testing/test-support';

interface OrthancSeries {
  MainDicomTags: { Modality: string };
  Instances: string[];
}

/** Orthanc's id of a study, by Study Instance UID. */
async function orthancStudyId(orthanc: Orthanc, studyInstanceUid: string): Promise<string> {
  const [found] = await orthanc.rest<{ ID: string }[]>('POST', '/tools/lookup', studyInstanceUid);
  return found.ID;
}

/** SR instances Orthanc holds in a study. */
async function srInstances(orthanc: Orthanc, studyInstanceUid: string): Promise<string[]> {
  const id = await orthancStudyId(orthanc, studyInstanceUid);
  const series = await orthanc.rest<OrthancSeries[]>('GET', `/studies/${id}/series`);
  return series.filter((s) => s.MainDicomTags.Modality === 'SR').flatMap((s) => s.Instances);
}

async function until(what: string, check: () => Promise<boolean>, timeoutMs = 240_000) {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 500));
  }
}

async function stopNode(node: CliProcess): Promise<void> {
  node.kill('SIGTERM');
  const exit = await node.done;
  expect(exit.code, exit.stderr).toBe(0);
}

describe.skipIf(!HAVE_DCMTK)('covidnet pacs / receive against Orthanc', () => {
  let scratch: string;
  let studies: TestStudy[];

  beforeAll(async () => {
    scratch = await mkdtemp(join(tmpdir(), 'pacs-cli-'));
    studies = await makeTestStudies(join(scratch, 'studies'), 8, 'CLI');
  });
  afterAll(async () => {
    if (scratch) await rm(scratch, { recursive: true, force: true });
  });

  it('echo, query and retrieve --screen --send-results: the SR lands in the same study', async () => {
    const port = await freePort();
    const orthanc = await startOrthanc({ modalities: { cli: ['CLINODE', '127.0.0.1', port] } });
    try {
      for (const study of studies.slice(0, 2)) await orthanc.upload(await readFile(study.path));
      const pacs = `${orthanc.aeTitle}@127.0.0.1:${orthanc.dicomPort}`;

      const echo = await runCli(['pacs', 'echo', '--pacs', pacs, '--ae', 'CLINODE']);
      expect(echo.code, echo.stderr).toBe(0);
      expect(echo.stdout).toMatch(/answered C-ECHO/);
      const refused = await runCli(['pacs', 'echo', '--pacs', pacs, '--ae', 'STRANGER']);
      expect(refused.code).toBe(1);
      expect(refused.stderr).toMatch(/refused the association/);
      const badHost = await runCli(['pacs', 'echo', '--pacs', 'ORTHANC@pacs.example:104']);
      expect(badHost.code).toBe(2);
      expect(badHost.stderr).toMatch(/must be an IP address/);

      const query = await runCli([
        'pacs',
        'query',
        '--pacs',
        pacs,
        '--ae',
        'CLINODE',
        '--patient-id',
        studies[1].patientId,
        '--json',
      ]);
      expect(query.code, query.stderr).toBe(0);
      const found = JSON.parse(query.stdout) as { studyInstanceUid: string }[];
      expect(found.map((s) => s.studyInstanceUid)).toEqual([studies[1].studyInstanceUid]);

      const retrieve = await runCli([
        'pacs',
        'retrieve',
        '--pacs',
        pacs,
        '--ae',
        'CLINODE',
        '--port',
        String(port),
        '--inbox',
        join(scratch, 'cli-inbox'),
        '--store',
        join(scratch, 'cli-store'),
        '--study',
        studies[1].studyInstanceUid,
        '--screen',
        '--send-results',
        '--send-heatmap',
        '--send-pdf',
      ]);
      expect(retrieve.code, `${retrieve.stdout}\n${retrieve.stderr}`).toBe(0);
      expect(retrieve.stdout).toMatch(/Retrieved 1 studies, 1 instances/);
      expect(retrieve.stdout).toMatch(/screened/);
      expect(retrieve.stdout).toMatch(/^sent sr\+sc\+encapsulatedPdf of /m);
      expect(await srInstances(orthanc, studies[1].studyInstanceUid)).toHaveLength(1);
      // The heatmap capture and the Encapsulated PDF: each in its own series of the same study.
      const id = await orthancStudyId(orthanc, studies[1].studyInstanceUid);
      const series = await orthanc.rest<OrthancSeries[]>('GET', `/studies/${id}/series`);
      expect(series.map((s) => s.MainDicomTags.Modality).sort()).toEqual(
        ['CR', 'DOC', 'OT', 'SR'].sort(),
      );
      for (const s of series.filter((s) => s.MainDicomTags.Modality !== 'CR')) {
        const file = join(scratch, `roundtrip-${s.MainDicomTags.Modality}.dcm`);
        await writeFile(file, await orthanc.instanceFile(s.Instances[0]));
        expect(dciodvfyErrors(file), s.MainDicomTags.Modality).toEqual([]);
      }
      expect(await srInstances(orthanc, studies[0].studyInstanceUid)).toHaveLength(0);
    } finally {
      await orthanc.stop();
    }
  }, 300_000);

  it('a PACS that refuses the SR leaves it queued on disk; after a restart the node sends it', async () => {
    const nodePort = await freePort();
    const study = studies[0]; // explicit VR LE: storescu sends it as is
    const nodeArgs = [
      'receive',
      '--port',
      String(nodePort),
      '--ae',
      'NODE',
      '--inbox',
      join(scratch, 'refuse-inbox'),
      '--store',
      join(scratch, 'refuse-store'),
      '--outbox',
      join(scratch, 'refuse-outbox'),
      '--allow',
      'MODALITY',
      '--screen',
    ];
    // A PACS that does not know the node yet refuses what it sends.
    let orthanc = await startOrthanc();
    const { dicomPort, httpPort, storageDir } = orthanc;
    const pacs = `ORTHANC@127.0.0.1:${dicomPort}`;
    let node = spawnCli([...nodeArgs, '--send-results-to', pacs]);
    try {
      await node.waitFor(/Receiving as NODE/);
      // A modality sends the film to the node.
      const sent = await storescu(nodePort, 'NODE', [study.path], ['-aet', 'MODALITY']);
      expect(sent.code, sent.stderr).toBe(0);
      const refusal = await node.waitFor(
        /not sent \(attempt 1, kept in the outbox\): (.*)/,
        240_000,
      );
      expect(refusal[1]).toMatch(
        /refused the association from NODE: it does not know our AE title/,
      );
      await stopNode(node);

      const [entryDir] = await readdir(join(scratch, 'refuse-outbox'));
      const entry = JSON.parse(
        await readFile(join(scratch, 'refuse-outbox', entryDir, 'entry.json'), 'utf8'),
      ) as { state: string; lastError: string; studyInstanceUid: string };
      expect(entry.state).toBe('failed');
      expect(entry.studyInstanceUid).toBe(study.studyInstanceUid);
      expect(entry.lastError).toMatch(/refused the association/);
      expect(await readdir(join(scratch, 'refuse-outbox', entryDir))).toContain('sr.dcm');
      await orthanc.upload(await readFile(study.path));
      expect(await srInstances(orthanc, study.studyInstanceUid)).toHaveLength(0);

      // Both restart: the PACS now knows the node (same storage and ports), the node sends at start.
      await orthanc.stop({ keepStorage: true });
      orthanc = await startOrthanc({
        modalities: { node: ['NODE', '127.0.0.1', nodePort] },
        storageDir,
        dicomPort,
        httpPort,
      });
      node = spawnCli([...nodeArgs, '--send-results-to', pacs]);
      await node.waitFor(/results of \S+ sent to/, 120_000);
      await stopNode(node);
      expect(await srInstances(orthanc, study.studyInstanceUid)).toHaveLength(1);
    } finally {
      node.kill();
      await orthanc.stop();
    }
  }, 600_000);

  it('two headless nodes behind one routing Orthanc: exactly one SR per study', async () => {
    const ports = [await freePort(), await freePort()];
    // Orthanc forwards every new CR/DX film to both nodes (the strictest case: each study is
    // screened twice, and the name-based SR UIDs must still leave one SR per study).
    const route = `
function OnStoredInstance(instanceId, tags, metadata, origin)
  local modality = tags['Modality']
  if modality == 'CR' or modality == 'DX' then
    SendToModality(instanceId, 'node1')
    SendToModality(instanceId, 'node2')
  end
end
`;
    const orthanc = await startOrthanc({
      modalities: {
        node1: ['NODE1', '127.0.0.1', ports[0]],
        node2: ['NODE2', '127.0.0.1', ports[1]],
      },
      lua: route,
    });
    const pacs = `ORTHANC@127.0.0.1:${orthanc.dicomPort}`;
    const nodes = ports.map((port, i) =>
      spawnCli([
        'receive',
        '--port',
        String(port),
        '--ae',
        `NODE${i + 1}`,
        '--inbox',
        join(scratch, `node${i + 1}-inbox`),
        '--store',
        join(scratch, `node${i + 1}-store`),
        '--outbox',
        join(scratch, `node${i + 1}-outbox`),
        '--allow',
        'ORTHANC',
        '--screen',
        '--send-results-to',
        pacs,
      ]),
    );
    const routed = studies.slice(3, 8);
    try {
      for (const node of nodes) await node.waitFor(/Receiving as NODE/);
      for (const study of routed) await orthanc.upload(await readFile(study.path));
      const sentCount = (node: CliProcess) =>
        (node.stderr().match(/^results of \S+ sent to/gm) ?? []).length;
      await until(
        'both nodes to send every result',
        async () => nodes.every((node) => sentCount(node) >= routed.length),
        480_000,
      );
      for (const node of nodes) await stopNode(node);
      for (const study of routed)
        expect(await srInstances(orthanc, study.studyInstanceUid), study.path).toHaveLength(1);
      // Nothing else: the films and one SR each.
      const statistics = await orthanc.rest<{ CountInstances: number }>('GET', '/statistics');
      expect(statistics.CountInstances).toBe(routed.length * 2);
    } finally {
      for (const node of nodes) node.kill();
      await orthanc.stop();
    }
  }, 600_000);
});
