/**
 * How received instances reach the inbox folder: streamed into a temporary file under
 * `<inbox>/.incoming/` (a dot folder, so the screening walk never sees it), fsync'd, then
 * hard-linked to `<inbox>/<SOP Instance UID>.dcm` (link fails if the name exists, so two senders
 * of the same instance cannot both store it) and the directory fsync'd. A kill at any moment
 * leaves either no file or a complete one; a leftover temporary is removed at the next start.
 */
import { createHash } from 'node:crypto';
import { link, mkdir, open, readdir, unlink, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { fileMetaHeader, type FileMetaFields } from './file-meta';

export const INCOMING_DIR = '.incoming';

const UID_PATTERN = /^[0-9]+(\.[0-9]+)*$/;

/**
 * `<uid>.dcm` for a well-formed UID (digits and dots, at most 64 characters); anything else is
 * reduced to safe characters plus a hash of the original, so distinct values never collide and
 * no value can name a path outside the inbox.
 */
export function instanceFileName(sopInstanceUid: string): string {
  const uid = sopInstanceUid.replace(/[\0 ]+$/, '');
  if (uid.length <= 64 && UID_PATTERN.test(uid)) return `${uid}.dcm`;
  const safe = uid
    .replace(/[^0-9A-Za-z.]/g, '_')
    .replace(/^\.+/, '')
    .slice(0, 64);
  const digest = createHash('sha256').update(sopInstanceUid).digest('hex').slice(0, 16);
  return `x-${safe}-${digest}.dcm`;
}

async function syncDirectory(dir: string): Promise<void> {
  const handle = await open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Creates the inbox and removes temporaries left by receivers that no longer run. */
export async function prepareInbox(inbox: string): Promise<void> {
  const incoming = join(inbox, INCOMING_DIR);
  await mkdir(incoming, { recursive: true });
  for (const name of await readdir(incoming)) {
    const pid = Number(/^(\d+)-/.exec(name)?.[1]);
    if (!Number.isInteger(pid) || pid === process.pid || !processAlive(pid))
      await unlink(join(incoming, name)).catch(() => undefined);
  }
}

export interface StoredInstance {
  path: string;
  sopInstanceUid: string;
  sopClassUid: string;
  transferSyntaxUid: string;
  callingAeTitle: string;
  /** Bytes of the whole file (header + data set). */
  bytes: number;
  /** False when a file of that name was already in the inbox (the re-sent copy is dropped). */
  isNew: boolean;
}

let temporaryCounter = 0;

/**
 * A Writable for one instance's data set. 'finish' fires once the file is durable under its final
 * name (see `stored`); destroying it before then removes the temporary file.
 */
export class InstanceFileWriter extends Writable {
  private handle: FileHandle | null = null;
  private readonly temporary: string;
  private readonly target: string;
  private bytes = 0;
  stored: StoredInstance | null = null;

  constructor(
    private readonly inbox: string,
    private readonly meta: FileMetaFields,
  ) {
    super({ highWaterMark: 1 << 20 });
    const name = instanceFileName(meta.sopInstanceUid);
    this.temporary = join(inbox, INCOMING_DIR, `${process.pid}-${++temporaryCounter}-${name}`);
    this.target = join(inbox, name);
  }

  override _construct(callback: (error?: Error | null) => void): void {
    (async () => {
      this.handle = await open(this.temporary, 'wx');
      await this.writeAll(fileMetaHeader(this.meta));
    })().then(() => callback(), callback);
  }

  private async writeAll(buffer: Buffer): Promise<void> {
    const handle = this.handle;
    if (!handle) throw new Error('instance file is not open');
    let offset = 0;
    while (offset < buffer.length) {
      const { bytesWritten } = await handle.write(buffer, offset, buffer.length - offset);
      offset += bytesWritten;
    }
    this.bytes += buffer.length;
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (e?: Error | null) => void) {
    this.writeAll(chunk).then(() => callback(), callback);
  }

  override _writev(chunks: { chunk: Buffer }[], callback: (error?: Error | null) => void): void {
    this.writeAll(Buffer.concat(chunks.map((c) => c.chunk))).then(() => callback(), callback);
  }

  override _final(callback: (error?: Error | null) => void): void {
    (async () => {
      const handle = this.handle;
      if (!handle) throw new Error('instance file is not open');
      await handle.sync();
      await handle.close();
      this.handle = null;
      let isNew = true;
      try {
        await link(this.temporary, this.target);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
        isNew = false; // already stored (a re-send): the first copy stays
      }
      await unlink(this.temporary);
      await syncDirectory(this.inbox);
      this.stored = {
        path: this.target,
        sopInstanceUid: this.meta.sopInstanceUid,
        sopClassUid: this.meta.sopClassUid,
        transferSyntaxUid: this.meta.transferSyntaxUid,
        callingAeTitle: this.meta.sourceAeTitle,
        bytes: this.bytes,
        isNew,
      };
    })().then(() => callback(), callback);
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    if (this.stored) return callback(error);
    const handle = this.handle;
    this.handle = null;
    (async () => {
      await handle?.close().catch(() => undefined);
      await unlink(this.temporary).catch(() => undefined);
    })().then(() => callback(error));
  }
}
