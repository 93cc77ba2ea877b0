/**
 * JPEG lossless decoder (ITU T.81 Annex H: SOF3, Huffman, predictors 1-7, point transform,
 * restart intervals, interleaved or one scan per component). Replaces jpeg-lossless-decoder-js,
 * which dropped the last sample of a scan when its difference category was 16 (the 32768 code
 * that has no extra bits), and was about three times slower. Samples are written straight into
 * the output array; prediction reads the reconstructed samples from it.
 */
import { CodedError } from '../../../../shared/errors';

export interface LosslessImage {
  width: number;
  height: number;
  precision: number;
  components: number;
  /** Interleaved samples (component c of pixel i at i * components + c). */
  data: Uint8Array | Uint16Array;
}

const MAX_SAMPLES = 2 ** 28;
/** Codes up to this many bits are resolved by one table lookup. */
const FAST_BITS = 9;

function fail(message: string): never {
  throw new CodedError('CODEC_ERROR', `JPEG lossless: ${message}`);
}

interface HuffmanTable {
  /** Entry for the next FAST_BITS bits: (code length << 8) | symbol, or 0 when longer. */
  fast: Uint16Array;
  maxcode: Int32Array;
  valptr: Int32Array;
  mincode: Int32Array;
  values: Uint8Array;
}

function buildHuffman(counts: Uint8Array, values: Uint8Array): HuffmanTable {
  const maxcode = new Int32Array(18).fill(-1);
  const valptr = new Int32Array(17);
  const mincode = new Int32Array(17);
  const fast = new Uint16Array(1 << FAST_BITS);
  let code = 0;
  let p = 0;
  for (let length = 1; length <= 16; length++) {
    valptr[length] = p;
    mincode[length] = code;
    for (let k = 0; k < counts[length - 1]; k++, p++, code++) {
      if (length <= FAST_BITS) {
        const shift = FAST_BITS - length;
        for (let fill = 0; fill < 1 << shift; fill++) {
          fast[(code << shift) | fill] = (length << 8) | values[p];
        }
      }
    }
    maxcode[length] = counts[length - 1] ? code - 1 : -1;
    code <<= 1;
  }
  maxcode[17] = 0x7fffffff;
  return { fast, maxcode, valptr, mincode, values };
}

interface FrameComponent {
  id: number;
  h: number;
  v: number;
}

interface ScanComponent {
  index: number;
  table: HuffmanTable;
}

/**
 * Entropy-coded segment reader: 0xFF00 is a stuffed 0xFF; at any other marker the reader stops
 * consuming and feeds zero bits (T.81 F.2.2.5), which is where an end-of-scan bug would bite.
 */
class BitReader {
  bits = 0;
  count = 0;
  atMarker = false;
  constructor(
    private readonly data: Uint8Array,
    public pos: number,
  ) {}

  fill(): void {
    while (this.count <= 24) {
      let byte = 0;
      if (!this.atMarker && this.pos < this.data.length) {
        byte = this.data[this.pos];
        if (byte === 0xff) {
          const next = this.pos + 1 < this.data.length ? this.data[this.pos + 1] : 0xd9;
          if (next === 0x00) {
            this.pos += 2;
          } else {
            this.atMarker = true;
            byte = 0;
          }
        } else {
          this.pos++;
        }
      }
      this.bits = ((this.bits << 8) | byte) >>> 0;
      this.count += 8;
    }
  }

  decode(table: HuffmanTable): number {
    if (this.count < 16) this.fill();
    const peek = (this.bits >>> (this.count - FAST_BITS)) & ((1 << FAST_BITS) - 1);
    const entry = table.fast[peek];
    if (entry !== 0) {
      this.count -= entry >> 8;
      return entry & 0xff;
    }
    let length = FAST_BITS + 1;
    let code = (this.bits >>> (this.count - length)) & ((1 << length) - 1);
    while (length <= 16 && code > table.maxcode[length]) {
      length++;
      code = (this.bits >>> (this.count - length)) & ((1 << length) - 1);
    }
    if (length > 16) fail('bad Huffman code');
    this.count -= length;
    return table.values[table.valptr[length] + code - table.mincode[length]];
  }

  /** The signed difference of category `ssss` (T.81 F.2.2.1 EXTEND; category 16 is 32768). */
  difference(ssss: number): number {
    if (ssss === 0) return 0;
    if (ssss === 16) return 32768;
    if (this.count < ssss) this.fill();
    this.count -= ssss;
    const value = (this.bits >>> this.count) & ((1 << ssss) - 1);
    return value < 1 << (ssss - 1) ? value - (1 << ssss) + 1 : value;
  }

  /** Skips to the byte after the next RSTn marker (restart interval boundary). */
  restart(): void {
    let pos = this.pos;
    while (pos + 1 < this.data.length) {
      if (this.data[pos] === 0xff && this.data[pos + 1] >= 0xd0 && this.data[pos + 1] <= 0xd7) {
        pos += 2;
        break;
      }
      pos++;
    }
    this.pos = pos;
    this.bits = 0;
    this.count = 0;
    this.atMarker = false;
  }
}

function u16(data: Uint8Array, at: number): number {
  if (at + 2 > data.length) fail('stream ends inside a marker segment');
  return (data[at] << 8) | data[at + 1];
}

/** Decodes one JPEG lossless (process 14) stream. Throws CodedError. */
export function decodeJpegLossless(data: Uint8Array): LosslessImage {
  if (data.length < 4 || data[0] !== 0xff || data[1] !== 0xd8) fail('no SOI marker');
  const dcTables: (HuffmanTable | undefined)[] = [];
  let frame: FrameComponent[] | undefined;
  let width = 0;
  let height = 0;
  let precision = 0;
  let restartInterval = 0;
  let out: Uint8Array | Uint16Array | undefined;
  const decoded = new Set<number>();
  let pos = 2;
  while (pos + 2 <= data.length) {
    if (data[pos] !== 0xff) {
      pos++; // stray byte after an entropy-coded segment
      continue;
    }
    const marker = data[pos + 1];
    if (marker === 0xff) {
      pos++;
      continue;
    }
    if (marker === 0xd9) break;
    if (marker >= 0xd0 && marker <= 0xd7) {
      pos += 2;
      continue;
    }
    const length = u16(data, pos + 2);
    const segment = pos + 4;
    const end = pos + 2 + length;
    if (length < 2 || end > data.length) fail(`marker 0x${marker.toString(16)} runs past the end`);
    if (marker === 0xc3) {
      precision = data[segment];
      height = u16(data, segment + 1);
      width = u16(data, segment + 3);
      const count = data[segment + 5];
      frame = [];
      for (let c = 0; c < count; c++) {
        const at = segment + 6 + 3 * c;
        frame.push({ id: data[at], h: data[at + 1] >> 4, v: data[at + 1] & 15 });
      }
      if (precision < 2 || precision > 16) fail(`precision ${precision}`);
      if (width < 1 || height < 1) fail(`frame size ${width}x${height} (DNL is not supported)`);
      if (frame.some((c) => c.h !== 1 || c.v !== 1)) fail('subsampled components');
      if (width * height * count > MAX_SAMPLES) fail('frame too large');
      out =
        precision > 8
          ? new Uint16Array(width * height * count)
          : new Uint8Array(width * height * count);
    } else if (
      marker >= 0xc0 &&
      marker <= 0xcf &&
      marker !== 0xc4 &&
      marker !== 0xc8 &&
      marker !== 0xcc
    ) {
      fail(`SOF 0x${marker.toString(16)} is not process 14 (non-hierarchical lossless)`);
    } else if (marker === 0xc4) {
      let at = segment;
      while (at < end) {
        const slot = data[at] & 0x0f;
        const counts = data.subarray(at + 1, at + 17);
        const total = counts.reduce((a, b) => a + b, 0);
        if (at + 17 + total > end) fail('DHT runs past its segment');
        dcTables[slot] = buildHuffman(counts, data.slice(at + 17, at + 17 + total));
        at += 17 + total;
      }
    } else if (marker === 0xdd) {
      restartInterval = u16(data, segment);
    } else if (marker === 0xda) {
      if (!frame || !out) fail('scan before frame header');
      const count = data[segment];
      const scan: ScanComponent[] = [];
      for (let c = 0; c < count; c++) {
        const id = data[segment + 1 + 2 * c];
        const index = frame.findIndex((f) => f.id === id);
        const table = dcTables[data[segment + 2 + 2 * c] >> 4];
        if (index < 0) fail(`scan names unknown component ${id}`);
        if (!table) fail(`scan uses an undefined Huffman table`);
        scan.push({ index, table });
      }
      const after = segment + 1 + 2 * count;
      const predictor = data[after];
      const pointTransform = data[after + 2] & 0x0f;
      if (predictor < 1 || predictor > 7) fail(`predictor ${predictor}`);
      const reader = new BitReader(data, end);
      decodeScan(reader, out, width, height, frame.length, scan, {
        predictor,
        pointTransform,
        precision,
        restartInterval,
      });
      for (const c of scan) decoded.add(c.index);
      // Continue marker parsing after the entropy-coded data.
      pos = reader.pos;
      continue;
    }
    pos = end;
  }
  if (!frame || !out) fail('no SOF3 frame header');
  if (decoded.size !== frame.length) fail('a component has no scan');
  return { width, height, precision, components: frame.length, data: out };
}

function decodeScan(
  reader: BitReader,
  out: Uint8Array | Uint16Array,
  width: number,
  height: number,
  components: number,
  scan: ScanComponent[],
  params: { predictor: number; pointTransform: number; precision: number; restartInterval: number },
): void {
  const { predictor, pointTransform, precision, restartInterval } = params;
  const initial = 1 << (precision - pointTransform - 1);
  const stride = width * components;
  // Prediction restarts (T.81 H.1.2.1) at the scan start and at each restart interval: the
  // first sample gets 2^(P-Pt-1), the rest of that line the sample to its left.
  let resetY = 0;
  let resetX = 0;
  let untilRestart = restartInterval;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      if (restartInterval) {
        if (untilRestart === 0) {
          reader.restart();
          resetY = y;
          resetX = x;
          untilRestart = restartInterval;
        }
        untilRestart--;
      }
      const base = (y * width + x) * components;
      for (let s = 0; s < scan.length; s++) {
        const component = scan[s];
        const at = base + component.index;
        let prediction: number;
        if (y === resetY) {
          prediction = x === resetX ? initial : out[at - components];
        } else if (x === 0) {
          prediction = out[at - stride];
        } else if (predictor === 1) {
          prediction = out[at - components];
        } else {
          const ra = out[at - components];
          const rb = out[at - stride];
          const rc = out[at - stride - components];
          switch (predictor) {
            case 2:
              prediction = rb;
              break;
            case 3:
              prediction = rc;
              break;
            case 4:
              prediction = ra + rb - rc;
              break;
            case 5:
              prediction = ra + ((rb - rc) >> 1);
              break;
            case 6:
              prediction = rb + ((ra - rc) >> 1);
              break;
            default:
              prediction = (ra + rb) >> 1;
          }
        }
        // Reconstruction is modulo 2^16 (T.81 H.1.2.2).
        out[at] = (prediction + reader.difference(reader.decode(component.table))) & 0xffff;
      }
    }
  }
  if (pointTransform > 0) {
    for (let p = 0; p < width * height; p++) {
      for (const component of scan) out[p * components + component.index] <<= pointTransform;
    }
  }
}
