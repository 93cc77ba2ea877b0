/** What the receiver negotiates: storage SOP classes and the transfer syntaxes it stores as sent. */

export const VERIFICATION_SOP_CLASS = '1.2.840.10008.1.1';

/** Every standard Storage SOP Class lives under this root (Q/R, worklist etc. do not). */
const STORAGE_SOP_CLASS_ROOT = '1.2.840.10008.5.1.4.1.1.';

export function isStorageSopClass(uid: string): boolean {
  return uid.startsWith(STORAGE_SOP_CLASS_ROOT) && /^[0-9.]+$/.test(uid);
}

/** Transfer syntaxes accepted for storage; the imaging module decodes each of them. */
export const ACCEPTED_TRANSFER_SYNTAXES: ReadonlyMap<string, string> = new Map([
  ['1.2.840.10008.1.2', 'Implicit VR Little Endian'],
  ['1.2.840.10008.1.2.1', 'Explicit VR Little Endian'],
  ['1.2.840.10008.1.2.2', 'Explicit VR Big Endian'],
  ['1.2.840.10008.1.2.5', 'RLE Lossless'],
  ['1.2.840.10008.1.2.4.50', 'JPEG Baseline (Process 1)'],
  ['1.2.840.10008.1.2.4.51', 'JPEG Extended (Process 2 and 4)'],
  ['1.2.840.10008.1.2.4.57', 'JPEG Lossless (Process 14)'],
  ['1.2.840.10008.1.2.4.70', 'JPEG Lossless SV1 (Process 14, Selection Value 1)'],
  ['1.2.840.10008.1.2.4.80', 'JPEG-LS Lossless'],
  ['1.2.840.10008.1.2.4.81', 'JPEG-LS Near-Lossless'],
  ['1.2.840.10008.1.2.4.90', 'JPEG 2000 (Lossless Only)'],
  ['1.2.840.10008.1.2.4.91', 'JPEG 2000'],
]);

/** Verification needs no data set encoding; the default syntax is enough. */
const VERIFICATION_TRANSFER_SYNTAXES = new Set([
  '1.2.840.10008.1.2',
  '1.2.840.10008.1.2.1',
  '1.2.840.10008.1.2.2',
]);

/**
 * The syntax to accept for one presentation context: the first the sender proposes that we
 * support (the sender lists its preference first), or null to refuse the context.
 */
export function chooseTransferSyntax(
  abstractSyntaxUid: string,
  proposed: readonly string[],
): string | null {
  const supported =
    abstractSyntaxUid === VERIFICATION_SOP_CLASS
      ? VERIFICATION_TRANSFER_SYNTAXES
      : ACCEPTED_TRANSFER_SYNTAXES;
  return proposed.map((uid) => uid.replace(/\0+$/, '')).find((uid) => supported.has(uid)) ?? null;
}
