/**
 * Decoded image types: what the main-side source reader produces for every input (DICOM, PNG,
 * JPEG) and what crosses IPC to the viewer. One decode feeds both the viewer and the model.
 */

export type SourceKind = 'dicom' | 'png' | 'jpeg';

export type PhotometricInterpretation =
  | 'MONOCHROME1'
  | 'MONOCHROME2'
  | 'RGB'
  | 'YBR_FULL'
  | 'YBR_FULL_422'
  | 'YBR_RCT'
  | 'YBR_ICT'
  | 'PALETTE COLOR';

/** One VOI window (DICOM Window Center/Width, C.11.2). */
export interface VoiWindow {
  center: number;
  width: number;
  explanation?: string;
}

/** A lookup table (Modality LUT Sequence or VOI LUT Sequence item). */
export interface LookupTable {
  /** Number of entries. */
  length: number;
  /** First input value mapped (may be negative when the descriptor says so). */
  firstValueMapped: number;
  bitsPerEntry: number;
  data: number[];
  explanation?: string;
}

/** Metadata the UI, the model and the screening table need; every field plain JSON. */
export interface ImageMetadata {
  sourceKind: SourceKind;
  // Patient / study / series / instance
  patientName?: string;
  patientId?: string;
  patientBirthDate?: string;
  patientSex?: string;
  studyInstanceUid?: string;
  studyDate?: string;
  studyTime?: string;
  studyDescription?: string;
  accessionNumber?: string;
  seriesInstanceUid?: string;
  seriesNumber?: number;
  seriesDescription?: string;
  sopInstanceUid?: string;
  sopClassUid?: string;
  instanceNumber?: number;
  modality?: string;
  bodyPartExamined?: string;
  viewPosition?: string;
  laterality?: string;
  imageType?: string[];
  manufacturer?: string;
  // Pixel description
  rows: number;
  columns: number;
  numberOfFrames: number;
  samplesPerPixel: number;
  photometricInterpretation: PhotometricInterpretation;
  bitsAllocated: number;
  bitsStored: number;
  highBit: number;
  /** 0 unsigned, 1 two's complement; float pixel data is reported as 0 with `floatPixelData`. */
  pixelRepresentation: 0 | 1;
  floatPixelData?: boolean;
  planarConfiguration?: 0 | 1;
  transferSyntaxUid?: string;
  transferSyntaxName?: string;
  lossyCompressed?: boolean;
  /** Physical spacing in mm: [row spacing, column spacing]. */
  pixelSpacing?: [number, number];
  imagerPixelSpacing?: [number, number];
  // Pixel pipeline parameters (already applied to `modalityPixels`, listed for display)
  rescaleSlope: number;
  rescaleIntercept: number;
  rescaleType?: string;
  hasModalityLutSequence?: boolean;
  windows: VoiWindow[];
  voiLut?: LookupTable;
  voiLutFunction?: 'LINEAR' | 'LINEAR_EXACT' | 'SIGMOID';
  pixelPaddingValue?: number;
  pixelPaddingRangeLimit?: number;
}

/**
 * One decoded frame.
 * Grayscale: `modalityPixels` are values after the Modality LUT (rescale or LUT sequence), one per
 * pixel, and `paddingMask` (1 = padding) marks pixel padding if the file declares it.
 * Colour: `rgb` is interleaved 8-bit RGB for display (YBR and PALETTE COLOR already converted).
 */
export interface DecodedFrame {
  frameIndex: number;
  rows: number;
  columns: number;
  kind: 'grayscale' | 'rgb';
  modalityPixels?: Float32Array;
  /** min/max over non-padding modality values (cornerstone builds its LUT from these). */
  minValue: number;
  maxValue: number;
  paddingMask?: Uint8Array;
  rgb?: Uint8Array;
  /**
   * JPEG 2000 resolution levels dropped at decode (`minDimension` option): rows and columns are
   * the full size divided by 2^level, rounded up. Absent at full resolution.
   */
  resolutionLevel?: number;
  /** Decoder decisions worth showing, e.g. JPEG colour markers that contradict the file. */
  decodeNotes?: string[];
}

export interface DecodedImage {
  metadata: ImageMetadata;
  frames: DecodedFrame[];
}
