/**
 * Fingerprints of a film for finding the same picture twice: the SHA-256 of its bytes (exact
 * copies), and from the decoded picture squashed to a square (so a copy resized to another aspect
 * still matches) a 256-bit difference hash and a local-detail image for correlation (re-encoded,
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
/** Side of the square the picture is squashed to before hashing and for the detail image. */
const SQUARE = 64;
/** Half-width of the local mean taken away to leave the detail (ribs, vessels, edges). */
const DETAIL_RADIUS = 2;

const whole = (image: GrayImage) => ({ x: 0, y: 0, width: image.width, height: image.height });

export interface PictureFingerprint {
  dhash: Uint32Array;
  /**
   * The 64 x 64 square less its 5 x 5 local mean, zero mean, scaled to -127..127. Local detail,
   * unlike the whole picture, tells apart films that only share a layout (lung-masked films, whose
   * black surround makes any two look alike).
   */
  detail: Int8Array;
  detailNorm: number;
}

function localDetail(square: Float32Array): { detail: Int8Array; detailNorm: number } {
  const residual = new Float32Array(SQUARE * SQUARE);
  for (let y = 0; y < SQUARE; y++) {
    for (let x = 0; x < SQUARE; x++) {
      let sum = 0;
      let n = 0;
      for (
        let yy = Math.max(0, y - DETAIL_RADIUS);
        yy <= Math.min(SQUARE - 1, y + DETAIL_RADIUS);
        yy++
      ) {
        for (
          let xx = Math.max(0, x - DETAIL_RADIUS);
          xx <= Math.min(SQUARE - 1, x + DETAIL_RADIUS);
          xx++
        ) {
          sum += square[yy * SQUARE + xx];
          n++;
        }
      }
      residual[y * SQUARE + x] = square[y * SQUARE + x] - sum / n;
    }
  }
  let mean = 0;
  for (const v of residual) mean += v;
  mean /= residual.length;
  let peak = 0;
  for (let i = 0; i < residual.length; i++) {
    residual[i] -= mean;
    peak = Math.max(peak, Math.abs(residual[i]));
  }
  const detail = new Int8Array(residual.length);
  let norm = 0;
  if (peak > 1e-6) {
    for (let i = 0; i < residual.length; i++) {
      detail[i] = Math.round((127 * residual[i]) / peak);
      norm += detail[i] * detail[i];
    }
  }
  return { detail, detailNorm: Math.sqrt(norm) };
}

/** Difference hash and local-detail image of a gray picture (any size, any aspect). */
export function fingerprintGray(image: GrayImage): PictureFingerprint {
  const square = {
    data: resizeArea(image, whole(image), SQUARE, SQUARE),
    width: SQUARE,
    height: SQUARE,
  };
  const grid = resizeArea(square, whole(square), HASH_SIZE + 1, HASH_SIZE);
  const dhash = new Uint32Array(HASH_BITS / 32);
  for (let y = 0; y < HASH_SIZE; y++) {
    for (let x = 0; x < HASH_SIZE; x++) {
      const bit = y * HASH_SIZE + x;
      const row = y * (HASH_SIZE + 1);
      if (grid[row + x + 1] > grid[row + x]) dhash[bit >>> 5] |= 1 << (bit & 31);
    }
  }
  return { dhash, ...localDetail(square.data) };
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

/** Correlation of two detail images (-1..1; 0 when either is flat). */
export function detailCorrelation(a: PictureFingerprint, b: PictureFingerprint): number {
  if (a.detailNorm === 0 || b.detailNorm === 0) return 0;
  let sum = 0;
  for (let i = 0; i < a.detail.length; i++) sum += a.detail[i] * b.detail[i];
  return sum / (a.detailNorm * b.detailNorm);
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
  const fingerprint = fingerprintGray({
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
      ...fingerprint,
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
