/**
 * Joining the site's films to their labels: a CSV (`path,label`; paths relative to the CSV's
 * folder or absolute; `file` is accepted for `path`, so an `evaluate` manifest works too) or the
 * readings recorded in the viewer (by file, else by DICOM study). Films are matched by real path,
 * so a linked copy matches its label.
 */
import { readFile, realpath } from 'node:fs/promises';
import { basename, dirname, resolve } from 'node:path';
import { parse } from 'csv-parse/sync';
import { CodedError } from '../../shared/errors';
import type { ReaderReading } from '../../shared/reader-reading';
import { readImageHeader } from '../library/header-index';

export interface FilmLabel {
  /** Absolute path as given (resolved). */
  path: string;
  label: string;
  /** For reader readings of DICOM studies: the study the reading was made on. */
  studyInstanceUid: string | null;
}

export async function readLabelsCsv(csvPath: string): Promise<FilmLabel[]> {
  const base = dirname(resolve(csvPath));
  let text: string;
  try {
    text = await readFile(csvPath, 'utf8');
  } catch {
    throw new CodedError('FILE_NOT_FOUND', `Cannot read the labels CSV ${csvPath}`);
  }
  const records = parse(text, {
    columns: true,
    skip_empty_lines: true,
    trim: true,
    bom: true,
  }) as Record<string, string>[];
  return records.map((record, i) => {
    const path = record.path ?? record.file;
    const label = record.label;
    if (!path || !label) {
      throw new CodedError(
        'INVALID_REQUEST',
        `${basename(csvPath)} row ${i + 2}: needs "path" (or "file") and "label" columns`,
      );
    }
    return { path: resolve(base, path), label, studyInstanceUid: null };
  });
}

export function readingsAsLabels(readings: readonly ReaderReading[]): FilmLabel[] {
  return readings.map((r) => ({
    path: r.path,
    label: r.reading,
    studyInstanceUid: r.studyInstanceUid,
  }));
}

export interface LabelJoin {
  /** Films with a model-class label, in film order. */
  labelled: { path: string; label: string }[];
  unlabelled: string[];
  /** Films whose label is no model class (e.g. "other"), by label. */
  excludedByLabel: Record<string, number>;
  labelsWithoutFilm: number;
  /** The paths those labels name (as given), for the warning. */
  labelsWithoutFilmPaths: string[];
  /** Labels written in another case than the model's ("covid-19" for "COVID-19"), by label as written. */
  caseFolded: Record<string, string>;
}

/**
 * The model class a label names, compared without case and surrounding space ("Normal",
 * "covid-19 " name "normal", "COVID-19"); null when it names none.
 */
export function modelClassOf(label: string, modelLabels: readonly string[]): string | null {
  const key = label.trim().toLowerCase();
  return modelLabels.find((l) => l.toLowerCase() === key) ?? null;
}

const realOrResolved = (path: string): Promise<string> => realpath(path).catch(() => resolve(path));

export async function joinLabels(
  films: readonly string[],
  labels: readonly FilmLabel[],
  modelLabels: readonly string[],
): Promise<LabelJoin> {
  const byPath = new Map<string, FilmLabel>();
  for (const label of labels) byPath.set(await realOrResolved(label.path), label);
  const byStudy = new Map<string, FilmLabel>();
  for (const label of labels)
    if (label.studyInstanceUid) byStudy.set(label.studyInstanceUid, label);

  const used = new Set<FilmLabel>();
  const join: LabelJoin = {
    labelled: [],
    unlabelled: [],
    excludedByLabel: {},
    labelsWithoutFilm: 0,
    labelsWithoutFilmPaths: [],
    caseFolded: {},
  };
  for (const film of films) {
    let label = byPath.get(await realOrResolved(film)) ?? null;
    if (label === null && byStudy.size > 0) {
      // A reading is per study: it labels the study's films in the folder too.
      const header = await readImageHeader(film).catch(() => null);
      const uid = header?.kind === 'image' ? header.summary.studyInstanceUid : undefined;
      if (uid) label = byStudy.get(uid) ?? null;
    }
    if (label === null) {
      join.unlabelled.push(film);
      continue;
    }
    used.add(label);
    const modelClass = modelClassOf(label.label, modelLabels);
    if (modelClass !== null) {
      join.labelled.push({ path: film, label: modelClass });
      if (modelClass !== label.label) join.caseFolded[label.label] = modelClass;
    } else join.excludedByLabel[label.label] = (join.excludedByLabel[label.label] ?? 0) + 1;
  }
  const withoutFilm = labels.filter((l) => !used.has(l));
  join.labelsWithoutFilm = withoutFilm.length;
  join.labelsWithoutFilmPaths = withoutFilm.map((l) => l.path);
  return join;
}
