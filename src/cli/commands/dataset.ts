/**
 * `dataset build --source <kind>[:<name>]=<folder> ... --out <dir> [--seed N] [--val-fraction F]
 * [--test-fraction F] [--keep-split <manifest.csv>]`: a COVIDx-style, patient-level,
 * de-duplicated training set with a datasheet (src/main/dataset).
 */
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { RESEARCH_NOTICE } from '../../shared/notice';
import {
  SOURCE_KINDS,
  buildDataset,
  type DatasetSourceKind,
  type SourceSpec,
  type SplitPart,
} from '../../main/dataset';
import { UsageError, type CliCommand } from '../command';

const USAGE = [
  'usage: covidnet dataset build --source <kind>[:<name>]=<folder> [--source ...] --out <dir>',
  '         [--seed <n>] [--val-fraction <f>] [--test-fraction <f>] [--keep-split <manifest.csv>]',
  '         [--part-names <train>,<tuning>,<held-out>]',
  '',
  'Builds manifest.csv (file,label,patient_id,group_id,source,view,split,licence,original_path),',
  'DATASHEET.md, duplicates.csv and exclusions.csv in <dir>. Images are referenced in place.',
  '',
  'kinds (the layouts as their maintainers publish them):',
  '  cohen      covid-chestxray-dataset: metadata.csv + images/ (and volumes/)',
  '  figure1    Figure1-COVID-chestxray-dataset: metadata.csv + images/<patientid>.jpg|png',
  '  actualmed  Actualmed-COVID-chestxray-dataset: metadata.csv + images/<imagename>',
  '  nih        ChestX-ray14: Data_Entry_2017.csv + images anywhere below',
  '  rsna       pneumonia challenge: stage_2_train_labels.csv + stage_2_detailed_class_info.csv + <patientId>.dcm',
  '  c19rdb     COVID-19 Radiography Database: class folders (COVID, Normal, Viral Pneumonia, Lung_Opacity)',
  '  site       labels.csv (path,label[,patient_id,view]) or the reader-readings journal',
  '  manifest   a prebuilt manifest.csv (file,label[,patient_id|group_id,source,view,license])',
  '',
  'Defaults: --seed 42, --val-fraction 0.1, --test-fraction 0.1. --keep-split keeps every patient',
  'of an earlier manifest in the part it was in. --part-names renames the parts in manifest.csv',
  '(training/data_stage.py reads the default names); --val-fraction sizes the tuning part and',
  '--test-fraction the held-out part. Rules: src/main/dataset/RULES.md.',
].join('\n');

export function parseSourceSpec(text: string): SourceSpec {
  const match = /^([a-z0-9]+)(?::([A-Za-z0-9._-]+))?=(.+)$/.exec(text);
  const kind = match?.[1] as DatasetSourceKind | undefined;
  if (!match || !kind || !SOURCE_KINDS.includes(kind)) {
    throw new UsageError(
      `--source "${text}": expected <kind>[:<name>]=<folder> with kind one of ${SOURCE_KINDS.join(', ')}`,
    );
  }
  return { kind, name: match[2] ?? kind, folder: resolve(match[3]) };
}

/** `--part-names a,b,c`: what manifest.csv calls the training, tuning and held-out parts. */
function partNames(text: string | undefined): Record<SplitPart, string> {
  if (text === undefined) return { train: 'train', val: 'val', test: 'test' };
  const names = text.split(',').map((n) => n.trim());
  if (
    names.length !== 3 ||
    new Set(names).size !== 3 ||
    names.some((n) => !/^[A-Za-z0-9_-]+$/.test(n))
  ) {
    throw new UsageError('--part-names takes three different words: <train>,<tuning>,<held-out>');
  }
  return { train: names[0], val: names[1], test: names[2] };
}

function fraction(name: string, text: string | undefined, fallback: number): number {
  if (text === undefined) return fallback;
  const value = Number(text);
  if (!Number.isFinite(value) || value < 0 || value >= 1)
    throw new UsageError(`${name} must be a number in [0, 1)`);
  return value;
}

export const datasetCommand: CliCommand = {
  name: 'dataset',
  summary: 'build a COVIDx-style patient-level, de-duplicated training set with a datasheet',
  usage: USAGE,
  async run(args, io) {
    const [action, ...rest] = args;
    if (action !== 'build')
      throw new UsageError(action ? `unknown action "${action}"` : 'expected "build"');
    const { values, positionals } = parseArgs({
      args: rest,
      allowPositionals: true,
      strict: true,
      options: {
        source: { type: 'string', multiple: true },
        out: { type: 'string' },
        seed: { type: 'string' },
        'val-fraction': { type: 'string' },
        'test-fraction': { type: 'string' },
        'keep-split': { type: 'string' },
        'part-names': { type: 'string' },
      },
    });
    if (positionals.length > 0) throw new UsageError(`unexpected argument "${positionals[0]}"`);
    if (!values.source?.length) throw new UsageError('give at least one --source <kind>=<folder>');
    if (!values.out) throw new UsageError('give --out <dir>');
    const names = partNames(values['part-names']);
    const seed = values.seed === undefined ? 42 : Number(values.seed);
    if (!Number.isInteger(seed) || seed < 0) throw new UsageError('--seed must be a whole number');
    const result = await buildDataset({
      sources: values.source.map(parseSourceSpec),
      out: values.out,
      seed,
      valFraction: fraction('--val-fraction', values['val-fraction'], 0.1),
      testFraction: fraction('--test-fraction', values['test-fraction'], 0.1),
      keepSplit: values['keep-split'],
      partNames: names,
      command: ['covidnet', 'dataset', ...args].join(' '),
      progress: (line) => io.err(line),
    });
    const parts = { train: 0, val: 0, test: 0 };
    for (const row of result.rows) parts[row.split]++;
    io.out(
      [
        RESEARCH_NOTICE,
        `${result.out}: ${result.rows.length} films (${names.train} ${parts.train}, ${names.val} ${parts.val}, ${names.test} ${parts.test}),` +
          ` ${result.excluded.length} excluded, ${result.duplicates.length} duplicate pairs, from ${result.candidates} candidates` +
          ` in ${result.seconds.toFixed(1)} s`,
      ].join('\n'),
    );
    return 0;
  },
};
