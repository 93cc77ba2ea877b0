/**
 * `segment <file> --out <mask.png> [--json] [--frame N] [--model <dir>]`: the lung fields of frame N
 * (default 0) as a PNG of the image's own size (255 = lung, 0 = elsewhere), from the segmenter the
 * model's pipeline names; `--json` prints the areas, the lung box, the crop and the chest gate.
 */
import { writeFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { CodedError } from '../../shared/errors';
import { RESEARCH_NOTICE } from '../../shared/notice';
import { openImage, toModelGray } from '../../main/imaging';
import { createInferenceEngine, defaultModelDir } from '../../main/inference';
import { encodeGrayPng } from '../../main/inference/heatmap-image';
import {
  chestHeaderOf,
  headerVerdict,
  maskVerdict,
  measureLungMask,
} from '../../main/inference/lungs/gate';
import { lungSquare } from '../../main/inference/lungs/lung-crop';
import { lungBoxCells, lungMaskAtImageSize } from '../../main/inference/lungs/postprocess';
import { UsageError, type CliCommand } from '../command';
import { outputFileOption } from '../arguments';

export const segmentCommand: CliCommand = {
  name: 'segment',
  summary: 'lung-field mask of an image (PNG of its own size) and the chest-gate verdict',
  usage: [
    'usage: covidnet segment <file> --out <mask.png> [--json] [--frame <n>] [--model <dir>]',
    '',
    "Writes the lung fields found by the model pipeline's segmenter as an 8-bit PNG of the",
    "image's own width and height (255 inside the lungs, 0 outside). --json prints the lung",
    'areas, the lung box and the crop (image pixels) and the chest-gate verdict.',
  ].join('\n'),
  async run(args, io) {
    const { values, positionals } = parseArgs({
      args,
      allowPositionals: true,
      strict: true,
      options: {
        out: { type: 'string' },
        json: { type: 'boolean', default: false },
        frame: { type: 'string' },
        model: { type: 'string' },
      },
    });
    const frameIndex = values.frame === undefined ? 0 : Number(values.frame);
    if (positionals.length !== 1 || !Number.isInteger(frameIndex) || frameIndex < 0) {
      throw new UsageError('expected one input file and a whole-number --frame');
    }
    if (!values.out && !values.json) throw new UsageError('give --out <mask.png> and/or --json');
    if (values.out) outputFileOption(values.out, '--out');
    const [file] = positionals;
    const engine = await createInferenceEngine({ modelDir: values.model ?? defaultModelDir() });
    try {
      const segmenter = engine.segmenter;
      if (!segmenter) {
        throw new CodedError(
          'MODEL_NOT_FOUND',
          `Model "${engine.manifest.id}" has no lung segmenter in its pipeline`,
        );
      }
      const image = await openImage(file);
      const frame = await image.decodeFrame(frameIndex);
      const gray = {
        data: toModelGray(frame, image.metadata),
        width: frame.columns,
        height: frame.rows,
      };
      const segmentation = await segmenter.segment(gray);
      const { mask } = segmentation;
      const full = lungMaskAtImageSize(
        mask,
        segmentation.probability,
        segmenter.manifest.postprocess.threshold,
        gray.width,
        gray.height,
      );
      if (values.out) {
        await writeFile(
          values.out,
          encodeGrayPng(
            full.map((v) => (v ? 255 : 0)),
            gray.width,
            gray.height,
          ),
        );
      }
      const byHeader = headerVerdict(chestHeaderOf(image.metadata));
      const gate = byHeader.accepted ? maskVerdict(mask, segmenter.manifest.gate) : byHeader;
      const sx = gray.width / mask.width;
      const sy = gray.height / mask.height;
      // A box of segmenter cells [x0, x1) x [y0, y1) as the image pixels it covers.
      const toPixels = (b: { x0: number; y0: number; x1: number; y1: number }) => ({
        x: Math.floor(b.x0 * sx),
        y: Math.floor(b.y0 * sy),
        width: Math.ceil(b.x1 * sx) - Math.floor(b.x0 * sx),
        height: Math.ceil(b.y1 * sy) - Math.floor(b.y0 * sy),
      });
      let lungPixels = 0;
      for (const v of full) lungPixels += v;
      const lungs = mask.components.map((c) => ({
        side:
          c.centroidX < mask.width / 2
            ? 'image-left (patient right)'
            : 'image-right (patient left)',
        areaPixels: Math.round(c.area * sx * sy),
        box: toPixels(c),
      }));
      if (!values.json) {
        const percent = (pixels: number) =>
          `${((100 * pixels) / (gray.width * gray.height)).toFixed(1)}%`;
        io.out(
          [
            RESEARCH_NOTICE,
            '',
            `File:       ${file} (frame ${frameIndex}, ${gray.width}x${gray.height})`,
            `Segmenter:  ${segmenter.manifest.id} ${segmenter.manifest.version}`,
            `Mask:       ${values.out} (255 inside the lungs, 0 outside; the image's own size)`,
            `Lungs:      ${lungs.length} field${lungs.length === 1 ? '' : 's'}, ${percent(lungPixels)} of the image` +
              (lungs.length > 0
                ? ` (${lungs.map((l) => `${l.side} ${percent(l.areaPixels)}`).join(', ')})`
                : ''),
            `Chest gate: ${gate.accepted ? 'accepted (a frontal chest X-ray)' : `turned away: ${gate.reason}`}`,
          ].join('\n'),
        );
      }
      if (values.json) {
        const box = lungBoxCells(mask);
        const crop = engine.manifest.input.crop;
        io.out(
          JSON.stringify(
            {
              notice: RESEARCH_NOTICE,
              file,
              frame: frameIndex,
              width: gray.width,
              height: gray.height,
              segmenter: { id: segmenter.manifest.id, version: segmenter.manifest.version },
              lungPixels,
              lungFraction: lungPixels / (gray.width * gray.height),
              lungs,
              lungBox: box ? toPixels(box) : null,
              crop:
                crop.kind === 'lung-box-square'
                  ? lungSquare(mask, gray.width, gray.height, crop.margin)
                  : null,
              measures: measureLungMask(mask),
              gate,
              maskPath: values.out ?? null,
            },
            null,
            2,
          ),
        );
      }
      return 0;
    } finally {
      await engine.dispose();
    }
  },
};
