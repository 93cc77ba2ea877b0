/**
 * DICOM data set -> ImageMetadata (shared contract) plus the pixel-module details the decoder needs
 * (pixel data element, LUTs). Pixel attributes are validated here so that decoding can trust them.
 */
import type { TextDecoder } from 'node:util';
import type { DataSet, Element } from 'dicom-parser';
import { CodedError } from '../../../shared/errors';
import type {
  ImageMetadata,
  LookupTable,
  PhotometricInterpretation,
  VoiWindow,
} from '../../../shared/imaging';
import {
  elementBytes,
  numberValue,
  numbers,
  personName,
  readLookupTable,
  text,
  texts,
  uint16,
} from './attributes';
import type { DicomFile } from './parse';
import { expandSegmentedLut } from './segmented-lut';

const PHOTOMETRICS: readonly PhotometricInterpretation[] = [
  'MONOCHROME1',
  'MONOCHROME2',
  'RGB',
  'YBR_FULL',
  'YBR_FULL_422',
  'YBR_RCT',
  'YBR_ICT',
  'PALETTE COLOR',
];
const MAX_DIMENSION = 65535;
const MAX_FRAMES = 100_000;
/** Largest decoded image (all frames, bytes as stored) this reader will allocate. */
export const MAX_PIXEL_BYTES = 2 ** 31 - 1;

export interface PaletteLuts {
  red: LookupTable;
  green: LookupTable;
  blue: LookupTable;
}

/** What the frame decoder needs beyond ImageMetadata. */
export interface PixelModule {
  pixelElement: Element;
  /** 'float' for (7FE0,0008), 'double' for (7FE0,0009), else integer Pixel Data. */
  pixelDataKind: 'integer' | 'float' | 'double';
  modalityLut?: LookupTable;
  palette?: PaletteLuts;
}

export interface DicomImageDescription {
  metadata: ImageMetadata;
  pixel: PixelModule;
}

function firstItem(dataSet: DataSet, tag: string): DataSet | undefined {
  return dataSet.elements[tag]?.items?.[0]?.dataSet;
}

/** Enhanced (multi-frame) objects keep spacing/VOI/rescale in functional group macros. */
function functionalGroupItem(dataSet: DataSet, macroTag: string): DataSet | undefined {
  const shared = firstItem(dataSet, 'x52009229');
  const perFrame = firstItem(dataSet, 'x52009230');
  return (shared && firstItem(shared, macroTag)) ?? (perFrame && firstItem(perFrame, macroTag));
}

function pair(values: number[]): [number, number] | undefined {
  return values.length >= 2 && values[0] > 0 && values[1] > 0 ? [values[0], values[1]] : undefined;
}

function invalid(source: string, what: string): CodedError {
  return new CodedError('INVALID_PIXEL_ATTRIBUTES', `${source}: ${what}`);
}

function readWindows(voiSource: DataSet, decoder: TextDecoder): VoiWindow[] {
  const centers = numbers(voiSource, 'x00281050');
  const widths = numbers(voiSource, 'x00281051');
  const explanations = texts(voiSource, 'x00281055', decoder);
  const windows: VoiWindow[] = [];
  for (let i = 0; i < Math.min(centers.length, widths.length); i++) {
    if (!(widths[i] > 0)) continue;
    const explanation = explanations[i];
    windows.push({ center: centers[i], width: widths[i], ...(explanation ? { explanation } : {}) });
  }
  return windows;
}

/** A palette channel from its segmented data (0028,122x), expanded to a plain table. */
function readSegmentedChannel(
  dataSet: DataSet,
  descriptorTag: string,
  segmentedTag: string,
): LookupTable | undefined {
  const entriesRaw = uint16(dataSet, descriptorTag, 0);
  const firstRaw = uint16(dataSet, descriptorTag, 1);
  const bits = uint16(dataSet, descriptorTag, 2);
  const bytes = elementBytes(dataSet, segmentedTag);
  if (entriesRaw === undefined || firstRaw === undefined || bits === undefined || !bytes) {
    return undefined;
  }
  const length = entriesRaw === 0 ? 65536 : entriesRaw;
  let words: ArrayLike<number>;
  if (bits <= 8) {
    words = bytes;
  } else {
    const count = bytes.length >> 1;
    const values = new Array<number>(count);
    for (let i = 0; i < count; i++) values[i] = dataSet.uint16(segmentedTag, i) ?? 0;
    words = values;
  }
  const data = expandSegmentedLut(words, length, bits <= 8 ? 1 : 2);
  return { length, firstValueMapped: firstRaw, bitsPerEntry: bits, data };
}

function readPalette(dataSet: DataSet, source: string): PaletteLuts {
  const channel = (
    descriptor: string,
    data: string,
    segmented: string,
    name: string,
  ): LookupTable => {
    const lut =
      readLookupTable(dataSet, descriptor, data, false) ??
      readSegmentedChannel(dataSet, descriptor, segmented);
    if (!lut)
      throw new CodedError('UNSUPPORTED_PHOTOMETRIC', `${source}: ${name} palette LUT missing`);
    return lut;
  };
  return {
    red: channel('x00281101', 'x00281201', 'x00281221', 'red'),
    green: channel('x00281102', 'x00281202', 'x00281222', 'green'),
    blue: channel('x00281103', 'x00281203', 'x00281223', 'blue'),
  };
}

export function describeDicomImage(file: DicomFile, source: string): DicomImageDescription {
  const ds = file.dataSet;
  const dec = file.text;
  const integerPixels = ds.elements.x7fe00010;
  const floatPixels = ds.elements.x7fe00008;
  const doublePixels = ds.elements.x7fe00009;
  const pixelElement = integerPixels ?? floatPixels ?? doublePixels;
  if (!pixelElement) throw new CodedError('NO_PIXEL_DATA', `${source}: no Pixel Data element`);
  const pixelDataKind = integerPixels ? 'integer' : floatPixels ? 'float' : 'double';

  const rows = uint16(ds, 'x00280010') ?? 0;
  const columns = uint16(ds, 'x00280011') ?? 0;
  if (rows < 1 || columns < 1 || rows > MAX_DIMENSION || columns > MAX_DIMENSION) {
    throw invalid(source, `rows x columns ${rows} x ${columns} is not a valid image size`);
  }
  const samplesPerPixel = uint16(ds, 'x00280002') ?? 1;
  if (samplesPerPixel !== 1 && samplesPerPixel !== 3)
    throw invalid(source, `samples per pixel ${samplesPerPixel}`);
  const bitsAllocated =
    uint16(ds, 'x00280100') ??
    (pixelDataKind === 'double' ? 64 : pixelDataKind === 'float' ? 32 : 0);
  const allowedBits =
    pixelDataKind === 'integer' ? [1, 8, 12, 16, 32] : pixelDataKind === 'float' ? [32] : [64];
  if (!allowedBits.includes(bitsAllocated))
    throw invalid(source, `bits allocated ${bitsAllocated}`);
  const bitsStored = uint16(ds, 'x00280101') ?? bitsAllocated;
  if (bitsStored < 1 || bitsStored > bitsAllocated)
    throw invalid(source, `bits stored ${bitsStored} of ${bitsAllocated}`);
  const highBit = uint16(ds, 'x00280102') ?? bitsStored - 1;
  const pixelRepresentation = pixelDataKind === 'integer' && uint16(ds, 'x00280103') === 1 ? 1 : 0;
  const numberOfFrames = Math.trunc(numberValue(ds, 'x00280008') ?? 1) || 1;
  if (numberOfFrames < 1 || numberOfFrames > MAX_FRAMES)
    throw invalid(source, `number of frames ${numberOfFrames}`);
  if ((rows * columns * samplesPerPixel * numberOfFrames * bitsAllocated) / 8 > MAX_PIXEL_BYTES) {
    throw new CodedError('FILE_TOO_LARGE', `${source}: decoded image would exceed 2 GiB`);
  }
  const photometricText = (
    text(ds, 'x00280004', dec) ?? (samplesPerPixel === 1 ? 'MONOCHROME2' : 'RGB')
  ).toUpperCase();
  const photometric = PHOTOMETRICS.find((p) => p === photometricText);
  if (!photometric)
    throw new CodedError('UNSUPPORTED_PHOTOMETRIC', `${source}: photometric ${photometricText}`);
  const isColorPhotometric =
    !photometric.startsWith('MONOCHROME') && photometric !== 'PALETTE COLOR';
  if (isColorPhotometric !== (samplesPerPixel === 3)) {
    throw invalid(source, `${photometric} with ${samplesPerPixel} samples per pixel`);
  }
  const planar = uint16(ds, 'x00280006');

  const rescaleSource = ds.elements.x00281053 ? ds : (functionalGroupItem(ds, 'x00289145') ?? ds);
  const voiSource = ds.elements.x00281050 ? ds : (functionalGroupItem(ds, 'x00289132') ?? ds);
  const measuresSource = ds.elements.x00280030 ? ds : (functionalGroupItem(ds, 'x00289110') ?? ds);

  const modalityLutItem = firstItem(ds, 'x00283000');
  const signedDescriptor = (item: DataSet): boolean =>
    item.elements.x00283002?.vr === 'SS' || pixelRepresentation === 1;
  const modalityLut = modalityLutItem
    ? readLookupTable(
        modalityLutItem,
        'x00283002',
        'x00283006',
        signedDescriptor(modalityLutItem),
        dec,
      )
    : undefined;
  const voiLutItem = firstItem(ds, 'x00283010');
  const voiLut = voiLutItem
    ? readLookupTable(voiLutItem, 'x00283002', 'x00283006', signedDescriptor(voiLutItem), dec)
    : undefined;
  const voiFunction = text(voiSource, 'x00281056', dec)?.toUpperCase();
  const slope = numberValue(rescaleSource, 'x00281053');
  const intercept = numberValue(rescaleSource, 'x00281052');
  const paddingValue = ds.elements.x00280120
    ? readUsOrSs(ds, 'x00280120', pixelRepresentation)
    : undefined;
  const paddingLimit = ds.elements.x00280121
    ? readUsOrSs(ds, 'x00280121', pixelRepresentation)
    : undefined;
  const lossyFlag = text(ds, 'x00282110', dec);
  const ts = file.transferSyntax;
  const metadata: ImageMetadata = {
    sourceKind: 'dicom',
    patientName: personName(ds, 'x00100010', dec),
    patientId: text(ds, 'x00100020', dec),
    patientBirthDate: text(ds, 'x00100030', dec),
    patientSex: text(ds, 'x00100040', dec),
    studyInstanceUid: text(ds, 'x0020000d', dec),
    studyDate: text(ds, 'x00080020', dec),
    studyTime: text(ds, 'x00080030', dec),
    studyDescription: text(ds, 'x00081030', dec),
    accessionNumber: text(ds, 'x00080050', dec),
    seriesInstanceUid: text(ds, 'x0020000e', dec),
    seriesNumber: numberValue(ds, 'x00200011'),
    seriesDescription: text(ds, 'x0008103e', dec),
    sopInstanceUid: text(ds, 'x00080018', dec),
    sopClassUid: text(ds, 'x00080016', dec),
    instanceNumber: numberValue(ds, 'x00200013'),
    modality: text(ds, 'x00080060', dec),
    bodyPartExamined: text(ds, 'x00180015', dec),
    viewPosition: text(ds, 'x00185101', dec),
    laterality: text(ds, 'x00200060', dec) ?? text(ds, 'x00200062', dec),
    imageType: ds.elements.x00080008 ? texts(ds, 'x00080008', dec) : undefined,
    manufacturer: text(ds, 'x00080070', dec),
    rows,
    columns,
    numberOfFrames,
    samplesPerPixel,
    photometricInterpretation: photometric,
    bitsAllocated,
    bitsStored,
    highBit,
    pixelRepresentation,
    floatPixelData: pixelDataKind === 'integer' ? undefined : true,
    planarConfiguration: samplesPerPixel === 3 ? (planar === 1 ? 1 : 0) : undefined,
    transferSyntaxUid: file.transferSyntaxUid,
    transferSyntaxName: ts?.name,
    lossyCompressed: lossyFlag === '01' || ts?.lossy === true || undefined,
    pixelSpacing: pair(numbers(measuresSource, 'x00280030')),
    imagerPixelSpacing: pair(numbers(ds, 'x00181164')),
    rescaleSlope: modalityLut ? 1 : slope !== undefined && slope !== 0 ? slope : 1,
    rescaleIntercept: modalityLut ? 0 : (intercept ?? 0),
    rescaleType:
      text(rescaleSource, 'x00281054', dec) ??
      (modalityLutItem ? text(modalityLutItem, 'x00283004', dec) : undefined),
    hasModalityLutSequence: modalityLut ? true : undefined,
    windows: readWindows(voiSource, dec),
    voiLut,
    voiLutFunction:
      voiFunction === 'LINEAR' || voiFunction === 'LINEAR_EXACT' || voiFunction === 'SIGMOID'
        ? voiFunction
        : undefined,
    pixelPaddingValue: paddingValue,
    pixelPaddingRangeLimit: paddingLimit,
  };
  for (const key of Object.keys(metadata) as (keyof ImageMetadata)[]) {
    if (metadata[key] === undefined) delete metadata[key];
  }
  const palette = photometric === 'PALETTE COLOR' ? readPalette(ds, source) : undefined;
  return { metadata, pixel: { pixelElement, pixelDataKind, modalityLut, palette } };
}

function readUsOrSs(ds: DataSet, tag: string, pixelRepresentation: 0 | 1): number | undefined {
  const raw = uint16(ds, tag);
  if (raw === undefined) return undefined;
  const signed = ds.elements[tag]?.vr === 'SS' || pixelRepresentation === 1;
  return signed && raw > 0x7fff ? raw - 0x10000 : raw;
}
