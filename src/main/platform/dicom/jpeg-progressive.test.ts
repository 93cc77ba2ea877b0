import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openImage } from '../imaging';
import { decodeJpegDct } from './codecs/jpeg-dct';
import { readJpegFrameHeader } from './codecs/jpeg-header';
import { dicomPath, hasTool, readPnm, withTempDir } from './testing/test-support';

const HAS_DCMTK = hasTool('dcmcjpeg');
const HAS_LIBJPEG_TOOLS = hasTool('cjpeg') && hasTool('djpeg');
if (!HAS_LIBJPEG_TOOLS)
  console.warn(
    'cjpeg/djpeg (Debian libjpeg-turbo-progs) not installed: restart-marker case skipped',
  );
if (!HAS_DCMTK) console.warn('dcmtk not installed: progressive JPEG comparisons are skipped');

/** The single fragment of a one-frame file DCMTK encapsulated (offset table item first). */
function firstFragment(file: Uint8Array): Uint8Array {
  const bytes = Buffer.from(file);
  let pos = bytes.lastIndexOf(Buffer.from([0xe0, 0x7f, 0x10, 0x00])) + 12;
  pos += 8 + bytes.readUInt32LE(pos + 4);
  return new Uint8Array(bytes.subarray(pos + 8, pos + 8 + bytes.readUInt32LE(pos + 4)));
}

async function modalityValues(path: string): Promise<Float32Array> {
  return (await (await openImage(path)).decodeFrame(0)).modalityPixels ?? new Float32Array(0);
}

describe('12-bit progressive and spectral-selection JPEG of a chest CR equal DCMTK', () => {
  // dcmcjpeg +es: spectral selection (process 8, retired 1.2.840.10008.1.2.4.53);
  // +ep: full progression with successive approximation (process 12, .55). 10-bit CR -> 12-bit JPEG.
  it.skipIf(!HAS_DCMTK).each([
    ['+es', 0xc2, '1.2.840.10008.1.2.4.53'],
    ['+ep', 0xc2, '1.2.840.10008.1.2.4.55'],
  ])('dcmcjpeg %s: every pixel equals dcmdjpeg', (option, sof, syntax) =>
    withTempDir(async (dir) => {
      const encoded = join(dir, 'encoded.dcm');
      const decoded = join(dir, 'decoded.dcm');
      execFileSync(
        'dcmcjpeg',
        [option, dicomPath('barre_cr_mono1_10bit_chest_explicit_le.dcm'), encoded],
        { stdio: 'pipe' },
      );
      execFileSync('dcmdjpeg', [encoded, decoded], { stdio: 'pipe' });
      const image = await openImage(encoded);
      expect(image.metadata.transferSyntaxUid).toBe(syntax);
      const header = readJpegFrameHeader(firstFragment(readFileSync(encoded)));
      expect([header?.sofMarker, header?.precision]).toEqual([sof, 12]);
      const ours = await modalityValues(encoded);
      const theirs = await modalityValues(decoded);
      expect(ours.length).toBe(440 * 440);
      let differing = 0;
      for (let i = 0; i < ours.length; i++) if (ours[i] !== theirs[i]) differing++;
      expect(differing).toBe(0);
    }),
  );

  it.skipIf(!HAS_DCMTK)(
    'the decoder itself: an 8-bit progressive stream equals the 8-bit reference (libjpeg-turbo)',
    () =>
      withTempDir(async (dir) => {
        // The app routes 8-bit progressive to libjpeg-turbo; the DCT decoder must agree with it.
        const encoded = join(dir, 'p8.dcm');
        execFileSync(
          'dcmcjpeg',
          ['+ep', dicomPath('nih_cxr_dx_mono2_8bit_explicit_le.dcm'), encoded],
          { stdio: 'pipe' },
        );
        const ours = decodeJpegDct(firstFragment(readFileSync(encoded)));
        const reference = await modalityValues(encoded);
        expect([ours.width, ours.height, ours.precision]).toEqual([1024, 1024, 8]);
        let differing = 0;
        for (let i = 0; i < reference.length; i++) if (ours.data[i] !== reference[i]) differing++;
        expect(differing).toBe(0);
      }),
  );

  it.skipIf(!HAS_LIBJPEG_TOOLS)(
    'progressive scans with restart markers every 5 blocks (EOB runs reset) equal djpeg',
    () =>
      withTempDir(async (dir) => {
        // dcmcjpeg writes no restart markers; libjpeg-turbo's cjpeg does (8-bit only here).
        const source = await (
          await openImage(dicomPath('nih_cxr_dx_mono2_8bit_explicit_le.dcm'))
        ).decodeFrame(0);
        const pgm = join(dir, 'film.pgm');
        writeFileSync(
          pgm,
          Buffer.concat([
            Buffer.from('P5\n1024 1024\n255\n'),
            Buffer.from(Uint8Array.from(source.modalityPixels ?? [])),
          ]),
        );
        const jpeg = execFileSync('cjpeg', [
          '-progressive',
          '-restart',
          '5B',
          '-quality',
          '85',
          pgm,
        ]);
        const jpegPath = join(dir, 'film.jpg');
        writeFileSync(jpegPath, jpeg);
        const reference = join(dir, 'djpeg.pgm');
        writeFileSync(
          reference,
          execFileSync('djpeg', ['-dct', 'int', '-pnm', jpegPath], { maxBuffer: 1 << 24 }),
        );
        const ours = decodeJpegDct(new Uint8Array(jpeg));
        const theirs = readPnm(reference);
        let restarts = 0;
        for (let i = 0; i + 1 < jpeg.length; i++)
          if (jpeg[i] === 0xff && jpeg[i + 1] >= 0xd0 && jpeg[i + 1] <= 0xd7) restarts++;
        expect(restarts).toBeGreaterThan(1000);
        let differing = 0;
        for (let i = 0; i < theirs.data.length; i++)
          if (ours.data[i] !== theirs.data[i]) differing++;
        expect(differing).toBe(0);
      }),
  );
});
