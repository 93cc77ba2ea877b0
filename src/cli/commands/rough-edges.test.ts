/**
 * The command line as a new user meets it (child processes, real files, real sockets): what a
 * folder with a text file named `.dcm` reports, `segment` saying what it wrote, and the errors for
 * the usual mistakes (an ISO date, a 21-character AE title, a web server where a PACS should be,
 * a truncated JPEG, a heatmap into a missing folder), each said plainly and the path said once.
 */
import { copyFile, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'csv-parse/sync';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CXR_IMAGES, DICOM_DIR, testModelDir } from '../../main/inference/test-support';
import { storeFiles } from '../../main/pacs/client';
import { runCli as runCliInProcess } from '../main';
import { runCli, spawnCli } from '../test-support';

const CHEST_JPEG = join(CXR_IMAGES, 'cohen-16745_4_1_png.jpg');
let scratch: string;
let truncatedJpeg: string;

beforeAll(async () => {
  scratch = await mkdtemp(join(tmpdir(), 'covidnet-rough-edges-'));
  truncatedJpeg = join(scratch, 'cut-short.jpg');
  await writeFile(truncatedJpeg, (await readFile(CHEST_JPEG)).subarray(0, 5000));
});
afterAll(async () => {
  await rm(scratch, { recursive: true, force: true });
});

/** A plain web server: the kind of peer a user reaches by typing the PACS's web port. */
async function withHttpServer<T>(use: (port: number) => Promise<T>): Promise<T> {
  const server: Server = createServer((_req, res) => res.end('hello from a web server'));
  await new Promise<void>((ready) => server.listen(0, '127.0.0.1', ready));
  try {
    return await use((server.address() as AddressInfo).port);
  } finally {
    server.closeAllConnections();
    await new Promise((closed) => server.close(closed));
  }
}

describe('screen on a folder with files that are not what they seem', () => {
  it('counts each file once by what became of it; the CSV says why each row has no result', async () => {
    const folder = join(scratch, 'mixed');
    await mkdir(folder);
    await writeFile(join(folder, 'notes.dcm'), 'these are my notes, not an image\n');
    await writeFile(join(folder, 'README.md'), '# films from the ward\n');
    await copyFile(truncatedJpeg, join(folder, 'cut-short.jpg'));
    await copyFile(CHEST_JPEG, join(folder, 'chest.jpg'));
    // A CT slice: the chest gate turns it away (a verdict on the film, not an error).
    await copyFile(join(DICOM_DIR, 'ct_small_explicit_le.dcm'), join(folder, 'ct.dcm'));
    const store = join(scratch, 'store');
    const csv = join(scratch, 'mixed.csv');
    const args = ['screen', folder, '--model', testModelDir(), '--store', store, '--out', csv];

    const run = await runCli(args);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toContain(
      '4 files: 1 screened, 1 not scored (turned away by the chest gate), 1 skipped (not an image), 1 error',
    );
    expect(run.stdout).toMatch(/rejected NOT_A_FRONTAL_CHEST_XRAY: 1/);
    expect(run.stdout).toMatch(/skipped UNSUPPORTED_FORMAT: 1/);
    expect(run.stdout).toMatch(/error IMAGE_DECODE_ERROR: 1/);
    expect(run.stdout).toContain('1 other file ignored');
    // The progress line's error count is the summary's.
    expect(run.stderr).toMatch(/4\/4 \(100%\) +errors 1 /);

    const records = parse(await readFile(csv, 'utf8'), { columns: true }) as Record<
      string,
      string
    >[];
    const byName = new Map(records.map((r) => [r.path.slice(folder.length + 1), r]));
    expect([...byName.keys()].sort()).toEqual([
      'chest.jpg',
      'ct.dcm',
      'cut-short.jpg',
      'notes.dcm',
    ]);
    expect(byName.get('notes.dcm')).toMatchObject({
      status: 'skipped',
      reason: 'not a DICOM, PNG or JPEG file, whatever its name says: it is a text file',
    });
    expect(byName.get('ct.dcm')?.status).toBe('rejected');
    expect(byName.get('ct.dcm')?.reason).toMatch(/Modality is CT/);
    expect(byName.get('cut-short.jpg')?.status).toBe('error');
    expect(byName.get('cut-short.jpg')?.reason).toMatch(/^the JPEG file is truncated/);
    expect(byName.get('chest.jpg')).toMatchObject({ status: 'ok', reason: '' });
    for (const record of records) expect(record.reason).not.toContain(folder);

    // --resume on the finished job says there is nothing to resume, and writes its results.
    const again = join(scratch, 'again.csv');
    const resumed = await runCli([...args.slice(0, -1), again, '--resume']);
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(resumed.stdout).toMatch(/^Nothing to resume: job \S+ of these folders .* finished at/);
    expect(await readFile(again, 'utf8')).toBe(await readFile(csv, 'utf8'));
  }, 400_000);
});

/** A site profile as `validate --save-profile` leaves it, for the test model (threshold 0.01). */
async function writeSiteProfile(siteDir: string, name: string): Promise<void> {
  const manifest = JSON.parse(await readFile(join(testModelDir(), 'model.json'), 'utf8')) as {
    id: string;
    sha256: string;
  };
  await mkdir(join(siteDir, 'profiles'), { recursive: true });
  const profile = {
    name,
    label: 'COVID-19',
    threshold: 0.01,
    modelId: manifest.id,
    modelSha256: manifest.sha256,
    createdAt: new Date().toISOString(),
    choice: {},
    validation: {},
  };
  await writeFile(
    join(siteDir, 'profiles', 'profiles.json'),
    JSON.stringify({ profiles: [profile], activeProfileName: null }),
  );
}

/** `covidnet receive` as RECEIVER on a free port, its inbox and store named after `name`. */
function spawnReceiver(name: string, extra: string[] = []) {
  return spawnCli([
    'receive',
    '--port',
    '0',
    '--ae',
    'RECEIVER',
    '--inbox',
    join(scratch, `${name}-inbox`),
    '--store',
    join(scratch, `${name}-store`),
    ...extra,
  ]);
}

describe('receive --screen', () => {
  it('logs one line per film and keeps a results CSV, with the site profile named', async () => {
    const siteDir = join(scratch, 'site');
    await writeSiteProfile(siteDir, 'Ward test');
    const receiver = spawnReceiver('receive', [
      '--model',
      testModelDir(),
      '--screen',
      '--site-profile',
      'Ward test',
      '--site-dir',
      siteDir,
    ]);
    try {
      const ready = await receiver.waitFor(
        /Receiving as RECEIVER on 127\.0\.0\.1:(\d+); inbox .*; results (\S+\.csv)/,
        120_000,
      );
      expect(receiver.stderr()).toContain('Site profile "Ward test"');
      const films = ['nih_cxr_dx_mono2_8bit_explicit_le.dcm', 'ct_small_explicit_le.dcm'];
      const sent = await storeFiles(
        {
          aeTitle: 'RECEIVER',
          host: '127.0.0.1',
          port: Number(ready[1]),
          callingAeTitle: 'MODALITY',
        },
        films.map((name) => join(DICOM_DIR, name)),
      );
      expect(sent.map((s) => s.message)).toEqual(['stored', 'stored']);
      const chest = await receiver.waitFor(/^screened (\S+\.dcm): (Call|Uncertain|Unfamiliar).*$/m);
      const ct = await receiver.waitFor(/^screened (\S+\.dcm): Not scored: (.*)$/m);
      expect(ct[2]).toMatch(/Modality is CT/);
      receiver.kill('SIGTERM');
      const exit = await receiver.done;
      expect(exit.code, exit.stderr).toBe(0);
      expect(exit.stdout).toMatch(/Screening job \S+: 2 screened; results /);

      const records = parse(await readFile(ready[2], 'utf8'), { columns: true }) as Record<
        string,
        string
      >[];
      expect(records.map((r) => r.path.split('/').pop()).sort()).toEqual([chest[1], ct[1]].sort());
      const scored = records.find((r) => r.status === 'ok');
      expect(scored?.site_profile).toMatch(/^Ward test \(COVID-19 >= 0\.010*\b/);
      expect(records.find((r) => r.status === 'rejected')?.reason).toMatch(/Modality is CT/);
    } finally {
      receiver.kill('SIGKILL');
      await receiver.done;
    }
  }, 300_000);

  it('pacs retrieve --screen takes --site-profile too (and refuses it without --screen)', async () => {
    const siteDir = join(scratch, 'site-retrieve');
    await writeSiteProfile(siteDir, 'Ward test');
    await withHttpServer(async (port) => {
      const args = [
        'pacs',
        'retrieve',
        '--pacs',
        `PACS@127.0.0.1:${port}`,
        '--port',
        '0',
        '--inbox',
        join(scratch, 'retrieve-inbox'),
        '--store',
        join(scratch, 'retrieve-store'),
        '--study',
        '1.2.3.4',
        '--site-profile',
        'Ward test',
        '--site-dir',
        siteDir,
      ];
      const without = await runCli(args);
      expect(without.code).toBe(2);
      expect(without.stderr).toMatch(/--site-profile needs --screen/);
      const run = await runCli([...args, '--screen', '--model', testModelDir()]);
      expect(run.stderr).toContain('Site profile "Ward test"');
      // The profile was taken; the "PACS" here is a web server, said as such.
      expect(run.code).toBe(1);
      expect(run.stderr).toMatch(/not speaking DICOM/);
    });
  }, 300_000);
});

describe('segment', () => {
  it('says what it wrote and the key figures', async () => {
    const mask = join(scratch, 'mask.png');
    const run = await runCli(['segment', CHEST_JPEG, '--out', mask, '--model', testModelDir()]);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toContain(`Mask:       ${mask}`);
    expect(run.stdout).toMatch(/Lungs: +2 fields, \d+\.\d% of the image/);
    expect(run.stdout).toMatch(/Chest gate: accepted/);
  }, 300_000);
});

describe('errors a new user meets', () => {
  it('a truncated JPEG is said to be truncated, naming the file once', async () => {
    const run = await runCli(['predict', truncatedJpeg, '--model', testModelDir()]);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/the JPEG file is truncated: it ends after 5000 bytes/);
    expect(run.stderr).not.toMatch(/native exception/);
    expect(run.stderr.split(truncatedJpeg)).toHaveLength(2);
  }, 300_000);

  it('a heatmap into a missing folder is refused before any work, naming the folder', async () => {
    const missing = join(scratch, 'no-such-folder');
    const run = await runCli([
      'predict',
      CHEST_JPEG,
      '--model',
      testModelDir(),
      '--heatmap',
      join(missing, 'heatmap.png'),
    ]);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain(`the folder ${missing} does not exist`);
    expect(run.stderr).not.toMatch(/ENOENT|INTERNAL_ERROR/);
  }, 300_000);

  it('an ISO date is taken as the DICOM date; a wrong one is explained, not an internal error', async () => {
    await withHttpServer(async (port) => {
      const pacs = `PACS@127.0.0.1:${port}`;
      // Accepted: the query goes out (to a web server, which is then named as such).
      const iso = await runCli(['pacs', 'query', '--pacs', pacs, '--from', '2024-01-01']);
      expect(iso.code).toBe(1);
      expect(iso.stderr).not.toMatch(/INTERNAL_ERROR/);
      expect(iso.stderr).toMatch(/not speaking DICOM/);
      const wrong = await runCli(['pacs', 'query', '--pacs', pacs, '--from', '2024-13-01']);
      expect(wrong.code).toBe(2);
      expect(wrong.stderr).toMatch(/--from 2024-13-01: expected a date as YYYYMMDD/);
    });
  }, 300_000);

  it('a web server where a PACS should be is named as such, not "Unknown PDU type: 72"', async () => {
    await withHttpServer(async (port) => {
      const run = await runCli(['pacs', 'echo', '--pacs', `PACS@127.0.0.1:${port}`]);
      expect(run.code).toBe(1);
      expect(run.stderr).toMatch(
        /the peer is not speaking DICOM: its first byte was 0x48 \("H"\).*HTTP \(web\) server/,
      );
      expect(run.stderr).not.toMatch(/Unknown PDU type/);
      // --ae was not given: the default we called as is said, not silent.
      expect(run.stderr).toContain('we called as COVIDNET, the default AE title');
    });
  }, 240_000);

  it('a browser pointed at the receiver is named as such in its log', async () => {
    const receiver = spawnReceiver('http');
    try {
      const ready = await receiver.waitFor(/Receiving as \S+ on 127\.0\.0\.1:(\d+)/, 180_000);
      await new Promise<void>((done) => {
        const req = request({ host: '127.0.0.1', port: Number(ready[1]), path: '/' });
        req.on('error', () => done());
        req.on('close', () => done());
        req.end();
      });
      await receiver.waitFor(/not speaking DICOM.*HTTP \(web\) request/);
    } finally {
      receiver.kill('SIGTERM');
      await receiver.done;
    }
  }, 300_000);

  it('a 21-character AE title is refused saying DICOM allows 16', async () => {
    const long = 'WORKSTATION_RADIOLOGY'; // 21 characters
    const expected = `AE title "${long}" is 21 characters; DICOM allows at most 16`;
    for (const args of [
      ['pacs', 'echo', '--pacs', 'PACS@127.0.0.1:104', '--ae', long],
      ['pacs', 'echo', '--pacs', `${long}@127.0.0.1:104`],
      ['receive', '--port', '0', '--ae', long, '--inbox', join(scratch, 'inbox-ae')],
    ]) {
      const run = await runCli(args);
      expect(run.code, args.join(' ')).toBe(2);
      expect(run.stderr, args.join(' ')).toContain(expected);
    }
  }, 240_000);
});

describe('--help', () => {
  async function help(command: string): Promise<string> {
    let out = '';
    const code = await runCliInProcess([command, '--help'], {
      out: (text) => (out += `${text}\n`),
      err: (text) => (out += `${text}\n`),
    });
    expect(code).toBe(0);
    return out;
  }

  /** Each option a user can give, and the default it must state when one applies. */
  const EXPECTED: Record<string, Record<string, string | null>> = {
    predict: {
      '--heatmap': 'none',
      '--heatmap-raw': 'none',
      '--heatmap-class': 'the class with the highest probability',
      '--frame': '0',
      '--model': 'the newest classifier',
      '--json': 'text',
      '--site-profile': "the model's own thresholds",
      '--site-dir': '~/.covidnet-workstation/site-validation',
    },
    screen: {
      '--out': null,
      '--json': 'none',
      '--model': 'the newest classifier',
      '--resume': 'start a new job',
      '--job': 'a new job',
      '--store': '~/.covidnet-workstation/screening',
      '--reports': 'none',
      '--site-profile': "the model's own thresholds",
      '--site-dir': '~/.covidnet-workstation/site-validation',
    },
    receive: {
      '--port': null,
      '--ae': null,
      '--inbox': null,
      '--allow': 'any AE title',
      '--bind': '127.0.0.1',
      '--screen': 'off',
      '--out': 'results.csv in the job folder',
      '--model': 'the newest classifier',
      '--store': '~/.covidnet-workstation/screening',
      '--site-profile': "the model's own thresholds",
      '--send-results-to': 'not sent',
      '--send-heatmap': 'off',
      '--send-pdf': 'off',
      '--outbox': 'pacs-outbox beside the store',
    },
    validate: {
      '--labels': null,
      '--reader-labels': null,
      '--readings': "the app's",
      '--model': 'the newest classifier',
      '--site-dir': '~/.covidnet-workstation/site-validation',
      '--target-sensitivity': 'no threshold chosen',
      '--label': 'COVID-19',
      '--recalibrate': 'off',
      '--save-profile': 'not saved',
      '--accept-small-n': 'such a profile is refused',
      '--activate': 'saved inactive',
      '--site-profile': "the model's own thresholds",
      '--json': 'text',
    },
    pacs: {
      '--pacs': null,
      '--ae': 'COVIDNET',
      '--patient-name': 'any',
      '--from': 'no lower bound',
      '--to': 'no upper bound',
      '--modality': 'any modality',
      '--study': 'every study the query options match',
      '--port': null,
      '--bind': '127.0.0.1',
      '--inbox': null,
      '--screen': 'off',
      '--send-results': 'off',
      '--site-profile': "the model's own thresholds",
      '--outbox': 'pacs-outbox beside the store',
    },
  };

  for (const [command, options] of Object.entries(EXPECTED)) {
    it(`${command} --help lists its options and says each default`, async () => {
      const text = await help(command);
      const optionLines = text.slice(text.indexOf('options:'));
      for (const [flag, fallback] of Object.entries(options)) {
        // The option's entry: its line up to the next option (entries wrap over lines).
        const entry = new RegExp(
          `^  ${flag}( <[^>]+>)?\\s[\\s\\S]*?(?=^  --|^\\S|(?![\\s\\S]))`,
          'm',
        ).exec(optionLines);
        expect(entry, `${command} ${flag}`).not.toBeNull();
        const words = (entry?.[0] ?? '').replace(/\s+/g, ' ');
        if (fallback) expect(words, `${command} ${flag}`).toContain(`(default: `);
        if (fallback) expect(words, `${command} ${flag}`).toContain(fallback);
      }
    });
  }

  it('a usage error shows the synopsis and points to --help, not the whole option list', async () => {
    let err = '';
    const code = await runCliInProcess(['screen', '--bogus'], {
      out: () => undefined,
      err: (text) => (err += text),
    });
    expect(code).toBe(2);
    expect(err).toMatch(/^screen: .*--bogus/);
    expect(err).toContain('Run `covidnet screen --help` for the options and their defaults.');
    expect(err).not.toContain('options:');
  });
});
