/** Builds small explicit-VR-LE DICOM files in memory, for tests of cases no shared file covers. */

export interface TestElement {
  tag: [number, number];
  vr: string;
  value: Uint8Array | string | number[];
}

const LONG_VRS = new Set(['OB', 'OW', 'OF', 'OD', 'SQ', 'UN', 'UT', 'UC', 'UR']);

function encodeValue(vr: string, value: TestElement['value']): Uint8Array {
  if (value instanceof Uint8Array) return value;
  if (typeof value === 'string') {
    const bytes = Buffer.from(value, vr === 'PN' || vr === 'LO' || vr === 'SH' ? 'utf8' : 'latin1');
    const pad = bytes.length % 2 ? Buffer.from([vr === 'UI' ? 0 : 0x20]) : Buffer.alloc(0);
    return new Uint8Array(Buffer.concat([bytes, pad]));
  }
  const size = vr === 'UL' || vr === 'SL' ? 4 : 2;
  const out = Buffer.alloc(value.length * size);
  value.forEach((v, i) => {
    if (size === 4) out.writeUInt32LE(v >>> 0, 4 * i);
    else if (vr === 'SS') out.writeInt16LE(v, 2 * i);
    else out.writeUInt16LE(v, 2 * i);
  });
  return new Uint8Array(out);
}

function element(
  group: number,
  elem: number,
  vr: string,
  data: Uint8Array,
  undefinedLength = false,
): Buffer {
  const long = LONG_VRS.has(vr);
  const header = Buffer.alloc(long ? 12 : 8);
  header.writeUInt16LE(group, 0);
  header.writeUInt16LE(elem, 2);
  header.write(vr, 4, 'latin1');
  if (long) header.writeUInt32LE(undefinedLength ? 0xffffffff : data.length, 8);
  else header.writeUInt16LE(data.length, 6);
  return Buffer.concat([header, data]);
}

function item(data: Uint8Array, tagElement = 0xe000): Buffer {
  const header = Buffer.alloc(8);
  header.writeUInt16LE(0xfffe, 0);
  header.writeUInt16LE(tagElement, 2);
  header.writeUInt32LE(data.length, 4);
  return Buffer.concat([header, data]);
}

/**
 * A Part 10 file: `elements` must be sorted by tag and not include Pixel Data. `fragments` makes
 * encapsulated pixel data (with `offsetTable` as its first item), `pixels` native pixel data.
 */
export function buildDicom(options: {
  transferSyntaxUid: string;
  elements: TestElement[];
  pixels?: Uint8Array;
  fragments?: Uint8Array[];
  offsetTable?: number[];
}): Uint8Array {
  const ts = encodeValue('UI', options.transferSyntaxUid);
  const metaBody = Buffer.concat([
    element(0x0002, 0x0001, 'OB', new Uint8Array([0, 1])),
    element(0x0002, 0x0010, 'UI', ts),
  ]);
  const meta = Buffer.concat([
    element(0x0002, 0x0000, 'UL', encodeValue('UL', [metaBody.length])),
    metaBody,
  ]);
  const body = options.elements.map((e) =>
    element(e.tag[0], e.tag[1], e.vr, encodeValue(e.vr, e.value)),
  );
  let pixelData: Buffer = Buffer.alloc(0);
  if (options.fragments) {
    const table = Buffer.alloc((options.offsetTable ?? []).length * 4);
    (options.offsetTable ?? []).forEach((o, i) => table.writeUInt32LE(o, 4 * i));
    const items = [
      item(table),
      ...options.fragments.map((f) => item(f.length % 2 ? new Uint8Array([...f, 0]) : f)),
    ];
    pixelData = Buffer.concat([
      element(0x7fe0, 0x0010, 'OB', new Uint8Array(0), true).subarray(0, 12),
      ...items,
      item(new Uint8Array(0), 0xe0dd),
    ]);
  } else if (options.pixels) {
    pixelData = element(0x7fe0, 0x0010, 'OW', options.pixels);
  }
  return new Uint8Array(
    Buffer.concat([Buffer.alloc(128), Buffer.from('DICM'), meta, ...body, pixelData]),
  );
}

/** The usual image pixel module elements, sorted. */
export function imagePixelElements(p: {
  rows: number;
  columns: number;
  bitsAllocated: number;
  bitsStored?: number;
  pixelRepresentation?: number;
  photometric?: string;
  samplesPerPixel?: number;
  frames?: number;
  charset?: string;
  patientName?: string;
  extra?: TestElement[];
}): TestElement[] {
  const list: TestElement[] = [
    ...(p.charset ? [{ tag: [0x0008, 0x0005], vr: 'CS', value: p.charset } as TestElement] : []),
    ...(p.patientName
      ? [{ tag: [0x0010, 0x0010], vr: 'PN', value: p.patientName } as TestElement]
      : []),
    { tag: [0x0028, 0x0002], vr: 'US', value: [p.samplesPerPixel ?? 1] },
    { tag: [0x0028, 0x0004], vr: 'CS', value: p.photometric ?? 'MONOCHROME2' },
    ...(p.frames
      ? [{ tag: [0x0028, 0x0008], vr: 'IS', value: String(p.frames) } as TestElement]
      : []),
    { tag: [0x0028, 0x0010], vr: 'US', value: [p.rows] },
    { tag: [0x0028, 0x0011], vr: 'US', value: [p.columns] },
    { tag: [0x0028, 0x0100], vr: 'US', value: [p.bitsAllocated] },
    { tag: [0x0028, 0x0101], vr: 'US', value: [p.bitsStored ?? p.bitsAllocated] },
    { tag: [0x0028, 0x0102], vr: 'US', value: [(p.bitsStored ?? p.bitsAllocated) - 1] },
    { tag: [0x0028, 0x0103], vr: 'US', value: [p.pixelRepresentation ?? 0] },
    ...(p.extra ?? []),
  ];
  return list.sort((a, b) => a.tag[0] - b.tag[0] || a.tag[1] - b.tag[1]);
}
