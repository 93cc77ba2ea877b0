/**
 * Results waiting for a PACS, on disk: one folder per (destination, film) holding the objects to
 * send and `entry.json` (destination, state, attempts, last error). Entries are written before any
 * send is tried, and `entry.json` is replaced atomically, so a refusal, a crash or a restart loses
 * nothing: `sendPending` after a restart sends whatever is still queued or failed.
 */
import { createHash } from 'node:crypto';
import { mkdir, readdir, readFile } from 'node:fs/promises';
import { writeFileDurably } from '../../base/durable-file';
import { join } from 'node:path';
import { z } from 'zod';
import { AE_TITLE_PATTERN } from '../../../shared/dicom-receiver';
import { toErrorInfo } from '../../../shared/errors';
import { formatPacsAddress, type OutboxEntry } from '../../../shared/pacs';
import { storeFiles, type AssociationTimeouts, type PacsPeer } from './client';
import type { PacsResultObjects } from './results';

const storedEntrySchema = z.object({
  entryId: z.string().regex(/^[0-9a-f]{24}$/),
  connectionId: z.string().max(64),
  destination: z.string().max(128),
  peer: z.object({
    aeTitle: z.string().regex(AE_TITLE_PATTERN),
    host: z.string().max(64),
    port: z.number().int().min(1).max(65535),
    callingAeTitle: z.string().regex(AE_TITLE_PATTERN),
  }),
  studyInstanceUid: z.string().max(64),
  sourceSopInstanceUid: z.string().max(64),
  sourcePath: z.string().max(4096),
  kinds: z.array(z.string().max(32)).max(8),
  objects: z
    .array(z.object({ kind: z.string().max(32), file: z.string().regex(/^[a-zA-Z]+\.dcm$/) }))
    .max(8),
  state: z.enum(['queued', 'sending', 'sent', 'failed']),
  attempts: z.number().int().min(0),
  lastError: z.string().nullable(),
  updatedAt: z.string(),
});
type StoredEntry = z.infer<typeof storedEntrySchema>;

const ENTRY_FILE = 'entry.json';

function publicEntry(stored: StoredEntry): OutboxEntry {
  const { peer: _peer, objects: _objects, ...entry } = stored;
  return entry;
}

export interface Outbox {
  readonly dir: string;
  /** Stores one film's results for `peer` (replacing an earlier entry for the same film). */
  enqueue(options: {
    connectionId: string;
    peer: PacsPeer;
    sourcePath: string;
    results: PacsResultObjects;
  }): Promise<OutboxEntry>;
  list(): Promise<OutboxEntry[]>;
  /**
   * Sends every entry not yet sent (queued, failed, or left 'sending' by a crash), one
   * association per destination; `entryIds` limits it to those. Resolves with the entries sent.
   */
  sendPending(options?: { entryIds?: readonly string[] }): Promise<OutboxEntry[]>;
}

export function createOutbox(options: {
  dir: string;
  onChange?: (entry: OutboxEntry) => void;
  timeouts?: AssociationTimeouts;
}): Outbox {
  const { dir } = options;
  // One send loop at a time: a second caller waits for it, then sends what is left.
  let sending: Promise<unknown> = Promise.resolve();

  async function save(entry: StoredEntry): Promise<void> {
    await writeFileDurably(join(dir, entry.entryId, ENTRY_FILE), JSON.stringify(entry, null, 1));
    options.onChange?.(publicEntry(entry));
  }

  async function readAll(): Promise<StoredEntry[]> {
    let names: string[];
    try {
      names = await readdir(dir);
    } catch {
      return [];
    }
    const entries: StoredEntry[] = [];
    for (const name of names.sort()) {
      try {
        const raw: unknown = JSON.parse(await readFile(join(dir, name, ENTRY_FILE), 'utf8'));
        const parsed = storedEntrySchema.safeParse(raw);
        if (parsed.success && parsed.data.entryId === name) entries.push(parsed.data);
      } catch {
        // A folder without a committed entry.json is an enqueue a crash interrupted: skip it.
      }
    }
    return entries.sort((a, b) => a.updatedAt.localeCompare(b.updatedAt));
  }

  async function sendGroup(peer: PacsPeer, group: StoredEntry[]): Promise<void> {
    for (const entry of group) await save({ ...entry, state: 'sending' });
    const files = group.flatMap((entry) =>
      entry.objects.map((object) => join(dir, entry.entryId, object.file)),
    );
    const outcomes = new Map(
      (await storeFiles(peer, files, options.timeouts)).map((o) => [o.path, o]),
    );
    for (const entry of group) {
      const failed = entry.objects
        .map((object) => outcomes.get(join(dir, entry.entryId, object.file)))
        .filter((outcome) => !outcome?.ok);
      await save({
        ...entry,
        state: failed.length === 0 ? 'sent' : 'failed',
        attempts: entry.attempts + 1,
        lastError: failed.length === 0 ? null : (failed[0]?.message ?? 'not sent'),
        updatedAt: new Date().toISOString(),
      });
    }
  }

  return {
    dir,
    async enqueue({ connectionId, peer, sourcePath, results }) {
      const destination = formatPacsAddress(peer);
      const entryId = createHash('sha256')
        .update(
          `${destination}\n${results.sourceSopInstanceUid}\n${results.objects[0]?.sopInstanceUid}`,
        )
        .digest('hex')
        .slice(0, 24);
      const entryDir = join(dir, entryId);
      await mkdir(entryDir, { recursive: true });
      const objects = [];
      for (const object of results.objects) {
        const file = `${object.kind}.dcm`;
        await writeFileDurably(join(entryDir, file), object.bytes);
        objects.push({ kind: object.kind, file });
      }
      const entry: StoredEntry = {
        entryId,
        connectionId,
        destination,
        peer: {
          aeTitle: peer.aeTitle,
          host: peer.host,
          port: peer.port,
          callingAeTitle: peer.callingAeTitle,
        },
        studyInstanceUid: results.studyInstanceUid,
        sourceSopInstanceUid: results.sourceSopInstanceUid,
        sourcePath,
        kinds: objects.map((object) => object.kind),
        objects,
        state: 'queued',
        attempts: 0,
        lastError: null,
        updatedAt: new Date().toISOString(),
      };
      await save(entry);
      return publicEntry(entry);
    },
    async list() {
      return (await readAll()).map(publicEntry);
    },
    sendPending({ entryIds } = {}) {
      const wanted = entryIds ? new Set(entryIds) : null;
      const run = sending.then(async () => {
        const pending = (await readAll()).filter(
          (entry) => entry.state !== 'sent' && (!wanted || wanted.has(entry.entryId)),
        );
        const byDestination = new Map<string, StoredEntry[]>();
        for (const entry of pending)
          byDestination.set(entry.destination, [
            ...(byDestination.get(entry.destination) ?? []),
            entry,
          ]);
        for (const group of byDestination.values()) {
          try {
            await sendGroup(group[0].peer, group);
          } catch (error) {
            // A disk error while recording: keep the entries queued, report the reason.
            for (const entry of group)
              await save({
                ...entry,
                state: 'failed',
                attempts: entry.attempts + 1,
                lastError: toErrorInfo(error).message,
                updatedAt: new Date().toISOString(),
              });
          }
        }
        const after = await readAll();
        const ids = new Set(pending.map((entry) => entry.entryId));
        return after.filter((entry) => ids.has(entry.entryId)).map(publicEntry);
      });
      sending = run.catch(() => undefined);
      return run;
    },
  };
}
