/**
 * DICOMDIR (PS3.3 F.3): walks directory records by their offsets (root -> next/lower), carrying
 * PATIENT > STUDY > SERIES context down to each record that references a file. If offsets are
 * absent or unusable, falls back to the records' order in the sequence.
 */
import type { TextDecoder } from 'node:util';
import { readdirSync, existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import type { DataSet } from 'dicom-parser';
import { CodedError } from '../../../shared/errors';
import { numberValue, personName, text, texts } from './attributes';
import type { DicomFile } from './parse';

export interface DicomdirEntry {
  filePath: string;
  /** Record type of the referencing record (IMAGE, SR DOCUMENT, ...). */
  recordType?: string;
  patientId?: string;
  patientName?: string;
  studyInstanceUid?: string;
  studyDate?: string;
  studyDescription?: string;
  seriesInstanceUid?: string;
  seriesNumber?: number;
  modality?: string;
  instanceNumber?: number;
  sopInstanceUid?: string;
}

type Context = Omit<DicomdirEntry, 'filePath' | 'recordType' | 'instanceNumber' | 'sopInstanceUid'>;

/** Joins Referenced File ID components under `base`, matching each component case-insensitively if needed. */
export function resolveReferencedFile(base: string, components: string[]): string {
  const exact = resolve(base, ...components);
  if (existsSync(exact)) return exact;
  let current = resolve(base);
  for (const component of components) {
    const direct = join(current, component);
    if (existsSync(direct)) {
      current = direct;
      continue;
    }
    let match: string | undefined;
    try {
      match = readdirSync(current).find((name) => name.toLowerCase() === component.toLowerCase());
    } catch {
      return exact;
    }
    if (!match) return exact;
    current = join(current, match);
  }
  return current;
}

function applyRecord(
  record: DataSet,
  type: string,
  context: Context,
  decoder: TextDecoder,
): Context {
  switch (type) {
    case 'PATIENT':
      return {
        patientId: text(record, 'x00100020', decoder),
        patientName: personName(record, 'x00100010', decoder),
      };
    case 'STUDY':
      return {
        ...context,
        studyInstanceUid: text(record, 'x0020000d', decoder),
        studyDate: text(record, 'x00080020', decoder),
        studyDescription: text(record, 'x00081030', decoder),
      };
    case 'SERIES':
      return {
        ...context,
        seriesInstanceUid: text(record, 'x0020000e', decoder),
        seriesNumber: numberValue(record, 'x00200011'),
        modality: text(record, 'x00080060', decoder),
      };
    default:
      return context;
  }
}

function clean<T extends object>(value: T): T {
  for (const key of Object.keys(value) as (keyof T)[])
    if (value[key] === undefined) delete value[key];
  return value;
}

export function walkDicomdir(file: DicomFile, dicomdirPath: string): DicomdirEntry[] {
  const ds = file.dataSet;
  const sequence = ds.elements.x00041220;
  if (!sequence)
    throw new CodedError('DICOMDIR_INVALID', `${dicomdirPath}: no Directory Record Sequence`);
  const items = sequence.items ?? [];
  const base = dirname(resolve(dicomdirPath));
  const decoder = file.text;
  const byOffset = new Map<number, DataSet>();
  for (const item of items) if (item.dataSet) byOffset.set(item.dataOffset - 8, item.dataSet);

  const entries: DicomdirEntry[] = [];
  const emit = (record: DataSet, type: string, context: Context): void => {
    const components = texts(record, 'x00041500', decoder).filter((c) => c !== '');
    if (components.length === 0) return;
    entries.push(
      clean({
        filePath: resolveReferencedFile(base, components),
        recordType: type,
        ...context,
        instanceNumber: numberValue(record, 'x00200013'),
        sopInstanceUid: text(record, 'x00041511', decoder) ?? text(record, 'x00080018', decoder),
      }),
    );
  };

  const rootOffset = ds.uint32('x00041200') ?? 0;
  const visited = new Set<number>();
  const walk = (offset: number, context: Context, depth: number): boolean => {
    // Depth and visited bounds keep a corrupt offset graph from looping.
    while (offset !== 0) {
      const record = byOffset.get(offset);
      if (!record || visited.has(offset) || depth > 16) return false;
      visited.add(offset);
      const type = (text(record, 'x00041430', decoder) ?? '').toUpperCase();
      const inner = applyRecord(record, type, context, decoder);
      emit(record, type, inner);
      const lower = record.uint32('x00041420') ?? 0;
      if (lower !== 0 && !walk(lower, inner, depth + 1)) return false;
      offset = record.uint32('x00041400') ?? 0;
    }
    return true;
  };
  if (
    items.length > 0 &&
    rootOffset !== 0 &&
    walk(rootOffset, {}, 0) &&
    visited.size === items.length
  ) {
    return entries;
  }
  // Fallback: the records' order in the sequence, hierarchy by record type.
  entries.length = 0;
  let patient: Context = {};
  let study: Context = {};
  let series: Context = {};
  for (const item of items) {
    const record = item.dataSet;
    if (!record) continue;
    const type = (text(record, 'x00041430', decoder) ?? '').toUpperCase();
    if (type === 'PATIENT') patient = study = series = applyRecord(record, type, {}, decoder);
    else if (type === 'STUDY') study = series = applyRecord(record, type, patient, decoder);
    else if (type === 'SERIES') series = applyRecord(record, type, study, decoder);
    else emit(record, type, series);
  }
  return entries;
}
