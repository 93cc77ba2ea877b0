/**
 * The cornerstone WASM codecs (libjpeg-turbo 8-bit, CharLS, OpenJPEG, OpenJPH), loaded lazily once.
 * A WASM abort leaves its module unusable, so after any failure the module is dropped and the
 * next call instantiates a fresh one. Whatever a codec throws becomes a CODEC_ERROR.
 */
import { createRequire } from 'node:module';
import { CodedError } from '../../../../shared/errors';
import { describeThrown } from '../errors';

const requireCodec = createRequire(__filename);

export interface CodecFrameInfo {
  width: number;
  height: number;
  bitsPerSample: number;
  componentCount: number;
  isSigned?: boolean;
}

interface WasmDecoder {
  getEncodedBuffer(length: number): Uint8Array;
  getDecodedBuffer(): Uint8Array;
  decode(): void;
  readHeader?(): void;
  getFrameInfo(): CodecFrameInfo;
  getInterleaveMode?(): number;
  getNearLossless?(): number;
  decodeSubResolution?(decompositionLevel: number, layer: number): void;
  delete(): void;
}

type DecoderClass = new () => WasmDecoder;
type CodecModule = Record<string, unknown>;
type ModuleFactory = (options?: Record<string, unknown>) => Promise<CodecModule>;

export type WasmCodecName = 'libjpeg-turbo' | 'charls' | 'openjpeg' | 'openjph';

const CODECS: Record<WasmCodecName, { module: string; className: string }> = {
  'libjpeg-turbo': {
    module: '@cornerstonejs/codec-libjpeg-turbo-8bit/decodewasmjs',
    className: 'JPEGDecoder',
  },
  charls: { module: '@cornerstonejs/codec-charls/decodewasmjs', className: 'JpegLSDecoder' },
  openjpeg: { module: '@cornerstonejs/codec-openjpeg/decodewasmjs', className: 'J2KDecoder' },
  openjph: { module: '@cornerstonejs/codec-openjph/wasmjs', className: 'HTJ2KDecoder' },
};

const loaded = new Map<WasmCodecName, Promise<CodecModule>>();

function loadModule(name: WasmCodecName): Promise<CodecModule> {
  let promise = loaded.get(name);
  if (!promise) {
    const factory = requireCodec(CODECS[name].module) as ModuleFactory;
    // Silence the codecs' own stdout/stderr prints; errors reach us as exceptions.
    promise = factory({ print: () => undefined, printErr: () => undefined });
    loaded.set(name, promise);
    promise.catch(() => loaded.delete(name));
  }
  return promise;
}

export interface WasmDecodeResult {
  info: CodecFrameInfo;
  /** A copy of the decoded bytes (the WASM heap is reused). */
  bytes: Uint8Array;
  interleaveMode?: number;
  nearLossless?: number;
}

/**
 * Decodes one encoded frame. `check` sees the full-size header (where the codec can read it
 * first) and may throw to refuse a frame before any large allocation. `decompositionLevel` > 0
 * (OpenJPEG only) decodes that many wavelet levels fewer: each side is ceil(side / 2^level).
 */
export async function decodeWithWasm(
  name: WasmCodecName,
  encoded: Uint8Array,
  check?: (info: CodecFrameInfo) => void,
  decompositionLevel = 0,
): Promise<WasmDecodeResult> {
  const module = await loadModule(name);
  const Decoder = module[CODECS[name].className] as DecoderClass;
  let decoder: WasmDecoder | undefined;
  try {
    decoder = new Decoder();
    decoder.getEncodedBuffer(encoded.length).set(encoded);
    if (decoder.readHeader && check) {
      decoder.readHeader();
      const header = decoder.getFrameInfo();
      // Some codecs fill the frame info only when decoding; check what is known.
      if (header.width > 0 && header.height > 0) check(header);
    }
    let info: CodecFrameInfo;
    if (decompositionLevel > 0 && decoder.decodeSubResolution) {
      decoder.decodeSubResolution(decompositionLevel, 0);
      const full = decoder.getFrameInfo();
      check?.(full);
      const scale = 2 ** decompositionLevel;
      info = {
        ...full,
        width: Math.ceil(full.width / scale),
        height: Math.ceil(full.height / scale),
      };
    } else {
      decoder.decode();
      info = decoder.getFrameInfo();
      check?.(info);
    }
    const result: WasmDecodeResult = { info, bytes: decoder.getDecodedBuffer().slice() };
    if (decoder.getInterleaveMode) result.interleaveMode = decoder.getInterleaveMode();
    if (decoder.getNearLossless) result.nearLossless = decoder.getNearLossless();
    return result;
  } catch (error) {
    if (error instanceof CodedError) throw error;
    loaded.delete(name);
    throw new CodedError('CODEC_ERROR', `${name}: ${describeThrown(error)}`, { cause: error });
  } finally {
    try {
      decoder?.delete();
    } catch {
      loaded.delete(name);
    }
  }
}
