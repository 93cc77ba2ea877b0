/**
 * DATASHEET.md in the spirit of "Datasheets for Datasets" (Gebru et al.): what is in the built
 * set and why, counted from the manifest rows themselves so the tables always add up to it.
 */
import { RESEARCH_NOTICE } from '../../shared/notice';
import { reasonOnly } from './rules';
import {
  DATASET_LABELS,
  SPLIT_PARTS,
  type DuplicateKind,
  type ManifestRow,
  type SplitPart,
} from './types';

export interface DatasheetInput {
  rows: readonly ManifestRow[];
  /** Every excluded candidate: its source and reason. */
  exclusions: readonly { source: string; reason: string }[];
  duplicates: readonly { kind: DuplicateKind; crossSource: boolean }[];
  /** Licence text per source (first seen, or `per image` when the rows differ). */
  licences: ReadonlyMap<string, string>;
  sources: readonly { name: string; kind: string; folder: string; candidates: number }[];
  command: string;
  seed: number;
  valFraction: number;
  testFraction: number;
  keptSplit: { file: string; patients: number } | null;
  /** What the manifest calls each part. */
  partNames: Readonly<Record<SplitPart, string>>;
  builtAt: string;
  rules: string;
}

const count = <T>(items: readonly T[], key: (item: T) => string): Map<string, number> => {
  const out = new Map<string, number>();
  for (const item of items) out.set(key(item), (out.get(key(item)) ?? 0) + 1);
  return out;
};

const table = (head: string[], rows: (string | number)[][]): string =>
  [
    `| ${head.join(' | ')} |`,
    `|${head.map(() => '---').join('|')}|`,
    ...rows.map((r) => `| ${r.map((c) => String(c).replace(/\|/g, '\\|')).join(' | ')} |`),
  ].join('\n');

export function datasheetMarkdown(input: DatasheetInput): string {
  const { rows } = input;
  const perCell = count(rows, (r) => `${r.source}\u0000${r.label}\u0000${r.split}`);
  const sources = [...new Set(rows.map((r) => r.source))].sort();
  const countRows: (string | number)[][] = [];
  for (const source of sources) {
    for (const label of DATASET_LABELS) {
      const parts = SPLIT_PARTS.map((p) => perCell.get(`${source}\u0000${label}\u0000${p}`) ?? 0);
      const total = parts.reduce((a, b) => a + b, 0);
      if (total > 0) countRows.push([source, label, ...parts, total]);
    }
  }
  const partTotals = SPLIT_PARTS.map((p) => rows.filter((r) => r.split === p).length);
  countRows.push(['**all**', '**all**', ...partTotals, rows.length]);

  const patientsOf = (part: SplitPart, label?: string) =>
    new Set(
      rows
        .filter((r) => r.split === part && (!label || r.label === label))
        .map((r) => r.patient_id),
    ).size;
  const groupsOf = (part: SplitPart) =>
    new Set(rows.filter((r) => r.split === part).map((r) => r.group_id)).size;
  const patientRows = [
    ...DATASET_LABELS.map((label) => [label, ...SPLIT_PARTS.map((p) => patientsOf(p, label))]),
    ['patients (any label)', ...SPLIT_PARTS.map((p) => patientsOf(p))],
    ['groups', ...SPLIT_PARTS.map((p) => groupsOf(p))],
  ];

  const reasons = count(input.exclusions, (e) => `${e.reason}\u0000${e.source}`);
  const exclusionRows = [...reasons]
    .sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))
    .map(([key, n]) => [...key.split('\u0000'), n]);
  const byReason = count(input.exclusions, (e) => reasonOnly(e.reason));

  const dupKinds = count(input.duplicates, (d) => d.kind);
  const crossSource = input.duplicates.filter((d) => d.crossSource).length;

  return [
    '# Datasheet',
    '',
    `> ${RESEARCH_NOTICE} This data set is for developing and evaluating such software.`,
    '',
    '## Motivation',
    'A COVIDx-style training set (normal / non-COVID pneumonia / COVID-19 chest X-rays), rebuilt by',
    '`covidnet dataset build` from local copies of public repositories and local labelled films with',
    'the rules below, split by patient so that no patient and no picture is in two parts.',
    '',
    '## How it was built',
    '```',
    input.command,
    '```',
    `Built ${input.builtAt}; seed ${input.seed}; val fraction ${input.valFraction}; test fraction ${input.testFraction}` +
      (input.keptSplit
        ? `; --keep-split ${input.keptSplit.file} (${input.keptSplit.patients} patients kept in their part)`
        : '') +
      '.',
    '',
    table(
      ['source', 'reader', 'folder', 'candidates (metadata rows / images)'],
      input.sources.map((s) => [s.name, s.kind, `\`${s.folder}\``, s.candidates]),
    ),
    '',
    `Parts: \`${input.partNames.train}\` for training, \`${input.partNames.val}\` for tuning and calibration, \`${input.partNames.test}\` held out for reporting.`,
    '',
    '## Composition',
    `${rows.length} films in manifest.csv. Films per source x label x split:`,
    '',
    table(['source', 'label', ...SPLIT_PARTS.map((p) => input.partNames[p]), 'total'], countRows),
    '',
    'Patients and groups (patients joined by shared pictures) per part:',
    '',
    table(['', ...SPLIT_PARTS.map((p) => input.partNames[p])], patientRows),
    '',
    '## Cleaning: exclusions and duplicates',
    `${input.exclusions.length} candidates excluded. By reason:`,
    '',
    table(
      ['reason', 'films'],
      [...byReason].sort((a, b) => b[1] - a[1]).map(([reason, n]) => [reason, n]),
    ),
    '',
    'By reason (with detail) and source:',
    '',
    table(['reason', 'source', 'films'], exclusionRows),
    '',
    `Duplicate pairs found (the same picture twice; every pair is in duplicates.csv): ${input.duplicates.length}` +
      ` (exact bytes ${dupKinds.get('exact') ?? 0}, re-encoded/resized ${dupKinds.get('near') ?? 0},` +
      ` stored as a negative ${dupKinds.get('inverted') ?? 0}; across two sources ${crossSource}).` +
      ' Of each set of copies one film is kept (the largest; then the source given first); copies' +
      ' with different labels are all left out; the patients of all copies are one group.',
    '',
    '## Labelling rules',
    input.rules.trim(),
    '',
    '## Licences (per source)',
    table(
      ['source', 'licence'],
      [...input.licences].sort((a, b) => (a[0] < b[0] ? -1 : 1)).map(([s, l]) => [s, l]),
    ),
    'Per-film licences are in the `licence` column of manifest.csv. Several sources are research use',
    'only or non-commercial: use the set for development and evaluation; ship trained models only.',
    '',
    '## Caveats',
    '- Source confounding: labels are unevenly spread over sources (see the table); a model can learn',
    '  the source (resolution, borders, processing) instead of the lungs. Report per-source results.',
    '- Labels are as the sources give them (NIH labels are mined from reports by NLP; Cohen images are',
    '  often figures from papers). Near-identical follow-up films of one patient can be joined as one',
    '  picture; lung-masked or cropped third-party copies of a film are not recognised as copies.',
    '- Films are referenced in place (absolute paths); the set is not a copy and was not modified.',
    '',
    '## Maintenance',
    'Rebuild with the command above when the sources grow; pass this manifest to `--keep-split` to',
    'keep every patient in the part it is in now.',
    '',
  ].join('\n');
}
