/**
 * DICOM UIDs under the 2.25 root (ISO/IEC 9834-8: a UUID as one decimal integer), so the
 * workstation needs no registered organisation root. Random UIDs name new instances and series;
 * name-based UIDs (UUID version 5 layout over SHA-1) give the same UID for the same thing, e.g.
 * one device UID per model file and one tracking UID per (image, finding, model).
 */
import { createHash, randomUUID } from 'node:crypto';

function uuidHexToUid(hex: string): string {
  return `2.25.${BigInt(`0x${hex}`).toString()}`;
}

export function newUid(): string {
  return uuidHexToUid(randomUUID().replace(/-/g, ''));
}

/** A stable UID for `name` (UUID v5 bit layout: version 5, RFC 4122 variant). */
export function nameBasedUid(name: string): string {
  const bytes = createHash('sha1').update(`covidnet-workstation:${name}`).digest().subarray(0, 16);
  bytes[6] = (bytes[6] & 0x0f) | 0x50;
  bytes[8] = (bytes[8] & 0x3f) | 0x80;
  return uuidHexToUid(bytes.toString('hex'));
}
