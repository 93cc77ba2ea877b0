/** Typed reads of data set values, with the file's character set applied to text. */
import type { TextDecoder } from 'node:util';
import type { DataSet } from 'dicom-parser';
import type { LookupTable } from '../../../shared/imaging';

/** Raw element bytes, or undefined when absent, empty, or pointing outside the buffer. */
export function elementBytes(dataSet: DataSet, tag: string): Uint8Array | undefined {
  const element = dataSet.elements[tag];
  if (!element || element.length <= 0 || element.length === 0xffffffff) return undefined;
  const end = element.dataOffset + element.length;
  if (element.dataOffset < 0 || end > dataSet.byteArray.length) return undefined;
  return dataSet.byteArray.subarray(element.dataOffset, end);
}

/** Text values split on backslash, each trimmed of padding. */
export function texts(dataSet: DataSet, tag: string, decoder: TextDecoder): string[] {
  const bytes = elementBytes(dataSet, tag);
  if (!bytes) return [];
  return decoder
    .decode(bytes)
    .split('\\')
    .map((v) => v.replace(/[\0 ]+$/g, '').replace(/^ +/g, ''));
}

export function text(dataSet: DataSet, tag: string, decoder: TextDecoder): string | undefined {
  const first = texts(dataSet, tag, decoder)[0];
  return first === undefined || first === '' ? undefined : first;
}

/** Person name: components joined with spaces, "^" removed, alphabetic group only. */
export function personName(
  dataSet: DataSet,
  tag: string,
  decoder: TextDecoder,
): string | undefined {
  const raw = text(dataSet, tag, decoder);
  if (!raw) return undefined;
  const alphabetic = raw.split('=')[0];
  const joined = alphabetic
    .split('^')
    .map((p) => p.trim())
    .filter((p) => p !== '')
    .join(' ');
  return joined || undefined;
}

/** Decimal/integer string values (DS, IS) as numbers; non-numeric entries are dropped. */
export function numbers(dataSet: DataSet, tag: string): number[] {
  const bytes = elementBytes(dataSet, tag);
  if (!bytes) return [];
  return Buffer.from(bytes)
    .toString('latin1')
    .split('\\')
    .map((v) => v.replace(/\0/g, '').trim())
    .filter((v) => v !== '')
    .map(Number)
    .filter((v) => Number.isFinite(v));
}

export function numberValue(dataSet: DataSet, tag: string): number | undefined {
  return numbers(dataSet, tag)[0];
}

export function uint16(dataSet: DataSet, tag: string, index = 0): number | undefined {
  const element = dataSet.elements[tag];
  if (!element || element.length < (index + 1) * 2) return undefined;
  if (element.dataOffset + element.length > dataSet.byteArray.length) return undefined;
  return dataSet.uint16(tag, index);
}

/**
 * LUT Descriptor + Data -> LookupTable (C.11.1.1.1, C.11.2.1.1): 0 entries means 65536; the first
 * mapped value is signed when the descriptor says so; 8-bit data may be packed in bytes.
 */
export function readLookupTable(
  item: DataSet,
  descriptorTag: string,
  dataTag: string,
  signedFirstValue: boolean,
  explanationDecoder?: TextDecoder,
): LookupTable | undefined {
  const entriesRaw = uint16(item, descriptorTag, 0);
  const firstRaw = uint16(item, descriptorTag, 1);
  const bits = uint16(item, descriptorTag, 2);
  const bytes = elementBytes(item, dataTag);
  if (entriesRaw === undefined || firstRaw === undefined || bits === undefined || !bytes) {
    return undefined;
  }
  const length = entriesRaw === 0 ? 65536 : entriesRaw;
  const firstValueMapped = signedFirstValue && firstRaw > 0x7fff ? firstRaw - 0x10000 : firstRaw;
  let data: number[];
  if (bytes.length === length && bits <= 8) {
    data = Array.from(bytes);
  } else if (bytes.length >= length * 2) {
    data = new Array<number>(length);
    for (let i = 0; i < length; i++) data[i] = item.uint16(dataTag, i) ?? 0;
  } else {
    return undefined;
  }
  const explanation = explanationDecoder ? text(item, 'x00283003', explanationDecoder) : undefined;
  return {
    length,
    firstValueMapped,
    bitsPerEntry: bits,
    data,
    ...(explanation ? { explanation } : {}),
  };
}
