/**
 * Finding the same picture twice among fingerprinted films, across sources: equal bytes, or
 * difference hashes a few bits apart whose local detail correlates (a re-encoded or resized
 * copy), or the same against the negative (a copy stored inverted). Candidates come from a
 * multi-index over 16 bands of 16 bits: two hashes within 15 bits share at least one band.
 */
import { HASH_BITS, detailCorrelation, hammingDistance } from './fingerprint';
import type { DuplicatePair, Film } from './types';

/** Bits apart up to which a pair can be the same picture. */
export const MAX_BITS = 15;
/**
 * Detail correlation from which it is. Over the shared data: re-encoded/resized copies >= 0.77,
 * different lung-masked films up to 0.65 (with hashes only 10 bits apart), different
 * COVID-19 Radiography Database films up to 0.65.
 */
export const MIN_DETAIL_CORRELATION = 0.75;
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

  // A candidate is judged once however many bands match. Equal hash bands share a bucket from
  // either side, so later films are enough; a complement band can fall in a crowded (skipped)
  // bucket on one side only, so negatives are looked up from both sides, judged once per pair.
  const candidates = new Set<number>();
  const judgedNegatives = new Set<number>();
  for (let i = 0; i < films.length; i++) {
    for (const complement of [false, true]) {
      candidates.clear();
      for (let b = 0; b < BANDS; b++) {
        const list = buckets.get(b * 0x10000 + band(films[i].dhash, b, complement));
        if (!list || list.length > MAX_BUCKET) continue;
        for (const j of list) {
          if (j === i || (!complement && j < i)) continue;
          if (complement) {
            const key = Math.min(i, j) * films.length + Math.max(i, j);
            if (judgedNegatives.has(key)) continue;
            judgedNegatives.add(key);
          }
          candidates.add(j);
        }
      }
      for (const j of candidates) {
        if (films[i].sha256 === films[j].sha256) continue;
        const bits = hammingDistance(films[i].dhash, films[j].dhash, complement);
        if (bits > MAX_BITS) continue;
        const r = detailCorrelation(films[i], films[j]) * (complement ? -1 : 1);
        if (r < MIN_DETAIL_CORRELATION) continue;
        const kind = complement ? 'inverted' : 'near';
        add({ a: Math.min(i, j), b: Math.max(i, j), kind, hamming: bits, correlation: r });
      }
    }
  }
  return [...pairs.values()].sort(
    (x, y) => (x.kind === 'exact' ? 0 : 1) - (y.kind === 'exact' ? 0 : 1) || x.a - y.a || x.b - y.b,
  );
}
