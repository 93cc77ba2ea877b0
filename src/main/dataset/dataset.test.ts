import { cp, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'csv-parse/sync';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../../cli/main';
import { createDecodePool } from '../decode-pool';
import { SHARED_DATA } from '../inference/test-support';
import { buildDataset } from './build';
import { MAX_BITS, MIN_DETAIL_CORRELATION } from './duplicates';
import { detailCorrelation, fingerprintGray, hammingDistance } from './fingerprint';
import { headerColumns } from './metadata-csv';
import { reasonOnly } from './rules';
import { writeUpstreamLayouts, type Planted } from './test-layouts';
import type { ManifestRow } from './types';

const pool = createDecodePool({ size: 2 });
let work: string;
let planted: Planted;
let rows: ManifestRow[];
let exclusions: Record<string, string>[];
let duplicates: Record<string, string>[];
let datasheet: string;
let cliOutput: string;

const readCsv = async (path: string) =>
  parse(await readFile(path, 'utf8'), { columns: true, skip_empty_lines: true }) as Record<
    string,
    string
  >[];

const build = (out: string, extra: Partial<Parameters<typeof buildDataset>[0]> = {}) =>
  buildDataset({
    sources: planted.sources,
    out,
    seed: 7,
    valFraction: 0.2,
    testFraction: 0.3,
    command: 'test',
    pool,
    ...extra,
  });

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'covidx-'));
  planted = await writeUpstreamLayouts(join(work, 'sources'));
  const out = join(work, 'built');
  const lines: string[] = [];
  const code = await runCli(
    [
      'dataset',
      'build',
      ...planted.sources.map((s) => `--source=${s.kind}=${s.folder}`),
      '--out',
      out,
      '--seed',
      '7',
      '--val-fraction',
      '0.2',
      '--test-fraction',
      '0.3',
    ],
    { out: (t) => lines.push(t), err: (t) => lines.push(t) },
  );
  cliOutput = lines.join('\n');
  expect(code, cliOutput).toBe(0);
  rows = (await readCsv(join(out, 'manifest.csv'))) as unknown as ManifestRow[];
  exclusions = await readCsv(join(out, 'exclusions.csv'));
  duplicates = await readCsv(join(out, 'duplicates.csv'));
  datasheet = await readFile(join(out, 'DATASHEET.md'), 'utf8');
}, 120_000);

afterAll(async () => {
  await pool.dispose();
  await rm(work, { recursive: true, force: true });
});

describe('covidnet dataset build over every upstream layout', () => {
  it('writes the manifest columns training reads, with films referenced in place', async () => {
    const header = (await readFile(join(work, 'built/manifest.csv'), 'utf8')).split('\n')[0];
    expect(header).toBe('file,label,patient_id,group_id,source,view,split,licence,original_path');
    expect(rows).toHaveLength(planted.expectedFilms);
    for (const row of rows) {
      expect((await stat(row.file)).isFile()).toBe(true);
      expect(row.file.startsWith(planted.root)).toBe(true);
      expect(['normal', 'pneumonia', 'COVID-19']).toContain(row.label);
    }
    expect(cliOutput).toContain(`${planted.expectedFilms} films`);
    expect(cliOutput).toMatch(/decoded and hashed \d+\/21 films/);
  });

  it('maps findings and views by the COVIDx rules', () => {
    const by = (original: string) => rows.find((r) => r.original_path === original);
    expect(by('cohen:images/p1-day7.jpeg')).toMatchObject({
      label: 'COVID-19',
      view: 'AP supine',
      patient_id: 'cohen-p1',
    });
    expect(by('cohen:images/p2.jpeg')).toMatchObject({ label: 'pneumonia', licence: 'CC BY 4.0' });
    expect(by('cohen:images/p3.jpeg')?.label).toBe('normal');
    expect(by('nih:images_001/images/00000001_001.png')).toMatchObject({
      label: 'pneumonia',
      patient_id: 'nih-00000001',
      view: 'AP',
    });
    const rsna = rows.filter((r) => r.source === 'rsna');
    expect(rsna.map((r) => [r.label, r.view]).sort()).toEqual([
      ['normal', 'AP'],
      ['pneumonia', 'PA'],
    ]);
    expect(
      rows
        .filter((r) => r.source === 'c19rdb')
        .map((r) => r.label)
        .sort(),
    ).toEqual(['COVID-19', 'normal']);
    // Figure1 00003a and 00003b are one patient.
    const fig = rows.filter((r) => r.patient_id === 'figure1-COVID-00003');
    expect(fig).toHaveLength(2);
  });

  it('keeps several films of one patient together and no patient or group in two parts', () => {
    expect(rows.filter((r) => r.patient_id === 'cohen-p1')).toHaveLength(3);
    for (const key of ['patient_id', 'group_id'] as const) {
      const parts = new Map<string, Set<string>>();
      for (const row of rows)
        parts.set(row[key], (parts.get(row[key]) ?? new Set()).add(row.split));
      for (const [id, set] of parts) expect(set.size, `${key} ${id}`).toBe(1);
    }
    expect(new Set(rows.map((r) => r.split))).toEqual(new Set(['train', 'val', 'test']));
  });

  it('finds the planted copies (exact, re-encoded and resized, negative) and keeps one of each', () => {
    const pairOf = (paths: [string, string]) =>
      duplicates.find((d) => paths.includes(d.file_a) && paths.includes(d.file_b));
    expect(pairOf(planted.exact)?.kind).toBe('exact');
    expect(pairOf(planted.reencoded)?.kind).toBe('near');
    expect(pairOf(planted.inverted)?.kind).toBe('inverted');
    expect(duplicates).toHaveLength(3);
    for (const paths of [planted.exact, planted.reencoded, planted.inverted]) {
      expect(rows.filter((r) => paths.includes(r.file))).toHaveLength(1);
      expect(pairOf(paths)?.kept).toBe(paths[0]);
    }
    // The copy's patient joins the kept film's group: cohen p2 and the site's S1.
    const p2 = rows.find((r) => r.file === planted.inverted[0]);
    const s1Group = exclusions.find((e) => e.file === planted.inverted[1]);
    expect(s1Group?.patient_id).toBe('site-S1');
    expect(p2?.group_id).toBe('cohen-p2');
  });

  it('counts every exclusion by reason', () => {
    const counted: Record<string, number> = {};
    for (const e of exclusions) {
      const reason = reasonOnly(e.reason);
      counted[reason] = (counted[reason] ?? 0) + 1;
    }
    expect(counted).toEqual(planted.expectedExclusions);
    expect(exclusions.find((e) => e.original_path === 'cohen:images/p1-lat.jpeg')?.reason).toBe(
      'lateral view: L',
    );
    expect(exclusions.find((e) => e.original_path === 'cohen:volumes/p4-ct.jpg')?.reason).toMatch(
      /^not an X-ray/,
    );
  });

  it('writes a datasheet whose counts add up to the manifest', () => {
    const table = datasheet
      .split('\n')
      .filter((l) => /^\| [a-z0-9*]/.test(l) && l.split('|').length === 8);
    const cells = table.map((l) =>
      l
        .split('|')
        .slice(1, -1)
        .map((c) => c.trim()),
    );
    const body = cells.filter((c) => c[0] !== '**all**' && c[0] !== 'source');
    let sum = 0;
    for (const [source, label, train, val, test, total] of body) {
      const n = (split: string) =>
        rows.filter((r) => r.source === source && r.label === label && r.split === split).length;
      expect([Number(train), Number(val), Number(test)], `${source} ${label}`).toEqual([
        n('train'),
        n('val'),
        n('test'),
      ]);
      expect(Number(total)).toBe(n('train') + n('val') + n('test'));
      sum += Number(total);
    }
    expect(sum).toBe(rows.length);
    const all = cells.find((c) => c[0] === '**all**');
    expect(Number(all?.[5])).toBe(rows.length);
    expect(datasheet).toContain(`${exclusions.length} candidates excluded`);
    expect(datasheet).toContain(
      'Duplicate pairs found (the same picture twice; every pair is in duplicates.csv): 3',
    );
    expect(datasheet).toContain('covidnet dataset build --source=cohen=');
    expect(datasheet).toMatch(/\| lateral view \| 1 \|/);
  });

  it('honours --keep-split: every patient of the earlier manifest stays in its part', async () => {
    const earlier = join(work, 'built/manifest.csv');
    // Another seed and other fractions (no val part at all) without --keep-split move patients...
    const changed = { seed: 12345, valFraction: 0, testFraction: 0.5 };
    const other = await build(join(work, 'other-seed'), changed);
    const kept = await build(join(work, 'kept'), { ...changed, keepSplit: earlier });
    const partOf = new Map(rows.map((r) => [r.patient_id, r.split]));
    // ...so the kept build's agreement with the earlier one is keep-split's doing.
    expect(other.rows.some((r) => partOf.get(r.patient_id) !== r.split)).toBe(true);
    expect(kept.rows).toHaveLength(rows.length);
    for (const row of kept.rows) expect(row.split, row.patient_id).toBe(partOf.get(row.patient_id));
    expect(await readFile(join(work, 'kept/DATASHEET.md'), 'utf8')).toContain('--keep-split');
  });

  it('renames the parts (--part-names train,calib,val), also for --keep-split', async () => {
    const partNames = { train: 'train', val: 'calib', test: 'val' };
    await build(join(work, 'named'), { partNames });
    const named = await readCsv(join(work, 'named/manifest.csv'));
    const renamed = { train: 'train', val: 'calib', test: 'val' } as const;
    expect(named.map((r) => r.split)).toEqual(rows.map((r) => renamed[r.split]));
    expect(await readFile(join(work, 'named/DATASHEET.md'), 'utf8')).toContain(
      '| source | label | train | calib | val | total |',
    );
    const again = await build(join(work, 'named-again'), {
      partNames,
      seed: 99,
      keepSplit: join(work, 'named/manifest.csv'),
    });
    expect(again.rows.map((r) => r.split)).toEqual(rows.map((r) => r.split));
  });

  it('leaves out, never splits, a group whose patients an earlier manifest put in two parts', async () => {
    const earlier = join(work, 'earlier.csv');
    await writeFile(earlier, 'patient_id,split\ncohen-p7,train\nfigure1-COVID-00001,test\n');
    const result = await build(join(work, 'conflict'), { keepSplit: earlier });
    expect(result.rows.some((r) => r.patient_id === 'cohen-p7')).toBe(false);
    expect(
      result.excluded.filter((e) =>
        e.reason.startsWith('same picture or patient kept in two parts'),
      ),
    ).toHaveLength(1);
  });
});

describe('malformed sources: a clear error, nothing written', () => {
  async function expectRefused(
    mutate: (root: string) => Promise<void>,
    kinds: string[],
    message: RegExp,
  ): Promise<void> {
    const root = await mkdtemp(join(tmpdir(), 'covidx-bad-'));
    try {
      // Copies of the good layouts (links stay links), then broken.
      const sources = planted.sources
        .filter((s) => kinds.includes(s.kind))
        .map((s) => ({ ...s, folder: join(root, 'sources', s.kind) }));
      for (const s of sources) {
        await cp(join(planted.root, s.kind), s.folder, { recursive: true, verbatimSymlinks: true });
      }
      await mutate(join(root, 'sources'));
      const out = join(root, 'out');
      await expect(
        buildDataset({
          sources,
          out,
          seed: 1,
          valFraction: 0.1,
          testFraction: 0.1,
          command: 'test',
          pool,
        }),
      ).rejects.toThrow(message);
      await expect(stat(out)).rejects.toThrow();
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  }

  it('names the file and the missing column', async () => {
    await expectRefused(
      async (root) => {
        const file = join(root, 'cohen/metadata.csv');
        const text = await readFile(file, 'utf8');
        await writeFile(file, text.replace('finding,', 'findings,'));
      },
      ['nih', 'cohen'],
      /cohen\/metadata\.csv: no column "finding"/,
    );
  });

  it('names a missing metadata file', async () => {
    await expectRefused(
      (root) => rm(join(root, 'rsna/stage_2_detailed_class_info.csv')),
      ['rsna'],
      /stage_2_detailed_class_info\.csv is missing.*patientId, class/,
    );
  });

  it('names the line and column of a bad cell', async () => {
    await expectRefused(
      async (root) => {
        const file = join(root, 'rsna/stage_2_train_labels.csv');
        await writeFile(file, (await readFile(file, 'utf8')).replace(/,0\n/, ',maybe\n'));
      },
      ['rsna'],
      /stage_2_train_labels\.csv: line 4: column "Target" is "maybe"/,
    );
    await expectRefused(
      async (root) => {
        const file = join(root, 'actualmed/metadata.csv');
        await writeFile(file, (await readFile(file, 'utf8')).replace('CR.1.2.840.1.png', ''));
      },
      ['actualmed'],
      /actualmed\/metadata\.csv: line 2: column "imagename" is empty/,
    );
  });

  it('refuses a CSV that does not parse', async () => {
    await expectRefused(
      async (root) => {
        await writeFile(
          join(root, 'figure1/metadata.csv'),
          'patientid,finding,view,modality\nCOVID-1,"COVID-19,PA,X-ray\n',
        );
      },
      ['figure1'],
      /figure1\/metadata\.csv: not a readable CSV/,
    );
  });

  it("reads NIH's bracketed header as published", () => {
    const columns = headerColumns(
      'Image Index,Finding Labels,Follow-up #,Patient ID,Patient Age,Patient Gender,View Position,OriginalImage[Width,Height],OriginalImagePixelSpacing[x,y],'.split(
        ',',
      ),
    );
    expect(columns.get('OriginalImage[Width,Height]')).toBe(7);
    expect(columns.get('OriginalImagePixelSpacing[x,y]')).toBe(9);
    expect(columns.get('View Position')).toBe(6);
  });
});

describe('what counts as the same picture', () => {
  const fingerprintOf = async (path: string) => {
    const image = await pool.decodeForModel(path);
    return fingerprintGray({ data: image.gray, width: image.width, height: image.height });
  };

  it('does not take two lung-masked films of different patients for one (alike only in layout)', async () => {
    const [a, b] = await Promise.all(
      [
        'rsna-lungmasked-06bdaf90-df6a-46ae-ac6d-a4afb7937c8d.jpg',
        'rsna-lungmasked-5982f231-9323-42a4-a437-eea95ef123b3.jpg',
      ].map((name) => fingerprintOf(join(SHARED_DATA, 'cxr-extra/images', name))),
    );
    // Close enough by hash to be compared at all...
    expect(hammingDistance(a.dhash, b.dhash)).toBeLessThanOrEqual(MAX_BITS);
    // ...but their lungs differ.
    expect(detailCorrelation(a, b)).toBeLessThan(MIN_DETAIL_CORRELATION - 0.05);
  });

  it('takes a re-encoded, resized copy and a negative for the same picture', async () => {
    const [original, copy, negative] = await Promise.all(
      [planted.reencoded[0], planted.reencoded[1], planted.inverted[1]].map(fingerprintOf),
    );
    expect(detailCorrelation(original, copy)).toBeGreaterThan(MIN_DETAIL_CORRELATION + 0.15);
    const p2 = await fingerprintOf(planted.inverted[0]);
    expect(hammingDistance(p2.dhash, negative.dhash, true)).toBeLessThanOrEqual(MAX_BITS);
    expect(-detailCorrelation(p2, negative)).toBeGreaterThan(0.9);
  });
});
