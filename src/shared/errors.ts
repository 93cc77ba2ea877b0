/**
 * Error codes shared by every layer (main modules, CLI, IPC replies, screening rows).
 * A code names what went wrong with the input, so the UI can explain it in words and a batch
 * can record it per file.
 */
export const ERROR_CODES = [
  // Files and formats
  'FILE_NOT_FOUND',
  'FILE_UNREADABLE',
  'FILE_TOO_LARGE',
  'UNSUPPORTED_FORMAT',
  'NOT_DICOM',
  // DICOM structure
  'TRUNCATED',
  'MALFORMED_DICOM',
  'MISSING_TRANSFER_SYNTAX',
  'UNSUPPORTED_TRANSFER_SYNTAX',
  'NO_PIXEL_DATA',
  'INVALID_PIXEL_ATTRIBUTES',
  'UNSUPPORTED_PHOTOMETRIC',
  'PIXEL_DATA_LENGTH_MISMATCH',
  'CODEC_ERROR',
  'FRAME_OUT_OF_RANGE',
  'DICOMDIR_INVALID',
  'DICOMDIR_REFERENCE_MISSING',
  // PNG / JPEG
  'IMAGE_DECODE_ERROR',
  // Model and inference
  'MODEL_NOT_FOUND',
  'MODEL_MANIFEST_INVALID',
  'MODEL_MANIFEST_MISMATCH',
  'MODEL_CHECKSUM_MISMATCH',
  'INFERENCE_FAILED',
  'NOT_A_CHEST_XRAY_CANDIDATE',
  'NOT_A_FRONTAL_CHEST_XRAY',
  // Reports (DICOM SR / SC / PDF)
  'REPORT_PATIENT_STUDY_REQUIRED',
  // PACS (query/retrieve, sending results): refused, unreachable, or a failure status
  'PACS_ERROR',
  // IPC / requests
  'INVALID_REQUEST',
  'ACCESS_DENIED',
  'CANCELLED',
  'INTERNAL_ERROR',
] as const;

export type ErrorCode = (typeof ERROR_CODES)[number];

/** The serialisable shape of an error that crosses a process or IPC boundary. */
export interface CodedErrorInfo {
  code: ErrorCode;
  message: string;
}

/** Error with a code; thrown by main-side modules, turned into CodedErrorInfo at boundaries. */
export class CodedError extends Error {
  readonly code: ErrorCode;
  constructor(code: ErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'CodedError';
    this.code = code;
  }
  toInfo(): CodedErrorInfo {
    return { code: this.code, message: this.message };
  }
}

export function isErrorCode(value: unknown): value is ErrorCode {
  return typeof value === 'string' && (ERROR_CODES as readonly string[]).includes(value);
}

/** Normalises anything thrown into a CodedErrorInfo (unknown errors become INTERNAL_ERROR). */
export function toErrorInfo(error: unknown): CodedErrorInfo {
  if (error instanceof CodedError) return error.toInfo();
  if (
    typeof error === 'object' &&
    error !== null &&
    'code' in error &&
    isErrorCode((error as { code: unknown }).code)
  ) {
    const e = error as { code: ErrorCode; message?: unknown };
    return { code: e.code, message: typeof e.message === 'string' ? e.message : e.code };
  }
  const message = error instanceof Error ? error.message : String(error);
  return { code: 'INTERNAL_ERROR', message };
}

/**
 * `message` without a leading "<path>: " (decoders name the file they read), for outputs that
 * already say the path beside it, so it is not said twice.
 */
export function withoutPathPrefix(message: string, ...paths: string[]): string {
  for (const path of paths)
    if (message.startsWith(`${path}: `)) return message.slice(path.length + 2);
  return message;
}
