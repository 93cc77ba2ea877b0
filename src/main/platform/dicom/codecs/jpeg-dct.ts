/**
 * DCT JPEG decoder (Huffman; sequential SOF0/SOF1 and progressive SOF2 with spectral selection
 * and successive approximation; 8 or 12-bit precision), written for DICOM's 12-bit JPEG, which
 * libjpeg-turbo's 8-bit WASM build cannot decode and no maintained npm package covers. Scans fill
 * a coefficient store (progressive scans refine it as IJG's jdphuff.c does); each component is
 * then dequantized with the table it had in its first scan (IJG latches it then) and inverse
 * transformed with IJG's integer "islow" (jidctint.c) and the 12-bit constants, as in DCMTK's
 * 12-bit IJG build, so output matches DCMTK sample for sample.
 * No colour conversion (DICOM 12-bit JPEG is grayscale in practice); subsampled planes are
 * replicated. Arithmetic coding, hierarchical and lossless processes are refused.
 */
import { CodedError } from '../../../../shared/errors';

export interface DctImage {
  width: number;
  height: number;
  precision: number;
  components: number;
  /** Interleaved samples. */
  data: Uint16Array;
}

const ZIGZAG = new Int32Array([
  0, 1, 8, 16, 9, 2, 3, 10, 17, 24, 32, 25, 18, 11, 4, 5, 12, 19, 26, 33, 40, 48, 41, 34, 27, 20,
  13, 6, 7, 14, 21, 28, 35, 42, 49, 56, 57, 50, 43, 36, 29, 22, 15, 23, 30, 37, 44, 51, 58, 59, 52,
  45, 38, 31, 39, 46, 53, 60, 61, 54, 47, 55, 62, 63,
]);
const MAX_SAMPLES = 2 ** 28;

function fail(message: string): never {
  throw new CodedError('CODEC_ERROR', `JPEG: ${message}`);
}

/** Codes up to this many bits are decoded with one table lookup. */
const LOOKAHEAD_BITS = 9;

interface HuffmanTable {
  maxcode: Int32Array;
  valptr: Int32Array;
  mincode: Int32Array;
  values: Uint8Array;
  /** Next LOOKAHEAD_BITS bits -> (code length << 8) | value, 0 for a longer code. */
  lookup: Uint16Array;
}

function buildHuffman(counts: Uint8Array, values: Uint8Array): HuffmanTable {
  const maxcode = new Int32Array(18).fill(-1);
  const valptr = new Int32Array(17);
  const mincode = new Int32Array(17);
  const lookup = new Uint16Array(1 << LOOKAHEAD_BITS);
  let code = 0;
  let p = 0;
  for (let l = 1; l <= 16; l++) {
    valptr[l] = p;
    mincode[l] = code;
    for (let i = 0; i < counts[l - 1]; i++) {
      if (l <= LOOKAHEAD_BITS && p + i < values.length) {
        const spare = LOOKAHEAD_BITS - l;
        const first = (code + i) << spare;
        for (let s = 0; s < 1 << spare; s++) lookup[first | s] = (l << 8) | values[p + i];
      }
    }
    code += counts[l - 1];
    p += counts[l - 1];
    maxcode[l] = counts[l - 1] ? code - 1 : -1;
    code <<= 1;
  }
  maxcode[17] = 0x7fffffff;
  return { maxcode, valptr, mincode, values, lookup };
}

interface Component {
  id: number;
  h: number;
  v: number;
  tq: number;
  blocksPerLine: number;
  blocksPerColumn: number;
  plane: Uint16Array;
  /** Quantized coefficients (16-bit, as IJG's JCOEF), 64 per block in zigzag order, blocks row by row. */
  coefs: Int16Array;
  /** The quantization table in force when the component first appeared in a scan. */
  quant?: Int32Array;
  pred: number;
  dcTable?: HuffmanTable;
  acTable?: HuffmanTable;
}

interface ScanParameters {
  /** Spectral selection start and end (zigzag indices). */
  ss: number;
  se: number;
  /** Successive approximation: bit position high (0 = first scan of the band) and low. */
  ah: number;
  al: number;
}

class BitReader {
  /** The low `count` bits are the next bits of the stream (higher bits are stale). */
  private acc = 0;
  private count = 0;
  private overrun = 0;
  constructor(
    private readonly data: Uint8Array,
    public pos: number,
  ) {}

  /** Appends one byte (FF00 unstuffed). At a marker or the end: zeros, without passing it. */
  private fillByte(): void {
    let byte = 0;
    if (this.pos < this.data.length) {
      byte = this.data[this.pos];
      if (byte === 0xff) {
        const next = this.data[this.pos + 1];
        if (next === 0x00) this.pos += 2;
        else byte = 0; // a marker: feed zeros, do not pass it
      } else {
        this.pos++;
      }
    }
    if (byte === 0 && (this.pos >= this.data.length || this.data[this.pos] === 0xff)) {
      if (++this.overrun > 1 << 16) fail('entropy-coded data ends early');
    }
    this.acc = (this.acc << 8) | byte;
    this.count += 8;
  }

  bit(): number {
    if (this.count === 0) this.fillByte();
    this.count--;
    return (this.acc >>> this.count) & 1;
  }

  receive(length: number): number {
    if (length === 0) return 0;
    while (this.count < length) this.fillByte();
    this.count -= length;
    return (this.acc >>> this.count) & ((1 << length) - 1);
  }

  decode(table: HuffmanTable): number {
    while (this.count < LOOKAHEAD_BITS) this.fillByte();
    const entry =
      table.lookup[(this.acc >>> (this.count - LOOKAHEAD_BITS)) & ((1 << LOOKAHEAD_BITS) - 1)];
    if (entry !== 0) {
      this.count -= entry >> 8;
      return entry & 0xff;
    }
    let code = this.bit();
    let l = 1;
    while (code > table.maxcode[l]) {
      code = (code << 1) | this.bit();
      if (++l > 16) fail('bad Huffman code');
    }
    const index = table.valptr[l] + code - table.mincode[l];
    if (index < 0 || index >= table.values.length) fail('bad Huffman code');
    return table.values[index];
  }

  /** Drops buffered bits and steps over an RSTn marker if one is next. */
  restart(): void {
    this.count = 0;
    this.acc = 0;
    while (this.pos + 1 < this.data.length) {
      if (
        this.data[this.pos] === 0xff &&
        this.data[this.pos + 1] >= 0xd0 &&
        this.data[this.pos + 1] <= 0xd7
      ) {
        this.pos += 2;
        return;
      }
      if (
        this.data[this.pos] === 0xff &&
        this.data[this.pos + 1] !== 0 &&
        this.data[this.pos + 1] !== 0xff
      )
        return;
      this.pos++;
    }
  }
}

function extend(value: number, length: number): number {
  return length > 0 && value < 1 << (length - 1) ? value - (1 << length) + 1 : value;
}

// jidctint.c constants (CONST_BITS = 13).
const F0298 = 2446,
  F0390 = 3196,
  F0541 = 4433,
  F0765 = 6270,
  F0899 = 7373,
  F1175 = 9633,
  F1501 = 12299,
  F1847 = 15137,
  F1961 = 16069,
  F2053 = 16819,
  F2562 = 20995,
  F3072 = 25172;
const CONST_BITS = 13;

/**
 * One 8-point pass of jpeg_idct_islow: reads src[srcOff + k*srcStride], writes the descaled results
 * to dst[dstOff + k*dstStride] (k = 0..7). Plain arrays and numbers: no per-block allocation.
 */
function idct1d(
  src: Float64Array,
  srcOff: number,
  srcStride: number,
  dst: Float64Array,
  dstOff: number,
  dstStride: number,
  shift: number,
): void {
  const s0 = src[srcOff];
  const s1 = src[srcOff + srcStride];
  const s2 = src[srcOff + 2 * srcStride];
  const s3 = src[srcOff + 3 * srcStride];
  const s4 = src[srcOff + 4 * srcStride];
  const s5 = src[srcOff + 5 * srcStride];
  const s6 = src[srcOff + 6 * srcStride];
  const s7 = src[srcOff + 7 * srcStride];
  let z1 = (s2 + s6) * F0541;
  let tmp2 = z1 + s6 * -F1847;
  let tmp3 = z1 + s2 * F0765;
  let tmp0 = (s0 + s4) * 2 ** CONST_BITS;
  let tmp1 = (s0 - s4) * 2 ** CONST_BITS;
  const tmp10 = tmp0 + tmp3;
  const tmp13 = tmp0 - tmp3;
  const tmp11 = tmp1 + tmp2;
  const tmp12 = tmp1 - tmp2;
  tmp0 = s7;
  tmp1 = s5;
  tmp2 = s3;
  tmp3 = s1;
  z1 = tmp0 + tmp3;
  let z2 = tmp1 + tmp2;
  let z3 = tmp0 + tmp2;
  let z4 = tmp1 + tmp3;
  const z5 = (z3 + z4) * F1175;
  tmp0 *= F0298;
  tmp1 *= F2053;
  tmp2 *= F3072;
  tmp3 *= F1501;
  z1 *= -F0899;
  z2 *= -F2562;
  z3 *= -F1961;
  z4 *= -F0390;
  z3 += z5;
  z4 += z5;
  tmp0 += z1 + z3;
  tmp1 += z2 + z4;
  tmp2 += z2 + z3;
  tmp3 += z1 + z4;
  const half = 2 ** (shift - 1);
  const div = 2 ** shift;
  dst[dstOff] = Math.floor((tmp10 + tmp3 + half) / div);
  dst[dstOff + 7 * dstStride] = Math.floor((tmp10 - tmp3 + half) / div);
  dst[dstOff + dstStride] = Math.floor((tmp11 + tmp2 + half) / div);
  dst[dstOff + 6 * dstStride] = Math.floor((tmp11 - tmp2 + half) / div);
  dst[dstOff + 2 * dstStride] = Math.floor((tmp12 + tmp1 + half) / div);
  dst[dstOff + 5 * dstStride] = Math.floor((tmp12 - tmp1 + half) / div);
  dst[dstOff + 3 * dstStride] = Math.floor((tmp13 + tmp0 + half) / div);
  dst[dstOff + 4 * dstStride] = Math.floor((tmp13 - tmp0 + half) / div);
}

const workspace = new Float64Array(64);
const rowOut = new Float64Array(8);

function idctBlock(
  coef: Float64Array,
  out: Uint16Array,
  outOffset: number,
  outStride: number,
  precision: number,
): void {
  const pass1 = precision === 8 ? 2 : 1;
  const center = 1 << (precision - 1);
  const max = (1 << precision) - 1;
  for (let c = 0; c < 8; c++) idct1d(coef, c, 8, workspace, c, 8, CONST_BITS - pass1);
  for (let r = 0; r < 8; r++) {
    idct1d(workspace, r * 8, 1, rowOut, 0, 1, CONST_BITS + pass1 + 3);
    const o = outOffset + r * outStride;
    for (let k = 0; k < 8; k++) {
      const s = rowOut[k] + center;
      out[o + k] = s < 0 ? 0 : s > max ? max : s;
    }
  }
}

interface Frame {
  progressive: boolean;
  precision: number;
  width: number;
  height: number;
  comps: Component[];
  hmax: number;
  vmax: number;
  mcusX: number;
  mcusY: number;
}

export function decodeJpegDct(data: Uint8Array): DctImage {
  if (data.length < 4 || data[0] !== 0xff || data[1] !== 0xd8) fail('no SOI marker');
  const quant: (Int32Array | undefined)[] = [];
  const dcTables: (HuffmanTable | undefined)[] = [];
  const acTables: (HuffmanTable | undefined)[] = [];
  let restartInterval = 0;
  let frame: Frame | undefined;
  let scans = 0;
  let pos = 2;
  const u16 = (at: number): number =>
    at + 1 < data.length ? (data[at] << 8) | data[at + 1] : fail('truncated marker');

  while (pos + 1 < data.length) {
    if (data[pos] !== 0xff) {
      pos++; // tolerate garbage between segments, as libjpeg does (with a warning)
      continue;
    }
    const marker = data[pos + 1];
    pos += 2;
    if (
      marker === 0xd8 ||
      marker === 0x01 ||
      marker === 0xff ||
      (marker >= 0xd0 && marker <= 0xd7)
    ) {
      if (marker === 0xff) pos--;
      continue;
    }
    if (marker === 0xd9) break;
    const length = u16(pos);
    const end = pos + length;
    if (length < 2 || end > data.length) fail('segment runs past the end');
    const body = pos + 2;
    switch (marker) {
      case 0xdb: {
        let p = body;
        while (p < end) {
          const pq = data[p] >> 4;
          const tq = data[p] & 15;
          p++;
          if (tq > 3) fail('bad quantization table id');
          const table = new Int32Array(64);
          for (let k = 0; k < 64; k++) {
            table[k] = pq ? u16(p + 2 * k) : data[p + k];
          }
          p += pq ? 128 : 64;
          quant[tq] = table;
        }
        break;
      }
      case 0xc4: {
        let p = body;
        while (p + 17 <= end) {
          const tc = data[p] >> 4;
          const th = data[p] & 15;
          const counts = data.subarray(p + 1, p + 17);
          const total = counts.reduce((a, b) => a + b, 0);
          if (p + 17 + total > end || th > 3) fail('bad Huffman table');
          const table = buildHuffman(counts, data.slice(p + 17, p + 17 + total));
          (tc === 0 ? dcTables : acTables)[th] = table;
          p += 17 + total;
        }
        break;
      }
      case 0xdd:
        restartInterval = u16(body);
        break;
      case 0xc0:
      case 0xc1:
      case 0xc2: {
        if (frame) fail('more than one frame header');
        const precision = data[body];
        if (precision !== 8 && precision !== 12) fail(`precision ${precision}`);
        const height = u16(body + 1);
        const width = u16(body + 3);
        const count = data[body + 5];
        if (
          width < 1 ||
          height < 1 ||
          count < 1 ||
          count > 4 ||
          width * height * count > MAX_SAMPLES
        ) {
          fail(`frame ${width}x${height}x${count}`);
        }
        const comps: Component[] = [];
        for (let c = 0; c < count; c++) {
          const at = body + 6 + 3 * c;
          const h = data[at + 1] >> 4;
          const v = data[at + 1] & 15;
          if (h < 1 || h > 4 || v < 1 || v > 4) fail('bad sampling factors');
          comps.push({
            id: data[at],
            h,
            v,
            tq: data[at + 2],
            blocksPerLine: 0,
            blocksPerColumn: 0,
            plane: new Uint16Array(0),
            coefs: new Int16Array(0),
            pred: 0,
          });
        }
        const hmax = Math.max(...comps.map((c) => c.h));
        const vmax = Math.max(...comps.map((c) => c.v));
        const mcusX = Math.ceil(width / (8 * hmax));
        const mcusY = Math.ceil(height / (8 * vmax));
        for (const c of comps) {
          c.blocksPerLine = mcusX * c.h;
          c.blocksPerColumn = mcusY * c.v;
          c.coefs = new Int16Array(c.blocksPerLine * c.blocksPerColumn * 64);
        }
        frame = {
          progressive: marker === 0xc2,
          precision,
          width,
          height,
          comps,
          hmax,
          vmax,
          mcusX,
          mcusY,
        };
        break;
      }
      case 0xda: {
        if (!frame) fail('scan before frame header');
        const count = data[body];
        if (count < 1 || count > frame.comps.length) fail('bad scan component count');
        const params: ScanParameters = {
          ss: data[body + 1 + 2 * count],
          se: data[body + 2 + 2 * count],
          ah: data[body + 3 + 2 * count] >> 4,
          al: data[body + 3 + 2 * count] & 15,
        };
        if (!frame.progressive) params.ss = 0;
        if (!frame.progressive) params.se = 63;
        if (frame.progressive) {
          const dcScan = params.ss === 0;
          if (
            params.se > 63 ||
            params.ss > params.se ||
            (dcScan && params.se !== 0) ||
            (!dcScan && count !== 1) ||
            params.al > 13
          )
            fail('bad progressive scan parameters');
        }
        const dcNeeded = params.ss === 0 && params.ah === 0;
        const acNeeded = params.se > 0;
        const scanComps: Component[] = [];
        for (let i = 0; i < count; i++) {
          const id = data[body + 1 + 2 * i];
          const tables = data[body + 2 + 2 * i];
          const comp =
            frame.comps.find((c) => c.id === id) ?? fail('scan names an unknown component');
          comp.dcTable = dcTables[tables >> 4];
          comp.acTable = acTables[tables & 15];
          if ((dcNeeded && !comp.dcTable) || (acNeeded && !comp.acTable))
            fail('scan uses an undefined Huffman table');
          comp.quant ??= quant[comp.tq]?.slice();
          if (!comp.quant) fail('component uses an undefined quantization table');
          scanComps.push(comp);
        }
        const reader = new BitReader(data, end);
        decodeScan(frame, scanComps, reader, params, restartInterval);
        scans++;
        // Find the next marker after the entropy-coded data.
        let p = reader.pos;
        while (
          p + 1 < data.length &&
          !(data[p] === 0xff && data[p + 1] !== 0 && !(data[p + 1] >= 0xd0 && data[p + 1] <= 0xd7))
        )
          p++;
        pos = p;
        continue;
      }
      case 0xc3:
      case 0xc5:
      case 0xc6:
      case 0xc7:
      case 0xc9:
      case 0xca:
      case 0xcb:
      case 0xcd:
      case 0xce:
      case 0xcf:
        fail(`unsupported JPEG process (SOF marker 0xff${marker.toString(16)})`);
        break;
      default:
        break; // APPn, COM, DNL...: skip
    }
    pos = end;
  }
  if (!frame || scans === 0) fail('no image data');
  inverseTransform(frame);
  return assemble(frame);
}

/** Dequantizes every block with the component's latched table and writes its samples. */
function inverseTransform(frame: Frame): void {
  const coef = new Float64Array(64);
  for (const c of frame.comps) {
    const stride = c.blocksPerLine * 8;
    c.plane = new Uint16Array(stride * c.blocksPerColumn * 8);
    const q = c.quant;
    if (!q) continue; // never scanned: stays 0, as libjpeg leaves it
    for (let row = 0; row < c.blocksPerColumn; row++) {
      for (let col = 0; col < c.blocksPerLine; col++) {
        const block = (row * c.blocksPerLine + col) * 64;
        for (let k = 0; k < 64; k++) coef[ZIGZAG[k]] = c.coefs[block + k] * q[k];
        idctBlock(coef, c.plane, row * 8 * stride + col * 8, stride, frame.precision);
      }
    }
  }
}

/** Decodes one scan into the components' coefficient stores (sequential or progressive). */
function decodeScan(
  frame: Frame,
  scanComps: Component[],
  reader: BitReader,
  params: ScanParameters,
  restartInterval: number,
): void {
  const { ss, se, ah, al } = params;
  let eobrun = 0;
  for (const c of scanComps) c.pred = 0;

  const decodeSequential = (c: Component, coefs: Int16Array, at: number): void => {
    const t = reader.decode(c.dcTable as HuffmanTable);
    c.pred += t ? extend(reader.receive(t), t) : 0;
    coefs[at] = c.pred;
    for (let k = 1; k < 64;) {
      const rs = reader.decode(c.acTable as HuffmanTable);
      const r = rs >> 4;
      const s = rs & 15;
      if (s === 0) {
        if (r !== 15) break;
        k += 16;
        continue;
      }
      k += r;
      if (k > 63) break;
      coefs[at + k] = extend(reader.receive(s), s);
      k++;
    }
  };
  const decodeDcFirst = (c: Component, coefs: Int16Array, at: number): void => {
    const t = reader.decode(c.dcTable as HuffmanTable);
    c.pred += t ? extend(reader.receive(t), t) : 0;
    coefs[at] = c.pred * 2 ** al;
  };
  const decodeDcRefine = (_c: Component, coefs: Int16Array, at: number): void => {
    if (reader.bit()) coefs[at] |= 1 << al;
  };
  const decodeAcFirst = (c: Component, coefs: Int16Array, at: number): void => {
    if (eobrun > 0) {
      eobrun--;
      return;
    }
    for (let k = ss; k <= se; k++) {
      const rs = reader.decode(c.acTable as HuffmanTable);
      const r = rs >> 4;
      const s = rs & 15;
      if (s) {
        k += r;
        if (k > 63) fail('AC coefficient index past 63');
        coefs[at + k] = extend(reader.receive(s), s) * 2 ** al;
      } else if (r === 15) {
        k += 15;
      } else {
        eobrun = (1 << r) - 1 + (r ? reader.receive(r) : 0);
        break;
      }
    }
  };
  // jdphuff.c decode_mcu_AC_refine: correction bits for coefficients already nonzero, and new
  // coefficients of magnitude 1 << al.
  const p1 = 1 << al;
  const m1 = -1 << al;
  const refine = (coefs: Int16Array, index: number): void => {
    const value = coefs[index];
    if (reader.bit() && (value & p1) === 0) coefs[index] = value >= 0 ? value + p1 : value + m1;
  };
  const decodeAcRefine = (c: Component, coefs: Int16Array, at: number): void => {
    let k = ss;
    if (eobrun === 0) {
      for (; k <= se; k++) {
        const rs = reader.decode(c.acTable as HuffmanTable);
        let r = rs >> 4;
        let s = rs & 15;
        if (s) {
          s = reader.bit() ? p1 : m1;
        } else if (r !== 15) {
          eobrun = (1 << r) + (r ? reader.receive(r) : 0);
          break;
        }
        while (k <= se) {
          if (coefs[at + k] !== 0) refine(coefs, at + k);
          else if (--r < 0) break;
          k++;
        }
        if (s && k <= se) coefs[at + k] = s;
      }
    }
    if (eobrun > 0) {
      for (; k <= se; k++) if (coefs[at + k] !== 0) refine(coefs, at + k);
      eobrun--;
    }
  };
  const decodeBlock = !frame.progressive
    ? decodeSequential
    : ss === 0
      ? ah === 0
        ? decodeDcFirst
        : decodeDcRefine
      : ah === 0
        ? decodeAcFirst
        : decodeAcRefine;

  const blockAt = (c: Component, row: number, col: number): number =>
    (row * c.blocksPerLine + col) * 64;
  let mcusToRestart = restartInterval;
  const afterMcu = (last: boolean): void => {
    if (restartInterval > 0 && --mcusToRestart === 0 && !last) {
      reader.restart();
      for (const c of scanComps) c.pred = 0;
      eobrun = 0;
      mcusToRestart = restartInterval;
    }
  };
  if (scanComps.length === 1) {
    const c = scanComps[0];
    const cols = Math.ceil(Math.ceil((frame.width * c.h) / frame.hmax) / 8);
    const rows = Math.ceil(Math.ceil((frame.height * c.v) / frame.vmax) / 8);
    for (let r = 0; r < rows; r++) {
      for (let b = 0; b < cols; b++) {
        decodeBlock(c, c.coefs, blockAt(c, r, b));
        afterMcu(r === rows - 1 && b === cols - 1);
      }
    }
    return;
  }
  for (let my = 0; my < frame.mcusY; my++) {
    for (let mx = 0; mx < frame.mcusX; mx++) {
      for (const c of scanComps) {
        for (let v = 0; v < c.v; v++) {
          for (let h = 0; h < c.h; h++)
            decodeBlock(c, c.coefs, blockAt(c, my * c.v + v, mx * c.h + h));
        }
      }
      afterMcu(my === frame.mcusY - 1 && mx === frame.mcusX - 1);
    }
  }
}

function assemble(frame: {
  precision: number;
  width: number;
  height: number;
  comps: Component[];
  hmax: number;
  vmax: number;
}): DctImage {
  const { width, height, comps } = frame;
  const n = comps.length;
  const out = new Uint16Array(width * height * n);
  comps.forEach((c, ci) => {
    const stride = c.blocksPerLine * 8;
    for (let y = 0; y < height; y++) {
      const sy = Math.floor((y * c.v) / frame.vmax);
      for (let x = 0; x < width; x++) {
        const sx = Math.floor((x * c.h) / frame.hmax);
        out[(y * width + x) * n + ci] = c.plane[sy * stride + sx];
      }
    }
  });
  return { width, height, precision: frame.precision, components: n, data: out };
}
