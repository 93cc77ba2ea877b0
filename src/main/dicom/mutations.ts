/** Deterministic mutations of a file's bytes, for the robustness test. */

import { seededRandom } from '../../shared/seeded-random';

export type MutationKind =
  'truncate' | 'flip-header' | 'flip-anywhere' | 'length-field' | 'flip-tail';
export const MUTATION_KINDS: MutationKind[] = [
  'truncate',
  'flip-header',
  'flip-anywhere',
  'length-field',
  'flip-tail',
];

export interface MutationCase {
  id: number;
  file: string;
  kind: MutationKind;
  seed: number;
}

/** mulberry32: small, fast, deterministic (src/shared/seeded-random.ts). */
export const prng = seededRandom;

export function mutate(original: Uint8Array, c: MutationCase): Uint8Array {
  const random = prng(c.seed);
  const int = (n: number): number => Math.floor(random() * n);
  if (c.kind === 'truncate') return original.slice(0, int(original.length));
  const bytes = original.slice();
  switch (c.kind) {
    case 'flip-header':
      for (let i = 0, n = 1 + int(8); i < n; i++)
        bytes[int(Math.min(bytes.length, 2048))] = int(256);
      break;
    case 'flip-anywhere':
      for (let i = 0, n = 1 + int(16); i < n; i++) bytes[int(bytes.length)] = int(256);
      break;
    case 'flip-tail':
      for (let i = 0, n = 1 + int(32); i < n; i++)
        bytes[bytes.length - 1 - int(Math.floor(bytes.length * 0.9))] = int(256);
      break;
    case 'length-field': {
      // Overwrite what may be a 16- or 32-bit length with an extreme or random value.
      const values = [0xffffffff, 0x7fffffff, 0, 1, 0xfffe, int(2 ** 32)];
      const value = values[int(values.length)];
      const at = int(Math.max(1, bytes.length - 4)) & ~1;
      const view = new DataView(bytes.buffer);
      if (random() < 0.5) view.setUint32(at, value >>> 0, true);
      else view.setUint16(at, value & 0xffff, true);
      break;
    }
  }
  return bytes;
}
