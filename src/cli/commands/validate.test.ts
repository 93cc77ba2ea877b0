/**
 * `covidnet validate` as a user runs it (a child process), with the readings recorded in the
 * viewer as the labels: it evaluates the films that have a reading of a model class, skips
 * "other", chooses the COVID-19 threshold for the asked sensitivity and saves (and here
 * activates) a named site profile with the figures beside it. No file beside the films is written.
 */
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join, resolve } from 'node:path';
import { parse } from 'csv-parse/sync';
import { afterAll, describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../../main/inference/test-support';
import { newReading, openReadingJournal } from '../../main/reader-readings';
import type { SiteOperatingPointChoice, SiteValidationReport } from '../../shared/site-profile';
import type { Verdict } from '../../shared/verdict';

const CLI_ENTRY = join(REPO_ROOT, 'src/cli/main.ts');
const work = mkdtempSync(join(tmpdir(), 'covidnet-validate-cli-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

function cli(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, ['--import', 'tsx', CLI_ENTRY, ...args], {
    cwd: REPO_ROOT,
    env: { ...process.env, OMP_NUM_THREADS: '1' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  return new Promise((done) => child.on('close', (code) => done({ code, stdout, stderr })));
}

describe('covidnet validate --reader-labels', () => {
  it('evaluates the films the reader read, and saves an active site profile', async () => {
    const films = join(work, 'films');
    mkdirSync(films);
    const rows = parse(readFileSync(join(REPO_ROOT, 'training/splits/val.csv'), 'utf8'), {
      columns: true,
    }) as Record<string, string>[];
    const readingsDir = join(work, 'reader-readings');
    const journal = await openReadingJournal(readingsDir);
    const picked = [
      ...rows.filter((r) => r.label === 'COVID-19').slice(0, 3),
      ...rows.filter((r) => r.label === 'normal').slice(0, 3),
    ];
    for (const [i, row] of picked.entries()) {
      const source = resolve(REPO_ROOT, 'training/splits', row.file);
      const linked = join(films, basename(source));
      symlinkSync(source, linked);
      // The last film was read as "other" (no model class); the reader read the link or the source.
      const reading = i === picked.length - 1 ? 'other' : (row.label as 'COVID-19' | 'normal');
      await journal.record(
        newReading(
          { reading, agreement: null, note: '', ai: null },
          { path: i % 2 === 0 ? linked : source },
        ),
      );
    }
    await journal.close();

    const siteDir = join(work, 'site');
    const saveProfile = [
      'validate',
      films,
      '--reader-labels',
      '--readings',
      readingsDir,
      '--site-dir',
      siteDir,
      '--target-sensitivity',
      '1',
      '--save-profile',
      'CLI site',
    ];
    // From 3 COVID-19 films a profile is refused, unless the small numbers are accepted.
    const refused = await cli(saveProfile);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(
      /Not saved: this profile rests on only 3 COVID-19 films, 2 films that are not COVID-19 .*at least 30 .*--accept-small-n/,
    );
    const run = await cli([...saveProfile, '--activate', '--accept-small-n', '--json']);
    expect(run.code, run.stderr).toBe(0);
    const out = JSON.parse(run.stdout) as {
      report: SiteValidationReport;
      runDir: string;
      choice: SiteOperatingPointChoice;
      savedProfile: string;
      savedProfileWarning: string | null;
    };
    expect(out.report.labelsSource).toEqual({ kind: 'reader-readings', readings: 6 });
    expect(out.report.films).toMatchObject({
      found: 6,
      labelled: 5,
      excludedByLabel: { other: 1 },
      unlabelled: 0,
    });
    expect(out.choice.label).toBe('COVID-19');
    expect(out.choice.sensitivity.value).toBe(1);
    expect(out.choice.sensitivity.warning).toMatch(/too few to conclude/);
    expect(out.savedProfile).toBe('CLI site');
    expect(out.savedProfileWarning).toMatch(
      /^Small-n profile: chosen on only 3 COVID-19 films, 2 films that are not COVID-19 \(fewer than 30\)/,
    );
    const profiles = JSON.parse(
      readFileSync(join(siteDir, 'profiles', 'profiles.json'), 'utf8'),
    ) as {
      activeProfileName: string;
      profiles: { name: string; threshold: number }[];
    };
    expect(profiles.activeProfileName).toBe('CLI site');
    expect(profiles.profiles[0].threshold).toBe(out.choice.threshold);
    expect(readdirSync(join(siteDir, 'profiles', 'CLI_site'))).toEqual(
      expect.arrayContaining(['site-validation.json', 'profile.json']),
    );
    // The run folder holds evaluate's files; the films' folder holds the films only.
    expect(readdirSync(out.runDir)).toEqual(
      expect.arrayContaining([
        'metrics.json',
        'roc.svg',
        'reliability.svg',
        'site-validation.json',
      ]),
    );
    expect(readdirSync(films)).toHaveLength(6);

    // `predict --site-profile` passes the named profile to the engine: a COVID-19 film of the
    // run reaches the threshold chosen for 100% sensitivity there, and the verdict names it.
    const covidFilm = join(films, basename(picked[0].file));
    const predicted = await cli([
      'predict',
      covidFilm,
      '--json',
      '--site-profile',
      'CLI site',
      '--site-dir',
      siteDir,
    ]);
    expect(predicted.code, predicted.stderr).toBe(0);
    expect(predicted.stderr).toMatch(/Site profile "CLI site".*COVID-19 (is )?called at or above/);
    // The small-n warning travels with the profile into the output that names it.
    expect(predicted.stderr).toContain('Small-n profile: chosen on only 3 COVID-19 films');
    const result = JSON.parse(predicted.stdout) as { verdict: Verdict };
    expect(result.verdict.operatingPoint).toEqual({
      profileName: 'CLI site',
      label: 'COVID-19',
      threshold: out.choice.threshold,
      calibration: null,
      smallNWarning: out.savedProfileWarning,
    });
    if (result.verdict.kind !== 'unfamiliar') expect(result.verdict.label).toBe('COVID-19');

    const unknown = await cli([
      'predict',
      covidFilm,
      '--site-profile',
      'Nope',
      '--site-dir',
      siteDir,
    ]);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toMatch(/No site profile named "Nope".*"CLI site"/);
  }, 240_000);

  it('refuses a call without labels, or with both kinds', async () => {
    const none = await cli(['validate', work]);
    expect(none.code).toBe(2);
    expect(none.stderr).toMatch(/exactly one of --labels <csv> and --reader-labels/);
  }, 60_000);
});
