/**
 * Replace a file so that a crash at any moment leaves either the old or the new content, never a
 * mix: write a temporary sibling, fsync it, rename it over the target, fsync the folder (so the
 * rename itself survives a power loss). Used by every store that keeps state in user data.
 */
import { mkdir, open, rename, type FileHandle } from 'node:fs/promises';
import { dirname } from 'node:path';

export async function writeFileDurably(path: string, data: Uint8Array | string): Promise<void> {
  const dir = dirname(path);
  await mkdir(dir, { recursive: true });
  const temporary = `${path}.${process.pid}.tmp`;
  const handle = await open(temporary, 'w');
  try {
    await handle.writeFile(data);
    await handle.sync();
  } finally {
    await handle.close();
  }
  await rename(temporary, path);
  const folder = await open(dir, 'r');
  try {
    await folder.sync();
  } finally {
    await folder.close();
  }
}

/** Cuts a torn last line (bytes after the last newline) so the next append starts clean. */
export async function cutTornTail(handle: FileHandle): Promise<void> {
  const { size } = await handle.stat();
  if (size === 0) return;
  const chunk = Buffer.alloc(Math.min(size, 64 * 1024));
  let end = size;
  for (;;) {
    const start = Math.max(0, end - chunk.length);
    const { bytesRead } = await handle.read(chunk, 0, end - start, start);
    const at = chunk.subarray(0, bytesRead).lastIndexOf(0x0a);
    if (at >= 0) {
      end = start + at + 1;
      break;
    }
    if (start === 0) {
      end = 0;
      break;
    }
    end = start;
  }
  if (end !== size) {
    await handle.truncate(end);
    await handle.sync();
  }
}
