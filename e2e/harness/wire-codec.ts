/**
 * The harness's wire format between Node and the page: JSON-safe values, with typed arrays sent
 * as tagged base64 so a Float32Array arrives as a Float32Array (Electron's structured clone does
 * this by itself; Playwright bindings do not). PAGE_WIRE_CODEC is the same codec for the page.
 */

const TYPED_ARRAYS = {
  Int8Array,
  Uint8Array,
  Uint8ClampedArray,
  Int16Array,
  Uint16Array,
  Int32Array,
  Uint32Array,
  Float32Array,
  Float64Array,
} as const;
type TypedArrayName = keyof typeof TYPED_ARRAYS;

export interface WireTypedArray {
  __wire: TypedArrayName;
  base64: string;
}

/** JSON-compatible value as sent over the binding. */
export type WireValue =
  null | boolean | number | string | WireValue[] | { [key: string]: WireValue };

function typedArrayName(value: ArrayBufferView): TypedArrayName | null {
  const name = value.constructor.name;
  return name in TYPED_ARRAYS ? (name as TypedArrayName) : null;
}

function isWireTypedArray(value: object): value is WireTypedArray {
  const tagged = value as Partial<WireTypedArray>;
  return (
    typeof tagged.__wire === 'string' &&
    tagged.__wire in TYPED_ARRAYS &&
    typeof tagged.base64 === 'string'
  );
}

export function encodeWire(value: unknown): WireValue {
  if (value === null || value === undefined) return null;
  if (typeof value === 'boolean' || typeof value === 'number' || typeof value === 'string')
    return value;
  if (ArrayBuffer.isView(value)) {
    const name = typedArrayName(value);
    if (!name) throw new TypeError(`Cannot send ${value.constructor.name} over the harness wire`);
    return {
      __wire: name,
      base64: Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString('base64'),
    };
  }
  if (Array.isArray(value)) return value.map(encodeWire);
  if (typeof value === 'object') {
    const out: { [key: string]: WireValue } = {};
    for (const [key, item] of Object.entries(value))
      if (item !== undefined) out[key] = encodeWire(item);
    return out;
  }
  throw new TypeError(`Cannot send a ${typeof value} over the harness wire`);
}

export function decodeWire(value: unknown): unknown {
  if (value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) return value.map(decodeWire);
  if (isWireTypedArray(value)) {
    const bytes = Buffer.from(value.base64, 'base64');
    const Ctor = TYPED_ARRAYS[value.__wire];
    // Copy into a fresh, aligned buffer of the right type.
    const aligned = new Uint8Array(bytes.byteLength);
    aligned.set(bytes);
    return new Ctor(aligned.buffer, 0, bytes.byteLength / Ctor.BYTES_PER_ELEMENT);
  }
  const out: Record<string, unknown> = {};
  for (const [key, item] of Object.entries(value)) out[key] = decodeWire(item);
  return out;
}

/**
 * The page's half of the codec, as plain JavaScript source (evaluated in the page by the init
 * script; kept as text so no bundler helper can leak into it). Defines `encodeWire`/`decodeWire`.
 */
export const PAGE_WIRE_CODEC = `
  const TYPED_ARRAYS = { Int8Array, Uint8Array, Uint8ClampedArray, Int16Array, Uint16Array, Int32Array, Uint32Array, Float32Array, Float64Array };
  function toBase64(bytes) {
    let text = '';
    for (let i = 0; i < bytes.length; i += 0x8000) text += String.fromCharCode.apply(null, bytes.subarray(i, i + 0x8000));
    return btoa(text);
  }
  function fromBase64(base64) {
    const text = atob(base64);
    const bytes = new Uint8Array(text.length);
    for (let i = 0; i < text.length; i++) bytes[i] = text.charCodeAt(i);
    return bytes;
  }
  function encodeWire(value) {
    if (value === null || value === undefined) return null;
    if (ArrayBuffer.isView(value)) {
      const name = value.constructor.name;
      if (!(name in TYPED_ARRAYS)) throw new TypeError('Cannot send ' + name + ' over the harness wire');
      return { __wire: name, base64: toBase64(new Uint8Array(value.buffer, value.byteOffset, value.byteLength)) };
    }
    if (Array.isArray(value)) return value.map(encodeWire);
    if (typeof value === 'object') {
      const out = {};
      for (const key of Object.keys(value)) if (value[key] !== undefined) out[key] = encodeWire(value[key]);
      return out;
    }
    return value;
  }
  function decodeWire(value) {
    if (value === null || typeof value !== 'object') return value;
    if (Array.isArray(value)) return value.map(decodeWire);
    if (typeof value.__wire === 'string' && value.__wire in TYPED_ARRAYS && typeof value.base64 === 'string') {
      const Ctor = TYPED_ARRAYS[value.__wire];
      const bytes = fromBase64(value.base64);
      return new Ctor(bytes.buffer, 0, bytes.byteLength / Ctor.BYTES_PER_ELEMENT);
    }
    const out = {};
    for (const key of Object.keys(value)) out[key] = decodeWire(value[key]);
    return out;
  }
`;
