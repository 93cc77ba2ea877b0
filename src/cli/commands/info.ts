/** `info <file>`: metadata as JSON (DICOM, PNG, JPEG), or the referenced files of a DICOMDIR. */
import { parseArgs } from 'node:util';
import { openImage, readDicomdir, sniffSourceKind } from '../../main/platform/imaging/index';
import { UsageError, type CliCommand } from '../command';

export const infoCommand: CliCommand = {
  name: 'info',
  summary: "print an image's metadata (or a DICOMDIR's entries) as JSON",
  usage: [
    'usage: covidnet info <file>',
    '',
    'Prints the metadata of a DICOM, PNG or JPEG file as JSON (kind detected from the content).',
    'For a DICOMDIR, prints the files it references with their patient/study/series.',
  ].join('\n'),
  async run(args, io) {
    const { positionals } = parseArgs({ args, allowPositionals: true, strict: true, options: {} });
    if (positionals.length !== 1) throw new UsageError('expected exactly one file');
    const [path] = positionals;
    if ((await sniffSourceKind(path)) === 'dicomdir') {
      io.out(JSON.stringify({ kind: 'dicomdir', entries: await readDicomdir(path) }, null, 2));
      return 0;
    }
    const image = await openImage(path);
    const { voiLut, ...rest } = image.metadata;
    // LUT data can be 65536 numbers: summarise it.
    const metadata = voiLut
      ? { ...rest, voiLut: { ...voiLut, data: `${voiLut.data.length} entries` } }
      : rest;
    io.out(JSON.stringify(metadata, null, 2));
    return 0;
  },
};
