/** Which model folder the app uses when none is named. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CodedError } from '../../../shared/errors';
import { listModelFolders, modelRoots, type ModelLookup } from '../../base/resources';
import { MANIFEST_FILE_NAME } from './manifest';

/** `kind` and `createdAt` of a model folder's manifest (unreadable manifests: null). */
function manifestSummary(dir: string): { kind: string; createdAt: string } | null {
  try {
    const json = JSON.parse(readFileSync(join(dir, MANIFEST_FILE_NAME), 'utf8')) as {
      kind?: string;
      provenance?: { createdAt?: string };
    };
    return { kind: json.kind ?? 'classifier', createdAt: json.provenance?.createdAt ?? '' };
  } catch {
    return null;
  }
}

/**
 * The classifier the app uses when none is named: the first classifier folder in the user's own
 * models folder when there is one, else the newest bundled classifier (by `provenance.createdAt`;
 * segmenters are never a default, they are named by a classifier's pipeline).
 */
export function defaultModelDir(lookup: ModelLookup = {}): string {
  const classifiers = listModelFolders(lookup)
    .map((dir) => ({ dir, summary: manifestSummary(dir) }))
    .filter((m) => m.summary !== null && m.summary.kind === 'classifier');
  const userRoot = lookup.userModelsDir;
  const own = userRoot ? classifiers.find((m) => m.dir.startsWith(userRoot)) : undefined;
  const newest = [...classifiers].sort((a, b) =>
    (b.summary?.createdAt ?? '').localeCompare(a.summary?.createdAt ?? ''),
  )[0];
  const first = (own ?? newest)?.dir;
  if (first) return first;
  const roots = modelRoots(lookup);
  throw new CodedError(
    'MODEL_NOT_FOUND',
    `No model folder (looked in ${roots.join(', ') || 'no resources folder'})`,
  );
}
