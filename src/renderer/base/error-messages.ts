import type { CodedErrorInfo, ErrorCode } from '../../shared/errors';

/** One plain sentence per error code, written for a radiologist rather than a programmer. */
const SENTENCES: Record<ErrorCode, string> = {
  FILE_NOT_FOUND: 'The file is no longer where it was opened from.',
  FILE_UNREADABLE: 'The file could not be read (it may be locked or you may lack permission).',
  FILE_TOO_LARGE: 'The file is too large to open safely.',
  UNSUPPORTED_FORMAT: 'This is not an image format the workstation reads (DICOM, PNG or JPEG).',
  NOT_DICOM: 'The file is not a DICOM file.',
  TRUNCATED: 'The file is incomplete: it ends before the image data does.',
  MALFORMED_DICOM: 'The DICOM file is damaged and cannot be read.',
  MISSING_TRANSFER_SYNTAX: 'The DICOM file does not say how its pixels are encoded.',
  UNSUPPORTED_TRANSFER_SYNTAX: 'The image is compressed in a way the workstation cannot decode.',
  NO_PIXEL_DATA: 'This DICOM object holds no image (for example a report or a plan).',
  INVALID_PIXEL_ATTRIBUTES:
    'The image description in the file is inconsistent, so it cannot be shown.',
  UNSUPPORTED_PHOTOMETRIC: 'The image uses a colour encoding the workstation cannot display.',
  PIXEL_DATA_LENGTH_MISMATCH:
    'The image data is shorter or longer than the file says it should be.',
  CODEC_ERROR: 'The compressed image data could not be decoded; the file may be damaged.',
  FRAME_OUT_OF_RANGE: 'That frame does not exist in this image.',
  DICOMDIR_INVALID: 'The DICOMDIR index is damaged and cannot be read.',
  DICOMDIR_REFERENCE_MISSING:
    'The DICOMDIR lists an image whose file is missing from the disc or folder.',
  IMAGE_DECODE_ERROR: 'The PNG or JPEG image could not be decoded; the file may be damaged.',
  MODEL_NOT_FOUND: 'No AI model is installed, so no prediction can be made.',
  MODEL_MANIFEST_INVALID:
    'The AI model is installed incorrectly (its description file is invalid).',
  MODEL_MANIFEST_MISMATCH:
    'The AI model does not match its description file, so it was not loaded.',
  MODEL_CHECKSUM_MISMATCH: 'The AI model file has been altered or damaged, so it was not loaded.',
  INFERENCE_FAILED: 'The AI model failed while analysing this image.',
  NOT_A_CHEST_XRAY_CANDIDATE:
    'This does not look like a chest radiograph, so the AI model was not applied.',
  NOT_A_FRONTAL_CHEST_XRAY:
    'This image is not a frontal chest X-ray (the chest check turned it away), so no AI score was made. You can still view it.',
  REPORT_PATIENT_STUDY_REQUIRED:
    'A DICOM report needs a patient and a study, and this image does not carry them (PNG and JPEG files never do).',
  INVALID_REQUEST: 'The request was not understood (this is a software fault).',
  ACCESS_DENIED: 'The workstation may only open files and folders you chose.',
  PACS_ERROR: 'The PACS could not be reached or refused the request.',
  CANCELLED: 'The operation was cancelled.',
  INTERNAL_ERROR: 'Something went wrong inside the workstation.',
};

export function sentenceFor(code: ErrorCode): string {
  return SENTENCES[code] ?? SENTENCES.INTERNAL_ERROR;
}

/** Sentence plus the technical detail in brackets, for tooltips and problem lists. */
export function describeError(error: CodedErrorInfo): { sentence: string; detail: string } {
  return { sentence: sentenceFor(error.code), detail: `${error.code}: ${error.message}` };
}
