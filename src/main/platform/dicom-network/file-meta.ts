/**
 * Part 10 header (128-byte preamble, "DICM", group 0002 in explicit VR little endian) for an
 * instance received over the network: the data set that follows is stored exactly as sent.
 */

/** This program's DICOM Implementation Class UID (a 2.25 UUID-derived UID, fixed). */
export const IMPLEMENTATION_CLASS_UID = '2.25.291931974909684951511250981931066687003';
/** Implementation Version Name (SH, at most 16 characters). */
export const IMPLEMENTATION_VERSION_NAME = 'COVIDNET_WS_01';

export interface FileMetaFields {
  sopClassUid: string;
  sopInstanceUid: string;
  transferSyntaxUid: string;
  /** Calling AE title of the sender (Source Application Entity Title). */
  sourceAeTitle: string;
}

function element(group: number, tag: number, vr: string, value: Buffer): Buffer {
  // OB has a 4-byte length after two reserved bytes; the other VRs here have a 2-byte length.
  const longForm = vr === 'OB';
  const header = Buffer.alloc(longForm ? 12 : 8);
  header.writeUInt16LE(group, 0);
  header.writeUInt16LE(tag, 2);
  header.write(vr, 4, 'latin1');
  if (longForm) header.writeUInt32LE(value.length, 8);
  else header.writeUInt16LE(value.length, 6);
  return Buffer.concat([header, value]);
}

/** UI values pad with NUL, text VRs (SH, AE) with a space, to an even length. */
function padded(text: string, pad: '\0' | ' '): Buffer {
  return Buffer.from(text.length % 2 === 0 ? text : text + pad, 'latin1');
}

export function fileMetaHeader(fields: FileMetaFields): Buffer {
  const body = Buffer.concat([
    element(0x0002, 0x0001, 'OB', Buffer.from([0x00, 0x01])),
    element(0x0002, 0x0002, 'UI', padded(fields.sopClassUid, '\0')),
    element(0x0002, 0x0003, 'UI', padded(fields.sopInstanceUid, '\0')),
    element(0x0002, 0x0010, 'UI', padded(fields.transferSyntaxUid, '\0')),
    element(0x0002, 0x0012, 'UI', padded(IMPLEMENTATION_CLASS_UID, '\0')),
    element(0x0002, 0x0013, 'SH', padded(IMPLEMENTATION_VERSION_NAME, ' ')),
    ...(fields.sourceAeTitle
      ? [element(0x0002, 0x0016, 'AE', padded(fields.sourceAeTitle, ' '))]
      : []),
  ]);
  const groupLength = Buffer.alloc(4);
  groupLength.writeUInt32LE(body.length, 0);
  return Buffer.concat([
    Buffer.alloc(128),
    Buffer.from('DICM', 'latin1'),
    element(0x0002, 0x0000, 'UL', groupLength),
    body,
  ]);
}
