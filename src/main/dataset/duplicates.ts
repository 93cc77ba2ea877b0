/**
 * Finding the same picture twice among fingerprinted films, across sources: equal bytes, or
 * difference hashes a few bits apart whose thumbnails correlate (a re-encoded or resized copy),
 * or the same against the negative (a copy stored inverted). Candidates come from a multi-index
 * over 16 bands of 16 bits: two hashes within 15 bits share at least one band exactly.
 */
import { HASH_BITS, hammingDistance, thumbCorrelation } from './fingerprint';
import type { DuplicatePair, Film } from './types';

/** Bits apart at or under which two pictures are the same whatever their correlation. */
export const SURE_BITS = 10;
/** Bits apart up to which a pair is the same picture when the thumbnails also correlate. */
export const MAX_BITS = 15;
export const MIN_CORRELATION = 0.9;
/** Bands shared by more films than this carry no information (flat or masked borders). */
const MAX_BUCKET = 400;

const BANDS = HASH_BITS / 16;

function band(hash: Uint32Array, i: number, complement: boolean): number {
  const word = complement ? ~hash[i >>> 1] : hash[i >>> 1];
  return (i & 1 ? word >>> 16 : word) & 0xffff;
}

/** Every duplicate pair (a < b), exact pairs first, in a stable order. */
export function findDuplicatePairs(films: readonly Film[]): DuplicatePair[] {
  const pairs = new Map<string, DuplicatePair>();
  const add = (pair: DuplicatePair) => {
    const key = `${pair.a}:${pair.b}`;
    if (!pairs.has(key)) pairs.set(key, pair);
  };

  const bySha = new Map<string, number>();
  films.forEach((film, i) => {
    const first = bySha.get(film.sha256);
    if (first === undefined) bySha.set(film.sha256, i);
    else add({ a: first, b: i, kind: 'exact', hamming: 0, correlation: 1 });
  });

  const buckets = new Map<number, number[]>();
  films.forEach((film, i) => {
    for (let b = 0; b < BANDS; b++) {
      const key = b * 0x10000 + band(film.dhash, b, false);
      const list = buckets.get(key);
      if (list) list.push(i);
      else buckets.set(key, [i]);
    }
  });

  const judge = (i: number, j: number, complement: boolean) => {
    const a = Math.min(i, j);
    const b = Math.max(i, j);
    if (pairs.has(`${a}:${b}`)) return;
    const bits = hammingDistance(films[a].dhash, films[b].dhash, complement);
    if (bits > MAX_BITS) return;
    const r = thumbCorrelation(films[a].thumb, films[b].thumb) * (complement ? -1 : 1);
    if (bits <= SURE_BITS || r >= MIN_CORRELATION) {
      add({ a, b, kind: complement ? 'inverted' : 'near', hamming: bits, correlation: r });
    }
  };

  for (let i = 0; i < films.length; i++) {
    for (const complement of [false, true]) {
      for (let b = 0; b < BANDS; b++) {
        const list = buckets.get(b * 0x10000 + band(films[i].dhash, b, complement));
        if (!list || list.length > MAX_BUCKET) continue;
        for (const j of list) if (j !== i) judge(i, j, complement);
      }
    }
  }
  return [...pairs.values()].sort(
    (x, y) => (x.kind === 'exact' ? 0 : 1) - (y.kind === 'exact' ? 0 : 1) || x.a - y.a || x.b - y.b,
  );
}
