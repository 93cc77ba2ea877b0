/**
 * Fingerprints of a film for finding the same picture twice: the SHA-256 of its bytes (exact
 * copies), and from the decoded picture squashed to a square (so a copy resized to another aspect
 * still matches) a 256-bit difference hash and a 32 x 32 thumbnail for correlation (re-encoded,
 * resized, or stored as a negative). Decoding goes through the app's decode pool (worker threads).
 */
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { toErrorInfo } from '../../shared/errors';
import type { DecodePool, ModelGrayImage } from '../decode-pool';
import { resizeArea, type GrayImage } from '../inference/preprocess';
import { EXCLUDED, isXrayModality, normaliseView, withDetail } from './rules';
import type { Candidate, Film } from './types';

export const HASH_BITS = 256;
const HASH_SIZE = 16;
const THUMB_SIZE = 32;

const whole = (image: GrayImage) => ({ x: 0, y: 0, width: image.width, height: image.height });

export interface PictureFingerprint {
  dhash: Uint32Array;
  thumb: Float32Array;
}

/** Difference hash and normalised thumbnail of a gray picture (any size, any aspect). */
export function fingerprintGray(image: GrayImage): PictureFingerprint {
  const square = { data: resizeArea(image, whole(image), 64, 64), width: 64, height: 64 };
  const grid = resizeArea(square, whole(square), HASH_SIZE + 1, HASH_SIZE);
  const dhash = new Uint32Array(HASH_BITS / 32);
  for (let y = 0; y < HASH_SIZE; y++) {
    for (let x = 0; x < HASH_SIZE; x++) {
      const bit = y * HASH_SIZE + x;
      const row = y * (HASH_SIZE + 1);
      if (grid[row + x + 1] > grid[row + x]) dhash[bit >>> 5] |= 1 << (bit & 31);
    }
  }
  const thumb = resizeArea(square, whole(square), THUMB_SIZE, THUMB_SIZE);
  let mean = 0;
  for (const v of thumb) mean += v;
  mean /= thumb.length;
  let norm = 0;
  for (let i = 0; i < thumb.length; i++) {
    thumb[i] -= mean;
    norm += thumb[i] * thumb[i];
  }
  norm = Math.sqrt(norm);
  for (let i = 0; i < thumb.length; i++) thumb[i] = norm > 1e-6 ? thumb[i] / norm : 0;
  return { dhash, thumb };
}

function popcount(x: number): number {
  x -= (x >>> 1) & 0x55555555;
  x = (x & 0x33333333) + ((x >>> 2) & 0x33333333);
  return (((x + (x >>> 4)) & 0x0f0f0f0f) * 0x01010101) >>> 24;
}

/** Bits apart; `complement` compares a with the negative's hash (NOT b). */
export function hammingDistance(a: Uint32Array, b: Uint32Array, complement = false): number {
  let bits = 0;
  for (let i = 0; i < a.length; i++) bits += popcount(a[i] ^ (complement ? ~b[i] : b[i]));
  return bits;
}

/** Pearson correlation of two normalised thumbnails (-1..1). */
export function thumbCorrelation(a: Float32Array, b: Float32Array): number {
  let sum = 0;
  for (let i = 0; i < a.length; i++) sum += a[i] * b[i];
  return sum;
}

export type FingerprintOutcome = { film: Film } | { excluded: Candidate };

/** Decodes and fingerprints one candidate; what the DICOM header says can still exclude it. */
async function fingerprintOne(
  candidate: Candidate & { path: string },
  pool: DecodePool,
): Promise<FingerprintOutcome> {
  let bytes: Buffer;
  let image: ModelGrayImage;
  try {
    [bytes, image] = await Promise.all([
      readFile(candidate.path),
      pool.decodeForModel(candidate.path),
    ]);
  } catch (error) {
    const { code } = toErrorInfo(error);
    return {
      excluded: { ...candidate, label: null, exclusion: withDetail(EXCLUDED.unreadable, code) },
    };
  }
  const modality = image.modality ?? '';
  if (image.sourceKind === 'dicom' && !isXrayModality(modality)) {
    return {
      excluded: {
        ...candidate,
        label: null,
        exclusion: withDetail(EXCLUDED.crossSectional, modality),
      },
    };
  }
  let view = candidate.view;
  if (view === null) {
    const fromHeader = normaliseView(image.viewPosition ?? '');
    if (fromHeader.kind === 'excluded')
      return { excluded: { ...candidate, label: null, exclusion: fromHeader.exclusion } };
    if (fromHeader.kind === 'unrecorded')
      return { excluded: { ...candidate, label: null, exclusion: EXCLUDED.viewNotRecorded } };
    view = fromHeader.view;
  }
  const { dhash, thumb } = fingerprintGray({
    data: image.gray,
    width: image.width,
    height: image.height,
  });
  return {
    film: {
      ...candidate,
      label: candidate.label as Film['label'],
      view,
      width: image.width,
      height: image.height,
      sha256: createHash('sha256').update(bytes).digest('hex'),
      dhash,
      thumb,
    },
  };
}

/**
 * Fingerprints every candidate, a few in flight per decode worker (so decoded films held at once
 * stay bounded), in candidate order. `onProgress(done, total)` after each.
 */
export async function fingerprintAll(
  candidates: readonly (Candidate & { path: string })[],
  pool: DecodePool,
  onProgress: (done: number, total: number) => void = () => {},
): Promise<FingerprintOutcome[]> {
  const outcomes: FingerprintOutcome[] = new Array(candidates.length);
  let next = 0;
  let done = 0;
  async function lane(): Promise<void> {
    while (next < candidates.length) {
      const i = next++;
      outcomes[i] = await fingerprintOne(candidates[i], pool);
      onProgress(++done, candidates.length);
    }
  }
  await Promise.all(Array.from({ length: Math.max(1, pool.size * 2) }, lane));
  return outcomes;
}
