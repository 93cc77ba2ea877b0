/**
 * One reader per upstream layout, as the maintainers publish it. A reader turns a source folder
 * into candidates (one per metadata row or image), each judged by the rules: a label, or the
 * reason it is excluded. Structural problems (no metadata file, a missing column, an empty id)
 * throw before anything is decoded or written.
 */
import { readdir, stat } from 'node:fs/promises';
import { basename, dirname, extname, join, relative, resolve, sep } from 'node:path';
import { CodedError } from '../../shared/errors';
import { latestPerStudy, readJournal, JOURNAL_FILE } from '../reader-readings';
import {
  cell,
  metadataError,
  readMetadataCsv,
  requiredCell,
  type MetadataTable,
} from './metadata-csv';
import {
  EXCLUDED,
  LICENCES,
  c19rdbFolderLabel,
  cohenLabel,
  figure1Label,
  isXrayModality,
  nihLabel,
  normaliseView,
  plainLabel,
  rsnaLabel,
  withDetail,
  type LabelDecision,
} from './rules';
import type { Candidate, SourceSpec } from './types';

const IMAGE_EXTENSIONS = new Set(['.png', '.jpg', '.jpeg', '.dcm', '.dicom', '']);

/** Every file under a folder (relative paths, `/`-separated), dot-files and folders skipped. */
export async function listFiles(folder: string): Promise<string[]> {
  const out: string[] = [];
  async function walk(dir: string): Promise<void> {
    const entries = await readdir(dir, { withFileTypes: true });
    for (const entry of entries) {
      if (entry.name.startsWith('.')) continue;
      const full = join(dir, entry.name);
      // A linked file or folder counts as what it points to.
      const target = entry.isSymbolicLink() ? await stat(full).catch(() => null) : entry;
      if (target?.isDirectory()) await walk(full);
      else if (target?.isFile()) out.push(relative(folder, full).split(sep).join('/'));
    }
  }
  await walk(folder);
  return out.sort();
}

/** Files of a source folder by name, for layouts that name images without their folder. */
class FileIndex {
  private readonly byName = new Map<string, string>();
  private readonly byStem = new Map<string, string>();
  constructor(
    readonly folder: string,
    files: readonly string[],
  ) {
    for (const file of files) {
      const name = basename(file);
      if (!this.byName.has(name)) this.byName.set(name, file);
      const stem = name.slice(0, name.length - extname(name).length);
      if (IMAGE_EXTENSIONS.has(extname(name).toLowerCase()) && !this.byStem.has(stem))
        this.byStem.set(stem, file);
    }
  }
  static async of(folder: string): Promise<FileIndex> {
    return new FileIndex(folder, await listFiles(folder));
  }
  /** A relative path, preferring `preferred` (as the layout documents it) when it exists. */
  find(name: string, preferred?: string): string | null {
    if (preferred && this.byName.get(basename(preferred)) === preferred) return preferred;
    return this.byName.get(name) ?? null;
  }
  findStem(stem: string): string | null {
    return this.byStem.get(stem) ?? null;
  }
}

interface RowJudgement {
  decision: LabelDecision;
  viewRaw: string;
  modality: string;
  /** False: a blank view is kept as `not recorded` (the source records none). */
  viewColumn: boolean;
}

/** Applies label, modality and view rules; the first failing rule names the exclusion. */
function judge(j: RowJudgement): Pick<Candidate, 'label' | 'view' | 'exclusion'> {
  if (!isXrayModality(j.modality))
    return { label: null, view: null, exclusion: withDetail(EXCLUDED.crossSectional, j.modality) };
  const view = normaliseView(j.viewRaw);
  if (view.kind === 'excluded') return { label: null, view: null, exclusion: view.exclusion };
  if (j.decision.label === null)
    return { label: null, view: null, exclusion: j.decision.exclusion };
  if (view.kind === 'unrecorded') {
    // Sources that record views: a blank one may still be filled from a DICOM header (null).
    return { label: j.decision.label, view: j.viewColumn ? null : 'not recorded', exclusion: null };
  }
  return { label: j.decision.label, view: view.view, exclusion: null };
}

function located(spec: SourceSpec, rel: string | null, fallbackName: string) {
  return {
    path: rel === null ? null : resolve(spec.folder, rel),
    originalPath: `${spec.name}:${rel ?? fallbackName}`,
  };
}

function missingImage(candidate: Candidate): Candidate {
  return candidate.path === null && candidate.exclusion === null
    ? { ...candidate, label: null, exclusion: EXCLUDED.imageMissing }
    : candidate;
}

async function readCohen(spec: SourceSpec): Promise<Candidate[]> {
  const file = join(spec.folder, 'metadata.csv');
  const table = await readMetadataCsv(file, [
    'patientid',
    'finding',
    'view',
    'modality',
    'folder',
    'filename',
  ]);
  const index = await FileIndex.of(spec.folder);
  return table.rows.map((row) => {
    const patient = requiredCell(table, row, 'patientid');
    const filename = requiredCell(table, row, 'filename');
    const folder = cell(table, row.cells, 'folder') || 'images';
    const finding = cell(table, row.cells, 'finding');
    const rel = index.find(filename, `${folder}/${filename}`);
    const judged = judge({
      decision: cohenLabel(finding),
      viewRaw: cell(table, row.cells, 'view'),
      modality: folder === 'volumes' ? 'CT' : cell(table, row.cells, 'modality'),
      viewColumn: true,
    });
    return missingImage({
      source: spec.name,
      kind: spec.kind,
      ...located(spec, rel, `${folder}/${filename}`),
      patientId: `cohen-${patient}`,
      finding,
      licence: cell(table, row.cells, 'license') || 'unspecified (see the image url)',
      ...judged,
    });
  });
}

/**
 * Figure1: images are `images/<patientid>.jpg|.png` (no file column); ids like COVID-00003a and
 * COVID-00003b are two films of one patient. Actualmed: `images/<imagename>`.
 */
async function readFigure1OrActualmed(spec: SourceSpec): Promise<Candidate[]> {
  const actualmed = spec.kind === 'actualmed';
  const file = join(spec.folder, 'metadata.csv');
  const required = ['patientid', 'finding', 'view', 'modality'];
  const table = await readMetadataCsv(file, actualmed ? [...required, 'imagename'] : required);
  const index = await FileIndex.of(spec.folder);
  return table.rows.map((row) => {
    const patient = requiredCell(table, row, 'patientid');
    const imageName = actualmed ? requiredCell(table, row, 'imagename') : patient;
    const rel = actualmed ? index.find(imageName, `images/${imageName}`) : index.findStem(patient);
    const finding = cell(table, row.cells, 'finding');
    const patientId = actualmed ? patient : patient.replace(/(\d)[a-z]$/, '$1');
    return missingImage({
      source: spec.name,
      kind: spec.kind,
      ...located(spec, rel, `images/${imageName}`),
      patientId: `${spec.kind}-${patientId}`,
      finding,
      licence: LICENCES[spec.kind as 'figure1' | 'actualmed'],
      ...judge({
        decision: figure1Label(finding),
        viewRaw: cell(table, row.cells, 'view'),
        modality: cell(table, row.cells, 'modality'),
        viewColumn: true,
      }),
    });
  });
}

/** NIH ChestX-ray14: `Data_Entry_2017.csv` (or its v2020 re-issue) and images anywhere below. */
async function readNih(spec: SourceSpec): Promise<Candidate[]> {
  const names = ['Data_Entry_2017.csv', 'Data_Entry_2017_v2020.csv'];
  const present = await Promise.all(
    names.map((n) =>
      stat(join(spec.folder, n)).then(
        () => n,
        () => null,
      ),
    ),
  );
  const file = join(spec.folder, present.find((n) => n !== null) ?? names[0]);
  const table = await readMetadataCsv(file, [
    'Image Index',
    'Finding Labels',
    'Patient ID',
    'View Position',
  ]);
  const index = await FileIndex.of(spec.folder);
  return table.rows.map((row) => {
    const image = requiredCell(table, row, 'Image Index');
    const patient = requiredCell(table, row, 'Patient ID');
    if (!/^\d+$/.test(patient))
      throw metadataError(
        file,
        `line ${row.line}: column "Patient ID" is not a number ("${patient}")`,
      );
    const finding = cell(table, row.cells, 'Finding Labels');
    return missingImage({
      source: spec.name,
      kind: spec.kind,
      ...located(spec, index.find(image), `images/${image}`),
      patientId: `nih-${patient.padStart(8, '0')}`,
      finding,
      licence: LICENCES.nih,
      ...judge({
        decision: nihLabel(finding),
        viewRaw: cell(table, row.cells, 'View Position'),
        modality: '',
        viewColumn: true,
      }),
    });
  });
}

/**
 * RSNA pneumonia challenge: `stage_2_detailed_class_info.csv` (patientId,class) and
 * `stage_2_train_labels.csv` (patientId,x,y,width,height,Target), one row per box; the DICOM
 * `<patientId>.dcm` (one film per patientId) carries the view.
 */
async function readRsna(spec: SourceSpec): Promise<Candidate[]> {
  const classes = await readMetadataCsv(join(spec.folder, 'stage_2_detailed_class_info.csv'), [
    'patientId',
    'class',
  ]);
  const targets = await readMetadataCsv(join(spec.folder, 'stage_2_train_labels.csv'), [
    'patientId',
    'Target',
  ]);
  const targetOf = new Map<string, Set<string>>();
  for (const row of targets.rows) {
    const id = requiredCell(targets, row, 'patientId');
    const target = requiredCell(targets, row, 'Target');
    if (target !== '0' && target !== '1')
      throw metadataError(
        targets.file,
        `line ${row.line}: column "Target" is "${target}", not 0 or 1`,
      );
    targetOf.set(id, (targetOf.get(id) ?? new Set()).add(target));
  }
  const classOf = new Map<string, Set<string>>();
  for (const row of classes.rows) {
    const id = requiredCell(classes, row, 'patientId');
    classOf.set(id, (classOf.get(id) ?? new Set()).add(requiredCell(classes, row, 'class')));
  }
  const index = await FileIndex.of(spec.folder);
  return [...classOf].map(([id, classSet]) => {
    const className = [...classSet].join(' + ');
    const target = targetOf.get(id);
    const expected = className === 'Lung Opacity' ? '1' : '0';
    const agree = classSet.size === 1 && target?.size === 1 && target.has(expected);
    const decision = agree
      ? rsnaLabel(className)
      : {
          label: null,
          exclusion: withDetail(
            EXCLUDED.labelsDisagree,
            `class ${className}, Target ${[...(target ?? [])].join('/') || 'none'}`,
          ),
        };
    return missingImage({
      source: spec.name,
      kind: spec.kind,
      ...located(spec, index.findStem(id), `stage_2_train_images/${id}.dcm`),
      patientId: `rsna-${id}`,
      finding: className,
      licence: LICENCES.rsna,
      ...judge({ decision, viewRaw: '', modality: '', viewColumn: true }),
    });
  });
}

/**
 * COVID-19 Radiography Database: class folders (`COVID`, `Normal`, `Viral Pneumonia`,
 * `Lung_Opacity`; v1 `COVID-19`, `NORMAL`), images directly inside or in `images/`; `masks/`
 * folders hold lung masks. No patient ids: each file is its own patient.
 */
async function readC19rdb(spec: SourceSpec): Promise<Candidate[]> {
  const files = (await listFiles(spec.folder)).filter((f) =>
    ['.png', '.jpg', '.jpeg'].includes(extname(f).toLowerCase()),
  );
  const candidates: Candidate[] = [];
  for (const rel of files) {
    const folders = dirname(rel).split('/');
    let decision: LabelDecision | null = null;
    let className = '';
    for (let i = folders.length - 1; i >= 0 && decision === null; i--) {
      decision = c19rdbFolderLabel(folders[i]);
      className = folders[i];
    }
    if (decision === null) continue;
    const isMask = folders.some((f) => f.toLowerCase() === 'masks');
    const stem = basename(rel, extname(rel));
    candidates.push({
      source: spec.name,
      kind: spec.kind,
      ...located(spec, rel, rel),
      patientId: `c19rdb-${stem.replace(/\s+/g, '_')}`,
      finding: className,
      licence: LICENCES.c19rdb,
      ...(isMask
        ? { label: null, view: null, exclusion: EXCLUDED.maskImage }
        : judge({ decision, viewRaw: '', modality: '', viewColumn: false })),
    });
  }
  if (candidates.length === 0) {
    throw new CodedError(
      'INVALID_REQUEST',
      `${spec.folder}: no COVID-19 Radiography Database class folder (COVID, Normal, Viral Pneumonia, Lung_Opacity) with images`,
    );
  }
  return candidates;
}

/** A labels CSV: `path` (or `file`) and `label`; `patient_id` and `view` when the clinic has them. */
async function readLabelTable(
  spec: SourceSpec,
  csv: string,
  options: { manifest: boolean },
): Promise<Candidate[]> {
  const probe = await readMetadataCsv(csv, []);
  const pathColumn = probe.columns.has('path') ? 'path' : 'file';
  const table = await readMetadataCsv(csv, [pathColumn, 'label']);
  const base = dirname(resolve(csv));
  const licenceColumn = table.columns.has('licence') ? 'licence' : 'license';
  const checks = table.rows.map(async (row) => {
    const given = requiredCell(table, row, pathColumn);
    const path = resolve(base, given);
    const exists = await stat(path).then(
      (s) => s.isFile(),
      () => false,
    );
    const source = (options.manifest && cell(table, row.cells, 'source')) || spec.name;
    const stem = basename(given, extname(given));
    const givenPatient = cell(table, row.cells, 'patient_id');
    // A prebuilt manifest's ids are already global (source-prefixed); a clinic's are its own.
    const patientId = options.manifest
      ? givenPatient || cell(table, row.cells, 'group_id') || `${source}-${stem}`
      : `${spec.name}-${givenPatient || stem}`;
    const label = requiredCell(table, row, 'label');
    return missingImage({
      source,
      kind: spec.kind,
      path: exists ? path : null,
      originalPath: cell(table, row.cells, 'original_path') || `${spec.name}:${given}`,
      patientId,
      finding: label,
      licence: cell(table, row.cells, licenceColumn) || LICENCES[spec.kind as 'site' | 'manifest'],
      ...judge({
        decision: plainLabel(label),
        viewRaw: cell(table, row.cells, 'view'),
        modality: cell(table, row.cells, 'modality'),
        viewColumn: false,
      }),
    });
  });
  return Promise.all(checks);
}

/** Site: `labels.csv` (path,label[,patient_id,view]) or the reader-readings journal; one of them. */
async function readSite(spec: SourceSpec): Promise<Candidate[]> {
  const info = await stat(spec.folder).catch(() => null);
  if (info?.isFile()) return readLabelTable(spec, spec.folder, { manifest: false });
  const csv = join(spec.folder, 'labels.csv');
  if (
    await stat(csv).then(
      () => true,
      () => false,
    )
  ) {
    return readLabelTable(spec, csv, { manifest: false });
  }
  if (
    await stat(join(spec.folder, JOURNAL_FILE)).then(
      () => true,
      () => false,
    )
  ) {
    const { records } = await readJournal(spec.folder);
    return Promise.all(
      latestPerStudy(records).map(async (reading) => {
        const exists = await stat(reading.path).then(
          (s) => s.isFile(),
          () => false,
        );
        return missingImage({
          source: spec.name,
          kind: spec.kind,
          path: exists ? reading.path : null,
          originalPath: `${spec.name}:${reading.path}`,
          patientId: `${spec.name}-${reading.studyKey}`,
          finding: reading.reading,
          licence: LICENCES.site,
          ...judge({
            decision: plainLabel(reading.reading),
            viewRaw: '',
            modality: '',
            viewColumn: false,
          }),
        });
      }),
    );
  }
  throw new CodedError(
    'FILE_NOT_FOUND',
    `${spec.folder}: a site source needs labels.csv (columns path,label) or ${JOURNAL_FILE}`,
  );
}

/** A prebuilt manifest (`manifest.csv`: file,label and any of patient_id, group_id, source, view, license). */
async function readManifest(spec: SourceSpec): Promise<Candidate[]> {
  const info = await stat(spec.folder).catch(() => null);
  const csv = info?.isFile() ? spec.folder : join(spec.folder, 'manifest.csv');
  return readLabelTable(spec, csv, { manifest: true });
}

export async function readSource(spec: SourceSpec): Promise<Candidate[]> {
  const info = await stat(spec.folder).catch(() => null);
  if (!info) throw new CodedError('FILE_NOT_FOUND', `Source folder ${spec.folder} does not exist`);
  switch (spec.kind) {
    case 'cohen':
      return readCohen(spec);
    case 'figure1':
    case 'actualmed':
      return readFigure1OrActualmed(spec);
    case 'nih':
      return readNih(spec);
    case 'rsna':
      return readRsna(spec);
    case 'c19rdb':
      return readC19rdb(spec);
    case 'site':
      return readSite(spec);
    case 'manifest':
      return readManifest(spec);
  }
}

export type { MetadataTable };
