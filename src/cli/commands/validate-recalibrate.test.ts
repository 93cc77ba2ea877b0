/**
 * `covidnet validate --recalibrate` on a site's real films, as a clinic would use it: the site is
 * the 280 developer-set films of training/splits/val.csv (never used to train or calibrate the
 * bundled model), split by class into two halves. The recalibration is fitted and saved on half A
 * and checked with `--site-profile` on half B, films it was not fitted on: the ECE there must be
 * lower than the model's own. Also the small-n refusal and --accept-small-n from the command line.
 * The model is v3, whose own calibration does not hold on these films (ECE .12): a recalibration has
 * something to fix there. v4 (the default since issue 20) is already calibrated on them (ECE .07), and
 * a refit on 140 films does not beat it (measured: half B .072 -> .097).
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join, resolve } from 'node:path';
import { parse } from 'csv-parse/sync';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../../main/inference/test-support';
import type { SiteRecalibration, SiteValidationReport } from '../../shared/site-profile';
import { runCli } from '../test-support';

const work = mkdtempSync(join(tmpdir(), 'covidnet-recalibrate-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

const MISCALIBRATED_MODEL = join(REPO_ROOT, 'resources/models/covidnet-cxr-lungs-v3');

interface ValidateJson {
  report: SiteValidationReport;
  runDir: string;
  recalibration: SiteRecalibration | null;
  siteProfile: SiteValidationReport['siteProfile'];
  savedProfile: string | null;
  savedProfileWarning: string | null;
}

/** Films of val.csv into two folders (alternating within each class) with a labels CSV each. */
function splitSite(): { a: string; b: string } {
  const rows = parse(readFileSync(join(REPO_ROOT, 'training/splits/val.csv'), 'utf8'), {
    columns: true,
  }) as Record<string, string>[];
  const seen = new Map<string, number>();
  const halves = { a: [] as string[], b: [] as string[] };
  for (const half of ['a', 'b'] as const) mkdirSync(join(work, half));
  for (const row of rows) {
    const k = seen.get(row.label) ?? 0;
    seen.set(row.label, k + 1);
    const half = k % 2 === 0 ? 'a' : 'b';
    const source = resolve(REPO_ROOT, 'training/splits', row.file);
    symlinkSync(source, join(work, half, basename(source)));
    halves[half].push(`${half}/${basename(source)},${row.label}`);
  }
  for (const half of ['a', 'b'] as const) {
    writeFileSync(join(work, `${half}.csv`), ['path,label', ...halves[half]].join('\n'));
  }
  return { a: join(work, 'a'), b: join(work, 'b') };
}

let site: { a: string; b: string };
beforeAll(() => {
  site = splitSite();
});

async function validate(args: string[]): Promise<ValidateJson> {
  const run = await runCli([
    'validate',
    ...args,
    '--model',
    MISCALIBRATED_MODEL,
    '--site-dir',
    join(work, 'site'),
    '--json',
  ]);
  expect(run.code, run.stderr).toBe(0);
  return JSON.parse(run.stdout) as ValidateJson;
}

describe('covidnet validate --recalibrate', () => {
  it('fits on half of a site, saves it, and lowers the ECE on the other half', async () => {
    const fitted = await validate([
      site.a,
      '--labels',
      join(work, 'a.csv'),
      '--recalibrate',
      '--save-profile',
      'Half A calibrated',
    ]);
    const r = fitted.recalibration;
    expect(r).not.toBeNull();
    if (!r) return;
    expect(r.method).toBe('temperature-and-prior-shift');
    expect(r.parameters.biases).toHaveLength(3);
    expect(r.n).toBe(fitted.report.films.scored);
    for (const figure of [r.eceBefore, r.eceAfter, r.nllBefore, r.nllAfter]) {
      expect(figure.low).not.toBeNull();
      expect(figure.low ?? 1).toBeLessThanOrEqual(figure.value);
      expect(figure.high ?? 0).toBeGreaterThanOrEqual(figure.value);
    }
    // Cross-fitted on half A itself: the NLL falls on films each fold was not fitted on.
    expect(r.nllAfter.value).toBeLessThan(r.nllBefore.value);
    expect(fitted.savedProfile).toBe('Half A calibrated');
    // Over 30 films of every class: no small-n warning to carry.
    expect(fitted.savedProfileWarning).toBeNull();
    const profile = JSON.parse(
      readFileSync(join(work, 'site', 'profiles', 'Half_A_calibrated', 'profile.json'), 'utf8'),
    ) as { recalibration: SiteRecalibration; threshold: number | null };
    expect(profile.threshold).toBeNull();
    expect(profile.recalibration.parameters).toEqual(r.parameters);
    // report.md keeps the intervals and warnings, and the recalibration.
    const markdown = readFileSync(join(fitted.runDir, 'report.md'), 'utf8');
    expect(markdown).toMatch(/^# Site validation /);
    expect(markdown).toMatch(/accuracy \d+\.\d% \(95% \d+\.\d%-\d+\.\d%\), n=\d+/);
    expect(markdown).toMatch(/ECE 0\.\d{3} \(95% 0\.\d{3}-0\.\d{3}\) -> 0\.\d{3}/);
    expect(markdown).toContain('# Evaluation:');

    const modelAlone = await validate([site.b, '--labels', join(work, 'b.csv')]);
    const withProfile = await validate([
      site.b,
      '--labels',
      join(work, 'b.csv'),
      '--site-profile',
      'Half A calibrated',
    ]);
    expect(modelAlone.siteProfile).toBeNull();
    expect(withProfile.siteProfile).toMatchObject({
      name: 'Half A calibrated',
      calibrated: true,
      threshold: null,
    });
    const before = modelAlone.report.calibration?.ece ?? NaN;
    const after = withProfile.report.calibration?.ece ?? NaN;
    console.log(
      `held-out half B (n=${withProfile.report.films.scored}): ECE ${before.toFixed(3)} -> ${after.toFixed(3)}; ` +
        `half A cross-fitted: ECE ${r.eceBefore.value.toFixed(3)} -> ${r.eceAfter.value.toFixed(3)}, ` +
        `NLL ${r.nllBefore.value.toFixed(3)} -> ${r.nllAfter.value.toFixed(3)}; T=${r.parameters.temperature.toFixed(3)}, ` +
        `shifts ${r.parameters.biases.map((b) => b.toFixed(3)).join(', ')}`,
    );
    expect(after).toBeLessThan(before);
    // The text report names the profile applied.
    const text = await runCli([
      'validate',
      '--model',
      MISCALIBRATED_MODEL,
      site.b,
      '--labels',
      join(work, 'b.csv'),
      '--site-profile',
      'Half A calibrated',
      '--site-dir',
      join(work, 'site'),
    ]);
    expect(text.stdout).toMatch(
      /^Evaluated with site profile "Half A calibrated" applied: site-calibrated \(profile "Half A calibrated"\)/,
    );
  }, 900_000);
});
