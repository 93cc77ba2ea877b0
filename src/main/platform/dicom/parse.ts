/**
 * Parses DICOM bytes with dicom-parser: Part 10 files, files whose preamble or File Meta is
 * missing (transfer syntax guessed from the first element), deflated and big-endian data sets.
 * Every failure becomes a CodedError.
 */
import type { TextDecoder } from 'node:util';
import { inflateRawSync } from 'node:zlib';
import * as dicomParser from 'dicom-parser';
import type { DataSet } from 'dicom-parser';
import { CodedError } from '../../../shared/errors';
import { describeThrown } from './errors';
import { textDecoderForCharset } from './charset';
import {
  EXPLICIT_VR_BE,
  EXPLICIT_VR_LE,
  IMPLICIT_VR_LE,
  transferSyntaxInfo,
  type TransferSyntaxInfo,
} from './transfer-syntax';

export const MAX_INPUT_BYTES = 2 ** 31 - 1;
/** Inflated data sets larger than this are refused (a zip bomb, not an image). */
const MAX_INFLATED_BYTES = 2 ** 30;

export interface DicomFile {
  dataSet: DataSet;
  /** UID as written (or guessed); may be unknown to this reader, see `transferSyntax`. */
  transferSyntaxUid: string;
  transferSyntax: TransferSyntaxInfo | undefined;
  hasFileMeta: boolean;
  text: TextDecoder;
}

const VRS = new Set(
  'AE AS AT CS DA DS DT FD FL IS LO LT OB OD OF OL OV OW PN SH SL SQ SS ST SV TM UC UI UL UN UR US UT UV'.split(
    ' ',
  ),
);

function isPlausibleFirstGroup(group: number): boolean {
  return group >= 0x0002 && group <= 0x0030 && group % 2 === 0;
}

/**
 * Guesses the transfer syntax of a raw data set (no File Meta) from its first element, as
 * DCMTK and pydicom do; undefined when the bytes do not look like DICOM at all.
 */
export function guessRawTransferSyntax(bytes: Uint8Array, offset = 0): string | undefined {
  if (bytes.length - offset < 8) return undefined;
  const b = (i: number): number => bytes[offset + i];
  const vr = String.fromCharCode(b(4), b(5));
  const groupLe = b(0) | (b(1) << 8);
  const groupBe = (b(0) << 8) | b(1);
  if (VRS.has(vr)) {
    if (isPlausibleFirstGroup(groupLe)) return EXPLICIT_VR_LE;
    if (isPlausibleFirstGroup(groupBe)) return EXPLICIT_VR_BE;
    return undefined;
  }
  const length = (b(4) | (b(5) << 8) | (b(6) << 16) | (b(7) << 24)) >>> 0;
  const lengthOk = length === 0xffffffff || length <= bytes.length - offset - 8;
  return isPlausibleFirstGroup(groupLe) && lengthOk ? IMPLICIT_VR_LE : undefined;
}

/** Stray bytes before a raw data set are skipped only when an explicit (0008,xxxx) element follows. */
const MAX_LEADING_GARBAGE = 8;

function findRawDataSetStart(
  bytes: Uint8Array,
): { offset: number; transferSyntaxUid: string } | undefined {
  const atZero = guessRawTransferSyntax(bytes);
  if (atZero) return { offset: 0, transferSyntaxUid: atZero };
  for (let offset = 1; offset <= MAX_LEADING_GARBAGE && offset + 8 <= bytes.length; offset++) {
    if (bytes[offset] !== 0x08 || bytes[offset + 1] !== 0x00) continue;
    if (guessRawTransferSyntax(bytes, offset) === EXPLICIT_VR_LE) {
      return { offset, transferSyntaxUid: EXPLICIT_VR_LE };
    }
  }
  return undefined;
}

const LONG_LENGTH_VRS = new Set([
  'OB',
  'OD',
  'OF',
  'OL',
  'OV',
  'OW',
  'SQ',
  'UC',
  'UN',
  'UR',
  'UT',
  'SV',
  'UV',
]);

interface FileMetaGroup {
  transferSyntaxUid: string | undefined;
  /** Offset of the first data set element after group 0002. */
  end: number;
}

/**
 * Walks File Meta elements (always explicit VR little endian, PS3.10 7.1) from `offset` until
 * the first element outside group 0002, whether or not (0002,0000) is present.
 */
function readFileMetaGroup(bytes: Uint8Array, offset: number): FileMetaGroup | undefined {
  let pos = offset;
  let transferSyntaxUid: string | undefined;
  while (pos + 8 <= bytes.length && (bytes[pos] | (bytes[pos + 1] << 8)) === 0x0002) {
    const element = bytes[pos + 2] | (bytes[pos + 3] << 8);
    const vr = String.fromCharCode(bytes[pos + 4], bytes[pos + 5]);
    if (!VRS.has(vr)) return undefined;
    let length: number;
    let header: number;
    if (LONG_LENGTH_VRS.has(vr)) {
      if (pos + 12 > bytes.length) return undefined;
      length =
        (bytes[pos + 8] |
          (bytes[pos + 9] << 8) |
          (bytes[pos + 10] << 16) |
          (bytes[pos + 11] << 24)) >>>
        0;
      header = 12;
    } else {
      length = bytes[pos + 6] | (bytes[pos + 7] << 8);
      header = 8;
    }
    if (pos + header + length > bytes.length) return undefined;
    if (element === 0x0010) {
      transferSyntaxUid = Buffer.from(bytes.subarray(pos + header, pos + header + length))
        .toString('latin1')
        .replace(/[\0 ]+$/g, '')
        .trim();
    }
    pos += header + length;
  }
  return pos > offset ? { transferSyntaxUid, end: pos } : undefined;
}

/**
 * The encoding the data set really uses, when it contradicts the transfer syntax: implicit VR
 * under an explicit little-endian syntax, or explicit under implicit (pydicom and GDCM detect
 * this from the first element). Undefined when the data set agrees with its syntax.
 */
function mismatchedDataSetEncoding(
  bytes: Uint8Array,
  start: number,
  syntax: TransferSyntaxInfo | undefined,
): string | undefined {
  if (!syntax || syntax.deflated || !syntax.littleEndian || start >= bytes.length) return undefined;
  const actual = guessRawTransferSyntax(bytes, start);
  if (syntax.explicitVr && actual === IMPLICIT_VR_LE) return IMPLICIT_VR_LE;
  if (!syntax.explicitVr && actual === EXPLICIT_VR_LE) return EXPLICIT_VR_LE;
  return undefined;
}

function hasDicmPrefix(bytes: Uint8Array): boolean {
  return (
    bytes.length >= 132 &&
    bytes[128] === 0x44 &&
    bytes[129] === 0x49 &&
    bytes[130] === 0x43 &&
    bytes[131] === 0x4d
  );
}

function inflater(byteArray: Uint8Array, position: number): Uint8Array {
  let inflated: Buffer;
  try {
    inflated = inflateRawSync(byteArray.subarray(position), {
      maxOutputLength: MAX_INFLATED_BYTES,
    });
  } catch (error) {
    throw new CodedError('CODEC_ERROR', `deflated data set: ${describeThrown(error)}`);
  }
  const full = new Uint8Array(position + inflated.length);
  full.set(byteArray.subarray(0, position), 0);
  full.set(inflated, position);
  return full;
}

/** dicom-parser throws strings, or `{exception, dataSet}`; map its words to our codes. */
function mapParserError(thrown: unknown, source: string): CodedError {
  const inner =
    typeof thrown === 'object' && thrown !== null && 'exception' in thrown
      ? (thrown as { exception: unknown }).exception
      : thrown;
  if (inner instanceof CodedError) return inner;
  const message = describeThrown(inner);
  if (/0002,0010|transfer syntax/i.test(message)) {
    return new CodedError(
      'MISSING_TRANSFER_SYNTAX',
      `${source}: File Meta has no Transfer Syntax UID`,
    );
  }
  if (/overread|overrun|past end|end of buffer|eof|premature|outside|out of range/i.test(message)) {
    return new CodedError('TRUNCATED', `${source}: data ends inside an element (${message})`);
  }
  return new CodedError('MALFORMED_DICOM', `${source}: ${message}`);
}

function parseWithParser(
  bytes: Uint8Array,
  rawTransferSyntax: string | undefined,
  options: ParseOptions,
): DataSet {
  return dicomParser.parseDicom(bytes, {
    TransferSyntaxUID: rawTransferSyntax,
    inflater,
    ...(options.stopAtPixelData ? { untilTag: 'x7fe00010' } : {}),
  } as dicomParser.ParseDicomOptions);
}

export interface ParseOptions {
  /**
   * Stop at the (7FE0,0010) element header: its value is not read, so `bytes` may end anywhere
   * after it (the study list reads headers from a file's first bytes only).
   */
  stopAtPixelData?: boolean;
}

/** Parses DICOM bytes (Part 10 or raw data set). Throws CodedError. */
export function parseDicomBytes(
  bytes: Uint8Array,
  source: string,
  options: ParseOptions = {},
): DicomFile {
  if (bytes.length > MAX_INPUT_BYTES) {
    throw new CodedError(
      'FILE_TOO_LARGE',
      `${source}: ${bytes.length} bytes is more than this reader accepts`,
    );
  }
  let body = bytes;
  let rawTransferSyntax: string | undefined;
  let hasFileMeta = false;
  /** Set when the data set is parsed on its own, after a File Meta this function walked. */
  let metaTransferSyntax: string | undefined;
  let meta: FileMetaGroup | undefined;
  if (hasDicmPrefix(bytes)) {
    const firstGroup = bytes.length >= 134 ? bytes[132] | (bytes[133] << 8) : -1;
    if (firstGroup === 0x0002) {
      hasFileMeta = true;
      meta = readFileMetaGroup(bytes, 132);
    } else {
      // Preamble and DICM but no File Meta: a raw data set follows the prefix.
      body = bytes.subarray(132);
      rawTransferSyntax = guessRawTransferSyntax(body);
    }
  } else {
    // File Meta with neither preamble nor prefix: walk it here, the parser would read it as data.
    meta = (bytes[0] | (bytes[1] << 8)) === 0x0002 ? readFileMetaGroup(bytes, 0) : undefined;
    if (meta) {
      hasFileMeta = true;
    } else {
      const start = findRawDataSetStart(bytes);
      if (start !== undefined) {
        body = bytes.subarray(start.offset);
        rawTransferSyntax = start.transferSyntaxUid;
      }
    }
  }
  if (meta?.transferSyntaxUid) {
    const declared = transferSyntaxInfo(meta.transferSyntaxUid);
    const actual = mismatchedDataSetEncoding(bytes, meta.end, declared);
    if (actual !== undefined || !hasDicmPrefix(bytes)) {
      metaTransferSyntax = meta.transferSyntaxUid;
      body = bytes.subarray(meta.end);
      rawTransferSyntax = actual ?? meta.transferSyntaxUid;
    }
  }
  if (!hasFileMeta && rawTransferSyntax === undefined) {
    throw new CodedError(
      'NOT_DICOM',
      `${source}: neither a DICOM Part 10 file nor a raw DICOM data set`,
    );
  }
  let dataSet: DataSet;
  try {
    dataSet = parseWithParser(body, rawTransferSyntax, options);
  } catch (error) {
    throw mapParserError(error, source);
  }
  const transferSyntaxUid = (
    metaTransferSyntax ??
    dataSet.string('x00020010') ??
    rawTransferSyntax ??
    ''
  )
    .replace(/\0/g, '')
    .trim();
  if (!transferSyntaxUid) {
    throw new CodedError(
      'MISSING_TRANSFER_SYNTAX',
      `${source}: File Meta has no Transfer Syntax UID`,
    );
  }
  let transferSyntax = transferSyntaxInfo(transferSyntaxUid);
  if (
    transferSyntax &&
    rawTransferSyntax &&
    metaTransferSyntax &&
    rawTransferSyntax !== metaTransferSyntax
  ) {
    transferSyntax = { ...transferSyntax, explicitVr: rawTransferSyntax !== IMPLICIT_VR_LE };
  }
  return {
    dataSet,
    transferSyntaxUid,
    transferSyntax,
    hasFileMeta,
    text: textDecoderForCharset(dataSet.string('x00080005')),
  };
}
