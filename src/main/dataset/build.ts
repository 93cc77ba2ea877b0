/**
 * `covidnet dataset build`: sources -> candidates (readers + rules) -> decoded and hashed films
 * (decode pool) -> duplicates -> patient/picture groups -> seeded stratified split -> manifest.csv,
 * DATASHEET.md, duplicates.csv, exclusions.csv. Everything is checked before anything is written,
 * and the outputs are written into a fresh folder that replaces `out` in one rename.
 */
import { mkdir, readFile, readdir, rename, rm, writeFile } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { stringify } from 'csv-stringify/sync';
import { CodedError } from '../../shared/errors';
import { createDecodePool, type DecodePool } from '../decode-pool';
import { datasheetMarkdown } from './datasheet';
import { findDuplicatePairs } from './duplicates';
import { fingerprintAll } from './fingerprint';
import { metadataError, readMetadataCsv, requiredCell } from './metadata-csv';
import { readSource } from './readers';
import { EXCLUDED, withDetail } from './rules';
import { UnionFind, groupFilms, splitGroups } from './split';
import {
  MANIFEST_COLUMNS,
  SPLIT_PARTS,
  type Candidate,
  type DuplicatePair,
  type Film,
  type ManifestRow,
  type SourceSpec,
  type SplitPart,
} from './types';

export const OUTPUT_FILES = [
  'manifest.csv',
  'DATASHEET.md',
  'duplicates.csv',
  'exclusions.csv',
] as const;

export interface BuildOptions {
  sources: readonly SourceSpec[];
  out: string;
  seed: number;
  valFraction: number;
  testFraction: number;
  /** An earlier manifest.csv whose patients keep their part. */
  keepSplit?: string;
  /** The command line, for the datasheet. */
  command: string;
  /** What manifest.csv calls the three parts (default train, val, test). */
  partNames?: Readonly<Record<SplitPart, string>>;
  /** A decode pool to use (else one is made and disposed). */
  pool?: DecodePool;
  /** Progress lines (reading, hashing every ~2 s, writing). */
  progress?: (line: string) => void;
}

export interface ExcludedFilm {
  source: string;
  originalPath: string;
  path: string | null;
  patientId: string;
  finding: string;
  reason: string;
}

export interface DuplicateRecord {
  fileA: string;
  fileB: string;
  sourceA: string;
  sourceB: string;
  kind: DuplicatePair['kind'];
  hamming: number;
  correlation: number;
  kept: string;
}

export interface BuildResult {
  out: string;
  rows: ManifestRow[];
  excluded: ExcludedFilm[];
  duplicates: DuplicateRecord[];
  candidates: number;
  seconds: number;
}

export const DEFAULT_PART_NAMES: Readonly<Record<SplitPart, string>> = {
  train: 'train',
  val: 'val',
  test: 'test',
};

/** patient id -> part, from an earlier manifest (needs `patient_id` and `split`). */
export async function readKeptSplit(
  file: string,
  partNames: Readonly<Record<SplitPart, string>> = DEFAULT_PART_NAMES,
): Promise<Map<string, SplitPart>> {
  const table = await readMetadataCsv(file, ['patient_id', 'split']);
  const keep = new Map<string, SplitPart>();
  const names = SPLIT_PARTS.map((p) => partNames[p]);
  for (const row of table.rows) {
    const patient = requiredCell(table, row, 'patient_id');
    const name = requiredCell(table, row, 'split');
    const part = SPLIT_PARTS[names.indexOf(name)];
    if (!part)
      throw metadataError(
        file,
        `line ${row.line}: column "split" is "${name}", not ${names.join('/')}`,
      );
    const before = keep.get(patient);
    if (before && before !== part)
      throw metadataError(
        file,
        `line ${row.line}: patient ${patient} is in both ${before} and ${part}`,
      );
    keep.set(patient, part);
  }
  return keep;
}

const area = (film: Film) => film.width * film.height;

/**
 * Of each set of copies of one picture: one film kept (largest, then the source given first,
 * then path), the rest left out; all left out when the copies disagree on the label.
 */
function resolveCopies(
  films: readonly Film[],
  pairs: readonly DuplicatePair[],
): { reasonOf: Map<number, string>; keptOf: Map<number, number> } {
  const uf = new UnionFind();
  for (const { a, b } of pairs) uf.union(String(a), String(b));
  const sets = new Map<string, number[]>();
  for (const { a, b } of pairs) {
    for (const i of [a, b]) {
      const root = uf.find(String(i));
      const list = sets.get(root) ?? [];
      if (!list.includes(i)) list.push(i);
      sets.set(root, list);
    }
  }
  const rank = (film: Film) => film.order ?? 0;
  const reasonOf = new Map<number, string>();
  const keptOf = new Map<number, number>();
  for (const members of sets.values()) {
    const labels = new Set(members.map((i) => films[i].label));
    if (labels.size > 1) {
      for (const i of members)
        reasonOf.set(i, withDetail(EXCLUDED.conflictingDuplicate, [...labels].sort().join(' vs ')));
      continue;
    }
    const best = [...members].sort(
      (x, y) =>
        area(films[y]) - area(films[x]) ||
        rank(films[x]) - rank(films[y]) ||
        (films[x].path < films[y].path ? -1 : 1),
    )[0];
    for (const i of members) {
      keptOf.set(i, best);
      if (i !== best) reasonOf.set(i, EXCLUDED.duplicate);
    }
  }
  return { reasonOf, keptOf };
}

/** Replaces `out` by a folder written beside it: readers never see half the outputs. */
async function writeOutputs(out: string, files: Record<string, string>): Promise<void> {
  const existing = await readdir(out).catch(() => null);
  if (existing) {
    const foreign = existing.filter((name) => !(OUTPUT_FILES as readonly string[]).includes(name));
    if (foreign.length > 0) {
      throw new CodedError(
        'INVALID_REQUEST',
        `${out} holds other files (${foreign.slice(0, 3).join(', ')}); give a new or earlier output folder`,
      );
    }
  }
  await mkdir(dirname(out), { recursive: true });
  const staging = join(dirname(out), `.${basename(out)}.building-${process.pid}`);
  await rm(staging, { recursive: true, force: true });
  await mkdir(staging);
  try {
    for (const [name, text] of Object.entries(files)) await writeFile(join(staging, name), text);
    const old = join(dirname(out), `.${basename(out)}.old-${process.pid}`);
    if (existing) await rename(out, old);
    await rename(staging, out);
    if (existing) await rm(old, { recursive: true, force: true });
  } catch (error) {
    await rm(staging, { recursive: true, force: true });
    throw error;
  }
}

function checkSplit(rows: readonly ManifestRow[]): void {
  for (const key of ['patient_id', 'group_id'] as const) {
    const part = new Map<string, SplitPart>();
    for (const row of rows) {
      const before = part.get(row[key]);
      if (before && before !== row.split) {
        throw new CodedError(
          'INTERNAL_ERROR',
          `${key} ${row[key]} would be in both ${before} and ${row.split}`,
        );
      }
      part.set(row[key], row.split);
    }
  }
}

export async function buildDataset(options: BuildOptions): Promise<BuildResult> {
  const started = Date.now();
  const progress = options.progress ?? (() => {});
  const out = resolve(options.out);
  for (const [name, value] of [
    ['--val-fraction', options.valFraction],
    ['--test-fraction', options.testFraction],
  ] as const) {
    if (!(value >= 0 && value < 1))
      throw new CodedError('INVALID_REQUEST', `${name} must be in [0, 1)`);
  }
  if (options.valFraction + options.testFraction >= 1)
    throw new CodedError('INVALID_REQUEST', 'val and test fractions leave nothing to train on');
  const names = options.sources.map((s) => s.name);
  const twice = names.find((n, i) => names.indexOf(n) !== i);
  if (twice)
    throw new CodedError(
      'INVALID_REQUEST',
      `Two sources are named "${twice}"; name one kind:name=folder`,
    );

  const partNames = options.partNames ?? DEFAULT_PART_NAMES;
  const given = SPLIT_PARTS.map((p) => partNames[p]);
  if (new Set(given).size !== 3 || given.some((n) => !/^[A-Za-z0-9_-]+$/.test(n)))
    throw new CodedError(
      'INVALID_REQUEST',
      `Part names must be three different words, not ${given.join(',')}`,
    );
  const keep = options.keepSplit ? await readKeptSplit(options.keepSplit, partNames) : undefined;
  const candidates: Candidate[] = [];
  const sourceSummary: { name: string; kind: string; folder: string; candidates: number }[] = [];
  for (const [order, spec] of options.sources.entries()) {
    const read = (await readSource(spec)).map((c) => ({ ...c, order }));
    progress(
      `read ${spec.name} (${spec.kind}): ${read.length} candidates, ${read.filter((c) => c.exclusion === null).length} pass the rules`,
    );
    sourceSummary.push({
      name: spec.name,
      kind: spec.kind,
      folder: spec.folder,
      candidates: read.length,
    });
    candidates.push(...read);
  }

  const excluded: ExcludedFilm[] = [];
  const exclude = (c: Candidate, reason: string) =>
    excluded.push({
      source: c.source,
      originalPath: c.originalPath,
      path: c.path,
      patientId: c.patientId,
      finding: c.finding,
      reason,
    });
  const eligible: (Candidate & { path: string })[] = [];
  for (const c of candidates) {
    if (c.exclusion !== null || c.path === null) exclude(c, c.exclusion ?? EXCLUDED.imageMissing);
    else eligible.push(c as Candidate & { path: string });
  }

  const pool = options.pool ?? createDecodePool();
  let lastReport = 0;
  let outcomes;
  try {
    outcomes = await fingerprintAll(eligible, pool, (done, total) => {
      const now = Date.now();
      if (done === total || now - lastReport >= 2000) {
        lastReport = now;
        const seconds = (now - started) / 1000;
        const left = done > 0 ? ((total - done) * seconds) / done : 0;
        progress(
          `decoded and hashed ${done}/${total} films (${((100 * done) / total).toFixed(1)}%), ${seconds.toFixed(0)} s, about ${left.toFixed(0)} s left`,
        );
      }
    });
  } finally {
    if (!options.pool) await pool.dispose();
  }
  const films: Film[] = [];
  for (const outcome of outcomes) {
    if ('film' in outcome) films.push(outcome.film);
    else exclude(outcome.excluded, outcome.excluded.exclusion ?? EXCLUDED.unreadable);
  }

  const pairs = findDuplicatePairs(films);
  progress(`duplicates: ${pairs.length} pairs among ${films.length} films`);
  const { reasonOf, keptOf } = resolveCopies(films, pairs);
  const groups = groupFilms(
    films,
    pairs.map((p) => [p.a, p.b] as [number, number]),
    (i) => !reasonOf.has(i),
  );
  const { partOf, conflicts } = splitGroups(groups, {
    seed: options.seed,
    valFraction: options.valFraction,
    testFraction: options.testFraction,
    keep,
  });
  for (const group of conflicts)
    for (const i of group.members) reasonOf.set(i, EXCLUDED.keepSplitConflict);
  for (const [i, reason] of reasonOf) exclude(films[i], reason);

  const rows: ManifestRow[] = [];
  for (const group of groups) {
    const split = partOf.get(group.id);
    for (const i of group.members) {
      const film = films[i];
      if (!split || reasonOf.has(i)) continue;
      rows.push({
        file: film.path,
        label: film.label,
        patient_id: film.patientId,
        group_id: group.id,
        source: film.source,
        view: film.view,
        split,
        licence: film.licence,
        original_path: film.originalPath,
      });
    }
  }
  rows.sort((x, y) =>
    x.source < y.source
      ? -1
      : x.source > y.source
        ? 1
        : x.file < y.file
          ? -1
          : x.file > y.file
            ? 1
            : 0,
  );
  checkSplit(rows);

  const duplicates: DuplicateRecord[] = pairs.map((p) => ({
    fileA: films[p.a].path,
    fileB: films[p.b].path,
    sourceA: films[p.a].source,
    sourceB: films[p.b].source,
    kind: p.kind,
    hamming: p.hamming,
    correlation: p.correlation,
    kept: reasonOf.has(p.a) && reasonOf.has(p.b) ? '' : films[keptOf.get(p.a) ?? p.a].path,
  }));

  const licences = new Map<string, string>();
  for (const row of rows) {
    const before = licences.get(row.source);
    licences.set(
      row.source,
      before === undefined || before === row.licence ? row.licence : 'per image (see manifest.csv)',
    );
  }

  const rules = await readFile(join(__dirname, 'RULES.md'), 'utf8').catch(
    () => 'See src/main/dataset/RULES.md.',
  );
  const datasheet = datasheetMarkdown({
    rows,
    exclusions: excluded.map((e) => ({ source: e.source, reason: e.reason })),
    duplicates: pairs.map((p) => ({
      kind: p.kind,
      crossSource: films[p.a].source !== films[p.b].source,
    })),
    licences,
    sources: sourceSummary,
    command: options.command,
    seed: options.seed,
    valFraction: options.valFraction,
    testFraction: options.testFraction,
    keptSplit: options.keepSplit && keep ? { file: options.keepSplit, patients: keep.size } : null,
    partNames,
    builtAt: new Date().toISOString(),
    rules: rules.replace(/^# .*\n/, ''),
  });

  await writeOutputs(out, {
    'manifest.csv': stringify(
      rows.map((row) => ({ ...row, split: partNames[row.split] })),
      { header: true, columns: [...MANIFEST_COLUMNS] },
    ),
    'DATASHEET.md': datasheet,
    'duplicates.csv': stringify(
      duplicates.map((d) => [
        d.fileA,
        d.fileB,
        d.sourceA,
        d.sourceB,
        d.kind,
        d.hamming,
        d.correlation.toFixed(4),
        d.kept,
      ]),
      {
        header: true,
        columns: [
          'file_a',
          'file_b',
          'source_a',
          'source_b',
          'kind',
          'hamming_bits',
          'correlation',
          'kept',
        ],
      },
    ),
    'exclusions.csv': stringify(
      excluded.map((e) => [
        e.source,
        e.originalPath,
        e.path ?? '',
        e.patientId,
        e.finding,
        e.reason,
      ]),
      {
        header: true,
        columns: ['source', 'original_path', 'file', 'patient_id', 'finding', 'reason'],
      },
    ),
  });
  const seconds = (Date.now() - started) / 1000;
  progress(
    `wrote ${out}: ${rows.length} films, ${excluded.length} excluded, ${pairs.length} duplicate pairs, ${seconds.toFixed(1)} s`,
  );
  return { out, rows, excluded, duplicates, candidates: candidates.length, seconds };
}
