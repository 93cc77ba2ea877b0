/** Content sniffing: what an input is, from its first bytes (never its extension). */
import { open } from 'node:fs/promises';
import { CodedError } from '../../../shared/errors';
import { guessRawTransferSyntax } from '../dicom/parse';

export type SourceKindSniffed = 'dicom' | 'dicomdir' | 'png' | 'jpeg';

const SNIFF_BYTES = 4096;
const DICOMDIR_SOP_CLASS = '1.2.840.10008.1.3.10';
const PNG_SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

export function sniffBytes(head: Uint8Array): SourceKindSniffed | null {
  if (PNG_SIGNATURE.every((b, i) => head[i] === b)) return 'png';
  if (head.length >= 3 && head[0] === 0xff && head[1] === 0xd8 && head[2] === 0xff) return 'jpeg';
  const dicm =
    head.length >= 132 &&
    String.fromCharCode(head[128], head[129], head[130], head[131]) === 'DICM';
  if (dicm) {
    // The Media Storage SOP Class sits in the File Meta, well within the first bytes.
    const meta = Buffer.from(head.buffer, head.byteOffset, head.byteLength).toString('latin1', 132);
    const at = meta.indexOf(DICOMDIR_SOP_CLASS);
    const next = meta.charCodeAt(at + DICOMDIR_SOP_CLASS.length);
    return at >= 0 && !(next >= 0x30 && next <= 0x39) && next !== 0x2e ? 'dicomdir' : 'dicom';
  }
  if (guessRawTransferSyntax(head)) return 'dicom';
  for (let offset = 1; offset <= 8; offset++) {
    if (head[offset] === 0x08 && head[offset + 1] === 0x00 && guessRawTransferSyntax(head, offset))
      return 'dicom';
  }
  return null;
}

export async function readHead(path: string, length = SNIFF_BYTES): Promise<Uint8Array> {
  let handle;
  try {
    handle = await open(path, 'r');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new CodedError('FILE_NOT_FOUND', `${path}: no such file`);
    throw new CodedError('FILE_UNREADABLE', `${path}: ${(error as Error).message}`);
  }
  try {
    const buffer = new Uint8Array(length);
    const { bytesRead } = await handle.read(buffer, 0, length, 0);
    return buffer.subarray(0, bytesRead);
  } catch (error) {
    throw new CodedError('FILE_UNREADABLE', `${path}: ${(error as Error).message}`);
  } finally {
    await handle.close();
  }
}

export async function sniffSourceKind(path: string): Promise<SourceKindSniffed | null> {
  return sniffBytes(await readHead(path));
}
