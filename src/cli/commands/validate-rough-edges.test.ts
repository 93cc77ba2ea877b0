/**
 * `covidnet validate` as a new user first meets it: an empty folder, no readings recorded yet,
 * labels written in another case than the model's, label rows naming files that are not there,
 * "1 film" not "1 films", and a report.md that keeps the intervals and the warnings.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join, resolve } from 'node:path';
import { parse } from 'csv-parse/sync';
import { afterAll, describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../../main/inference/test-support';
import type { SiteValidationReport } from '../../shared/site-profile';
import { runCli } from '../test-support';

const work = mkdtempSync(join(tmpdir(), 'covidnet-validate-edges-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));
const siteDir = join(work, 'site');

describe('covidnet validate: rough edges', () => {
  it('says an empty folder has no films, and that no readings are recorded yet', async () => {
    const empty = join(work, 'empty');
    mkdirSync(empty);
    writeFileSync(join(work, 'none.csv'), 'path,label\nx.png,normal\n');
    const noFilms = await runCli([
      'validate',
      empty,
      '--labels',
      join(work, 'none.csv'),
      '--site-dir',
      siteDir,
    ]);
    expect(noFilms.code).toBe(2);
    expect(noFilms.stderr).toContain(
      `No films in ${empty} (looked for DICOM, PNG and JPEG files, and DICOMDIR sets)`,
    );

    const readings = join(work, 'no-readings');
    const noReadings = await runCli([
      'validate',
      empty,
      '--reader-labels',
      '--readings',
      readings,
      '--site-dir',
      siteDir,
    ]);
    expect(noReadings.code).toBe(2);
    expect(noReadings.stderr).toContain(
      'No reader readings are recorded yet: read films in the viewer first, or give --labels <csv>',
    );
    expect(noReadings.stderr).not.toMatch(/None of the 0 films/);
  }, 120_000);

  it('reads labels in any case, names label rows without a film, and says "1 film"', async () => {
    const films = join(work, 'films');
    mkdirSync(films);
    const rows = parse(readFileSync(join(REPO_ROOT, 'training/splits/val.csv'), 'utf8'), {
      columns: true,
    }) as Record<string, string>[];
    const pick = (label: string) => rows.find((r) => r.label === label) as Record<string, string>;
    const written: [string, string][] = [
      ['COVID-19', 'covid-19'],
      ['normal', 'NORMAL'],
      ['pneumonia', 'Pneumonia'],
    ];
    const lines = ['path,label'];
    for (const [label, as] of written) {
      const source = resolve(REPO_ROOT, 'training/splits', pick(label).file);
      symlinkSync(source, join(films, basename(source)));
      lines.push(`films/${basename(source)},${as}`);
    }
    lines.push('films/not-here.png,normal');
    writeFileSync(join(work, 'labels.csv'), lines.join('\n'));

    const run = await runCli([
      'validate',
      films,
      '--labels',
      join(work, 'labels.csv'),
      '--site-dir',
      siteDir,
      '--json',
    ]);
    expect(run.code, run.stderr).toBe(0);
    const { report, runDir } = JSON.parse(run.stdout) as {
      report: SiteValidationReport;
      runDir: string;
    };
    expect(report.films).toMatchObject({ found: 3, labelled: 3, labelsWithoutFilm: 1 });
    expect(report.warnings).toEqual(
      expect.arrayContaining([
        'Label "covid-19" was read as the model class "COVID-19".',
        'Label "NORMAL" was read as the model class "normal".',
        `1 label row names a file not found in the folders (${join(work, 'films', 'not-here.png')}).`,
      ]),
    );
    const scoredCovid = report.confusionMatrix[report.labels.indexOf('COVID-19')].reduce(
      (a, b) => a + b,
      0,
    );
    expect(report.warnings).toContain(
      `Only ${scoredCovid} scored COVID-19 ${scoredCovid === 1 ? 'film' : 'films'} (at least 30 per class are needed before the per-class figures mean much).`,
    );
    expect(report.warnings.join('\n')).not.toMatch(/\b1 (films|label rows)\b/);

    // report.md keeps the intervals and the warnings above evaluate's tables.
    const markdown = readFileSync(join(runDir, 'report.md'), 'utf8');
    expect(markdown).toMatch(
      /accuracy [\d.]+% \(95% [\d.]+%-[\d.]+%\), n=3 {2}! Only 3 films for accuracy: too few to conclude\./,
    );
    for (const warning of report.warnings) expect(markdown).toContain(`! ${warning}`);
    expect(markdown.indexOf('# Site validation')).toBeLessThan(markdown.indexOf('# Evaluation:'));
  }, 180_000);
});
