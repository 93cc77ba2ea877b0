/**
 * `predict <file> [--heatmap <out.png>] [--heatmap-raw <out.pgm>] [--heatmap-class <label>]
 *  [--frame <n>] [--model <dir>] [--json]`
 * Runs the pipeline (chest gate, lung segmenter, crop, classifier) on one image (DICOM, PNG or
 * JPEG) and optionally writes the heatmap over it as a PNG and/or as raw 16-bit evidence (PGM).
 */
import { writeFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { SITE_PROFILE_OPTIONS, siteProfileOption } from '../site-profile-option';
import { UsageError } from '../command';
import { fileErrorLine, outputFileOption } from '../arguments';
import { MODEL_OPTION, optionsHelp, SITE_PROFILE_HELP } from '../help';
import { CodedError, toErrorInfo } from '../../shared/errors';
import {
  heatmapFor,
  type HeatmapGrid,
  type RejectedFilm,
  type ScoredFilm,
} from '../../shared/analysis';
import { openImage, renderDisplay8 } from '../../main/imaging';
import { createInferenceEngine, defaultModelDir, filmInputOf } from '../../main/inference';
import {
  encodePng,
  heatmapEvidencePgm,
  renderHeatmapOverlay,
} from '../../main/inference/heatmap-image';
import { RESEARCH_NOTICE } from '../../shared/notice';
import { heatmapCaption, LEADING_NAME, resultStatement } from '../../shared/result-statement';
import { withHeatmapLegend } from '../../main/reporting/secondary-capture';

export const usage = [
  'predict <file> [--heatmap <out.png>] [--heatmap-raw <out.pgm>] [--heatmap-class <label>] ' +
    '[--frame <n>] [--model <dir>] [--json] [--site-profile <name> [--site-dir <dir>]]',
  '',
  'Classifies one DICOM, PNG or JPEG image: chest gate, lung segmenter, crop, classifier, verdict.',
  '',
  optionsHelp([
    {
      flag: '--heatmap <out.png>',
      text: 'write the heatmap over the image as a PNG (its folder must exist)',
      default: 'none',
    },
    {
      flag: '--heatmap-raw <out.pgm>',
      text: 'write the raw heatmap evidence as a 16-bit PGM',
      default: 'none',
    },
    {
      flag: '--heatmap-class <label>',
      text: 'the class the heatmap explains (--heatmap-label is the same)',
      default: 'the class with the highest probability',
    },
    { flag: '--frame <n>', text: 'the frame of a multi-frame DICOM, from 0', default: '0' },
    MODEL_OPTION,
    { flag: '--json', text: 'print the whole result as JSON', default: 'text' },
    ...SITE_PROFILE_HELP,
  ]),
].join('\n');

function formatRejection(file: string, result: RejectedFilm): string {
  return [
    RESEARCH_NOTICE,
    '',
    `Result:     ${resultStatement(result).line} (${result.gate.code}, decided by the ${result.gate.decidedBy})`,
    `File:       ${file}`,
    `Model:      ${result.modelName} (${result.modelId} ${result.modelVersion}) on ${result.executionProvider}`,
  ].join('\n');
}

/** The result statement first (src/shared/result-statement.ts), then the numbers. */
function formatResult(
  file: string,
  result: ScoredFilm,
  heatmap: HeatmapGrid | undefined,
  heatmapPath: string | null,
): string {
  const statement = resultStatement(result);
  const width = Math.max(...result.labels.map((l) => l.length));
  const lines = [
    RESEARCH_NOTICE,
    '',
    `Result:     ${statement.headline}`,
    `            ${statement.reason}`,
    ...(statement.notice ? [`Notice:     ${statement.notice}`] : []),
    ...(statement.siteProfile ? [`Site:       ${statement.siteProfile}`] : []),
    ...statement.warnings.map((warning) => `Warning:    ${warning}`),
    `${LEADING_NAME}: ${statement.leading?.label ?? '-'} ${statement.leading?.probability.toFixed(3) ?? ''}`,
    `Probabilities (${statement.calibration ?? 'uncalibrated'}):`,
    ...result.labels.map(
      (label, i) => `  ${label.padEnd(width)}  ${result.probabilities[i].toFixed(4)}`,
    ),
    `File:       ${file}`,
    `Model:      ${result.modelName} (${result.modelId} ${result.modelVersion}) on ${result.executionProvider}`,
  ];
  if (heatmap && heatmapPath) {
    lines.push(`Heatmap:    ${heatmapPath}: ${heatmapCaption(heatmap)}`);
  }
  const t = result.timing;
  lines.push(
    `Timing:     decode ${t.decodeMs.toFixed(0)} ms, segment ${t.segmentMs.toFixed(0)} ms, preprocess ${t.preprocessMs.toFixed(0)} ms, ` +
      `inference ${t.inferenceMs.toFixed(0)} ms, heatmap ${t.heatmapMs.toFixed(0)} ms, total ${t.totalMs.toFixed(0)} ms`,
  );
  return lines.join('\n');
}

export async function run(argv: string[]): Promise<number> {
  const args = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      heatmap: { type: 'string' },
      'heatmap-raw': { type: 'string' },
      'heatmap-class': { type: 'string' },
      'heatmap-label': { type: 'string' },
      frame: { type: 'string' },
      model: { type: 'string' },
      json: { type: 'boolean', default: false },
      ...SITE_PROFILE_OPTIONS,
    },
  });
  const [file, ...extra] = args.positionals;
  const frameIndex = args.values.frame === undefined ? 0 : Number(args.values.frame);
  if (!file || extra.length > 0 || !Number.isInteger(frameIndex) || frameIndex < 0) {
    throw new UsageError('expected one input file and a whole-number --frame');
  }

  const heatmapPath =
    args.values.heatmap === undefined ? null : outputFileOption(args.values.heatmap, '--heatmap');
  const heatmapRawPath =
    args.values['heatmap-raw'] === undefined
      ? null
      : outputFileOption(args.values['heatmap-raw'], '--heatmap-raw');
  let engine;
  try {
    engine = await createInferenceEngine({ modelDir: args.values.model ?? defaultModelDir() });
  } catch (error) {
    const info = toErrorInfo(error);
    console.error(`Cannot load the model: ${info.code}: ${info.message}`);
    return 1;
  }
  try {
    const operatingPoint = await siteProfileOption(args.values, engine);
    const heatmapLabel = args.values['heatmap-class'] ?? args.values['heatmap-label'];
    const { labels } = engine.manifest;
    if (heatmapLabel !== undefined && !labels.includes(heatmapLabel)) {
      throw new CodedError(
        'INVALID_REQUEST',
        `"${heatmapLabel}" is not one of the model's labels (${labels.join(', ')})`,
      );
    }
    const started = performance.now();
    const image = await openImage(file);
    const frame = await image.decodeFrame(frameIndex);
    const film = filmInputOf(frame, image.metadata);
    const decodeMs = performance.now() - started;
    const result = await engine.analyse(film, {
      heatmaps: heatmapPath !== null || heatmapRawPath !== null,
      decodeMs,
      operatingPoint,
    });
    if (result.status === 'rejected') {
      if (args.values.json) {
        console.log(
          JSON.stringify(
            {
              notice: RESEARCH_NOTICE,
              file,
              frame: frameIndex,
              statement: resultStatement(result),
              ...result,
              lungs: undefined,
            },
            null,
            2,
          ),
        );
      } else {
        console.log(formatRejection(file, result));
      }
      return 0;
    }
    const heatmap = heatmapFor(result, heatmapLabel);
    if (heatmapRawPath !== null) {
      if (!heatmap) throw new CodedError('INTERNAL_ERROR', 'no heatmap was produced');
      await writeFile(heatmapRawPath, heatmapEvidencePgm(heatmap));
    }
    if (heatmapPath !== null) {
      if (!heatmap) throw new CodedError('INTERNAL_ERROR', 'no heatmap was produced');
      const display = renderDisplay8(frame, image.metadata);
      const overlay = renderHeatmapOverlay(display, frame.columns, frame.rows, heatmap, {
        lungs: result.lungs,
      });
      const figure = withHeatmapLegend(overlay, frame.columns, frame.rows, heatmap.label);
      await writeFile(heatmapPath, encodePng(figure.rgba, figure.width, figure.height));
    }
    if (args.values.json) {
      // The one map asked for (or the predicted class's), its values as a plain array.
      const chosen = heatmap ? { ...heatmap, values: Array.from(heatmap.values) } : undefined;
      const lungs = result.lungs ? { ...result.lungs, cells: undefined } : undefined;
      const output = {
        notice: RESEARCH_NOTICE,
        file,
        frame: frameIndex,
        // The words every output uses, verdict first; the raw fields follow.
        statement: resultStatement(result),
        ...result,
        heatmaps: undefined,
        heatmap: chosen,
        lungs,
        heatmapPath,
        heatmapRawPath,
      };
      console.log(JSON.stringify(output, null, 2));
    } else {
      console.log(formatResult(file, result, heatmap, heatmapPath));
    }
    return 0;
  } catch (error) {
    const info = toErrorInfo(error);
    console.error(fileErrorLine(file, info));
    return 1;
  } finally {
    await engine.dispose();
  }
}
