/** Transfer syntaxes this reader understands, and how each one's pixel data is decoded. */

export type PixelCodec =
  | 'native'
  | 'rle'
  | 'jpeg-baseline'
  | 'jpeg-extended'
  | 'jpeg-lossless'
  | 'jpeg-ls'
  | 'jpeg2000'
  | 'htj2k';

export interface TransferSyntaxInfo {
  uid: string;
  name: string;
  littleEndian: boolean;
  explicitVr: boolean;
  deflated: boolean;
  codec: PixelCodec;
  /** True when the syntax itself is lossy (a lossless-capable syntax may still carry lossy data). */
  lossy: boolean;
}

function ts(
  uid: string,
  name: string,
  codec: PixelCodec,
  extra: Partial<
    Pick<TransferSyntaxInfo, 'littleEndian' | 'explicitVr' | 'deflated' | 'lossy'>
  > = {},
): TransferSyntaxInfo {
  return {
    uid,
    name,
    codec,
    littleEndian: extra.littleEndian ?? true,
    explicitVr: extra.explicitVr ?? true,
    deflated: extra.deflated ?? false,
    lossy: extra.lossy ?? false,
  };
}

const TABLE: TransferSyntaxInfo[] = [
  ts('1.2.840.10008.1.2', 'Implicit VR Little Endian', 'native', { explicitVr: false }),
  ts('1.2.840.10008.1.2.1', 'Explicit VR Little Endian', 'native'),
  ts('1.2.840.10008.1.2.1.99', 'Deflated Explicit VR Little Endian', 'native', { deflated: true }),
  ts('1.2.840.10008.1.2.2', 'Explicit VR Big Endian', 'native', { littleEndian: false }),
  ts('1.2.840.10008.1.2.5', 'RLE Lossless', 'rle'),
  ts('1.2.840.10008.1.2.4.50', 'JPEG Baseline (Process 1)', 'jpeg-baseline', { lossy: true }),
  ts('1.2.840.10008.1.2.4.51', 'JPEG Extended (Process 2 and 4)', 'jpeg-extended', { lossy: true }),
  // Retired, still met in archives. Routed by the stream's SOF: libjpeg-turbo decodes 8-bit
  // progressive and spectral selection, our DCT decoder 12-bit ones; arithmetic coding is refused.
  ts('1.2.840.10008.1.2.4.52', 'JPEG Extended (Process 3 and 5, retired)', 'jpeg-extended', {
    lossy: true,
  }),
  ts(
    '1.2.840.10008.1.2.4.53',
    'JPEG Spectral Selection, Non-Hierarchical (Process 6 and 8, retired)',
    'jpeg-baseline',
    { lossy: true },
  ),
  ts(
    '1.2.840.10008.1.2.4.54',
    'JPEG Spectral Selection, Non-Hierarchical (Process 7 and 9, retired)',
    'jpeg-baseline',
    { lossy: true },
  ),
  ts(
    '1.2.840.10008.1.2.4.55',
    'JPEG Full Progression (Process 10 and 12, retired)',
    'jpeg-baseline',
    {
      lossy: true,
    },
  ),
  ts(
    '1.2.840.10008.1.2.4.56',
    'JPEG Full Progression (Process 11 and 13, retired)',
    'jpeg-baseline',
    {
      lossy: true,
    },
  ),
  ts('1.2.840.10008.1.2.4.57', 'JPEG Lossless (Process 14)', 'jpeg-lossless'),
  ts(
    '1.2.840.10008.1.2.4.70',
    'JPEG Lossless SV1 (Process 14, Selection Value 1)',
    'jpeg-lossless',
  ),
  ts('1.2.840.10008.1.2.4.80', 'JPEG-LS Lossless', 'jpeg-ls'),
  ts('1.2.840.10008.1.2.4.81', 'JPEG-LS Near-Lossless', 'jpeg-ls', { lossy: true }),
  ts('1.2.840.10008.1.2.4.90', 'JPEG 2000 (Lossless Only)', 'jpeg2000'),
  ts('1.2.840.10008.1.2.4.91', 'JPEG 2000', 'jpeg2000', { lossy: true }),
  ts('1.2.840.10008.1.2.4.201', 'HTJ2K (Lossless Only)', 'htj2k'),
  ts('1.2.840.10008.1.2.4.202', 'HTJ2K RPCL (Lossless Only)', 'htj2k'),
  ts('1.2.840.10008.1.2.4.203', 'HTJ2K', 'htj2k', { lossy: true }),
];

const BY_UID = new Map(TABLE.map((t) => [t.uid, t]));

export const IMPLICIT_VR_LE = '1.2.840.10008.1.2';
export const EXPLICIT_VR_LE = '1.2.840.10008.1.2.1';
export const EXPLICIT_VR_BE = '1.2.840.10008.1.2.2';

export function transferSyntaxInfo(uid: string): TransferSyntaxInfo | undefined {
  return BY_UID.get(uid);
}
