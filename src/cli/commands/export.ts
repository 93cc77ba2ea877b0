/**
 * `export <file> --out <out.pgm|out.png> [--frame N] [--raw]`: the display image (first window,
 * bone bright) as 8-bit PGM/PNG, or with --raw the modality values as a 16-bit PGM.
 */
import { writeFile } from 'node:fs/promises';
import { extname } from 'node:path';
import { parseArgs } from 'node:util';
import { PNG } from 'pngjs';
import type { DecodedFrame } from '../../shared/imaging';
import { openImage, renderDisplay8 } from '../../main/platform/imaging/index';
import { UsageError, type CliCommand } from '../command';

export function pgm(width: number, height: number, maxval: number, data: Uint8Array): Uint8Array {
  const header = Buffer.from(`P5\n${width} ${height}\n${maxval}\n`, 'latin1');
  return new Uint8Array(Buffer.concat([header, data]));
}

/**
 * Modality values -> PGM samples. Non-negative data is written as is (rounded, clamped to 65535);
 * data with negative values is shifted by -min so min maps to 0. Netpbm's rule decides the sample
 * size: one byte when maxval < 256, else two bytes big-endian, so the header always matches.
 */
export function rawSamples(frame: DecodedFrame): {
  data: Uint8Array;
  maxval: number;
  offset: number;
} {
  const values = frame.modalityPixels ?? new Float32Array(0);
  const offset = frame.minValue < 0 ? -frame.minValue : 0;
  const levels = new Uint16Array(values.length);
  let maxval = 1;
  for (let i = 0; i < values.length; i++) {
    const v = Math.min(65535, Math.max(0, Math.round(values[i] + offset)));
    if (v > maxval) maxval = v;
    levels[i] = v;
  }
  if (maxval < 256) return { data: new Uint8Array(levels), maxval, offset };
  const out = Buffer.alloc(values.length * 2);
  for (let i = 0; i < levels.length; i++) out.writeUInt16BE(levels[i], 2 * i);
  return { data: new Uint8Array(out), maxval, offset };
}

export const exportCommand: CliCommand = {
  name: 'export',
  summary: 'write a frame as an 8-bit display PGM/PNG, or raw modality values as PGM',
  usage: [
    'usage: covidnet export <file> --out <out.pgm|out.png> [--frame N] [--raw]',
    '',
    '  --out PATH   output file; .pgm (binary P5) or .png, chosen by extension',
    '  --frame N    frame index, 0-based (default 0)',
    '  --raw        write modality values (after rescale / Modality LUT) as a PGM instead',
    '               of the display image. Non-negative data is written as is (clamped to 65535);',
    '               data with negative values is shifted by -min so that min maps to 0, and the',
    '               shift is printed. Samples are 1 byte when maxval < 256, else 2 bytes',
    '               (big-endian), as Netpbm readers expect. Needs a .pgm output and a grayscale image.',
    '',
    "Without --raw the display image is written: the file's first VOI window (else its VOI LUT,",
    'else the full range), MONOCHROME1 inverted so bone is bright; colour images as luma.',
  ].join('\n'),
  async run(args, io) {
    const { values, positionals } = parseArgs({
      args,
      allowPositionals: true,
      strict: true,
      options: { out: { type: 'string' }, frame: { type: 'string' }, raw: { type: 'boolean' } },
    });
    if (positionals.length !== 1) throw new UsageError('expected exactly one input file');
    if (!values.out) throw new UsageError('--out is required');
    const format = extname(values.out).toLowerCase();
    if (format !== '.pgm' && format !== '.png')
      throw new UsageError('--out must end in .pgm or .png');
    const frameIndex = values.frame === undefined ? 0 : Number(values.frame);
    if (!Number.isInteger(frameIndex) || frameIndex < 0)
      throw new UsageError('--frame must be a whole number >= 0');
    if (values.raw && format !== '.pgm')
      throw new UsageError('--raw writes 16-bit PGM: use a .pgm output');

    const image = await openImage(positionals[0]);
    const frame = await image.decodeFrame(frameIndex);
    const { rows, columns } = frame;
    if (values.raw) {
      if (frame.kind !== 'grayscale') throw new UsageError('--raw needs a grayscale image');
      const raw = rawSamples(frame);
      await writeFile(values.out, pgm(columns, rows, raw.maxval, raw.data));
      const shift = raw.offset
        ? `, values shifted by +${raw.offset} (min ${frame.minValue} -> 0)`
        : '';
      io.out(
        `wrote ${values.out}: ${columns}x${rows} modality values, ${raw.maxval < 256 ? 8 : 16}-bit samples, maxval ${raw.maxval}${shift}`,
      );
      return 0;
    }
    const gray = renderDisplay8(frame, image.metadata);
    if (format === '.pgm') {
      await writeFile(values.out, pgm(columns, rows, 255, gray));
    } else {
      const png = new PNG({
        width: columns,
        height: rows,
        colorType: 0,
        inputColorType: 0,
        inputHasAlpha: false,
      });
      png.data = Buffer.from(gray);
      await writeFile(
        values.out,
        PNG.sync.write(png, { colorType: 0, inputColorType: 0, inputHasAlpha: false }),
      );
    }
    io.out(`wrote ${values.out}: ${columns}x${rows} 8-bit display image`);
    return 0;
  },
};
