import { CodedError, type ErrorCode } from '../../../shared/errors';

/** Describes anything thrown (dicom-parser throws strings, WASM codecs throw numbers). */
export function describeThrown(thrown: unknown): string {
  if (thrown instanceof Error) return thrown.message;
  if (typeof thrown === 'string') return thrown;
  if (typeof thrown === 'number') return `native exception ${thrown}`;
  try {
    return JSON.stringify(thrown) ?? String(thrown);
  } catch {
    return String(thrown);
  }
}

/** Keeps a CodedError as it is; wraps anything else under `code`. */
export function asCodedError(thrown: unknown, code: ErrorCode, context: string): CodedError {
  if (thrown instanceof CodedError) return thrown;
  return new CodedError(code, `${context}: ${describeThrown(thrown)}`, { cause: thrown });
}
