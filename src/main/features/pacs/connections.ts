/**
 * The user's PACS connections, kept in one JSON file in the app's data folder. The file is read
 * through the same schema the IPC contract validates requests with, so a hand-edited or damaged
 * file can never hand an invalid address to the network code.
 */
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { z } from 'zod';
import { CodedError } from '../../../shared/errors';
import { pacsConnectionSchema } from '../../../shared/ipc/contract';
import type { PacsConnection } from '../../../shared/pacs';

const settingsSchema = z.object({ connections: z.array(pacsConnectionSchema).max(64) }).strict();

export interface PacsConnectionStore {
  list(): Promise<PacsConnection[]>;
  get(id: string): Promise<PacsConnection>;
  save(connection: PacsConnection): Promise<PacsConnection[]>;
  remove(id: string): Promise<PacsConnection[]>;
}

export function createConnectionStore(file: string): PacsConnectionStore {
  async function read(): Promise<PacsConnection[]> {
    let raw: string;
    try {
      raw = await readFile(file, 'utf8');
    } catch {
      return [];
    }
    const parsed = settingsSchema.safeParse(JSON.parse(raw));
    if (!parsed.success)
      throw new CodedError('INVALID_REQUEST', `PACS settings file ${file} is not valid`);
    return parsed.data.connections;
  }
  async function write(connections: PacsConnection[]): Promise<PacsConnection[]> {
    await mkdir(dirname(file), { recursive: true });
    const temporary = `${file}.${process.pid}.partial`;
    await writeFile(temporary, JSON.stringify({ connections }, null, 2));
    await rename(temporary, file);
    return connections;
  }
  // Edits are serialised so two quick saves do not lose one.
  let queue: Promise<unknown> = Promise.resolve();
  const serial = <T>(work: () => Promise<T>): Promise<T> => {
    const next = queue.then(work);
    queue = next.catch(() => undefined);
    return next;
  };
  return {
    list: read,
    async get(id) {
      const found = (await read()).find((connection) => connection.id === id);
      if (!found) throw new CodedError('INVALID_REQUEST', `No PACS connection ${id}`);
      return found;
    },
    save: (connection) =>
      serial(async () => {
        const valid = pacsConnectionSchema.parse(connection);
        const others = (await read()).filter((c) => c.id !== valid.id);
        return write([...others, valid].sort((a, b) => a.name.localeCompare(b.name)));
      }),
    remove: (id) => serial(async () => write((await read()).filter((c) => c.id !== id))),
  };
}
