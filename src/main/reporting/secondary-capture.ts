/**
 * Secondary Capture images: the heatmap figure (RGB: the windowed film with the heatmap blended
 * in, a legend and the research notice burned into a band below it) in its own series of the
 * source study, and, for PNG/JPEG inputs, the film itself as the instance the SR refers to.
 */
import { heatmapFor } from '../../shared/analysis';
import { RESEARCH_NOTICE } from '../../shared/notice';
import { inferno, renderHeatmapOverlay } from '../inference/heatmap-image';
import { forEachTextPixel, GLYPH_ADVANCE, GLYPH_HEIGHT, textWidth, wrapText } from './bitmap-font';
import {
  commonAttributes,
  dicomDateTime,
  isRejected,
  referencedSop,
  type ReportInput,
} from './common';
import { writePart10, type NaturalDataset } from './part10';
import type { SourceImageReference } from './source';
import { newUid } from './uids';
import { heatmapCaption, resultStatement } from '../../shared/result-statement';

export const SECONDARY_CAPTURE_STORAGE = '1.2.840.10008.5.1.4.1.1.7';
export const HEATMAP_SERIES_NUMBER = 9102;
export const FILM_CAPTURE_SERIES_NUMBER = 9100;

/** The film as displayed: 8-bit gray, bone bright, after the modality LUT and VOI window. */
export interface DisplayFilm {
  gray: Uint8Array;
  width: number;
  height: number;
}

export interface RgbImage {
  rgb: Uint8Array;
  width: number;
  height: number;
}

/** The figure's band: the result statement first, then the numbers (src/shared/result-statement.ts). */
function figureLines(input: ReportInput): string[] {
  const { outcome } = input;
  const statement = resultStatement(outcome);
  const model = `${outcome.modelName} ${outcome.modelVersion} (${outcome.executionProvider})`;
  if (isRejected(outcome))
    return [`${statement.headline}: ${statement.reason}`, `Chest check: ${model}`];
  const lines = [
    `${statement.headline}. ${statement.reason}`,
    ...(statement.siteProfile ? [statement.siteProfile] : []),
    ...statement.warnings,
    ...(statement.leading ? [statement.leading.text] : []),
    outcome.labels.map((l, i) => `${l} ${outcome.probabilities[i].toFixed(3)}`).join('  ') +
      (statement.calibration ? ` (${statement.calibration})` : ''),
    `Model: ${model}`,
  ];
  const heatmap = heatmapFor(outcome);
  if (heatmap) lines.push(heatmapCaption(heatmap));
  return lines;
}

/**
 * The heatmap figure: film (with the heatmap over the region the model saw, when there is one)
 * above a black band holding the result lines, a colour legend and the notice.
 */
export function composeHeatmapFigure(
  input: ReportInput,
  film: DisplayFilm,
  options: { caption?: boolean } = {},
): RgbImage {
  const { width, height } = film;
  const scale = Math.max(1, Math.round(width / 640));
  const lineHeight = (GLYPH_HEIGHT + 3) * scale;
  const margin = 4 * scale;
  const maxChars = Math.max(8, Math.floor((width - 2 * margin) / (GLYPH_ADVANCE * scale)));
  const outcome = input.outcome;
  const heatmap = heatmapFor(outcome);
  // The PDF prints its own legible text beside the figure; the capture carries it burned in.
  const caption = options.caption ?? true;
  const textLines = caption ? figureLines(input).flatMap((line) => wrapText(line, maxChars)) : [];
  const noticeLines = caption ? wrapText(RESEARCH_NOTICE, maxChars) : [];
  const legendRows = heatmap && caption ? 1 : 0;
  const bandRows = textLines.length + legendRows + noticeLines.length;
  const bandHeight = bandRows > 0 ? bandRows * lineHeight + 2 * margin : 0;
  const rows = height + bandHeight;
  const rgb = new Uint8Array(width * rows * 3);

  if (heatmap) {
    const rgba = renderHeatmapOverlay(film.gray, width, height, heatmap, { lungs: outcome.lungs });
    for (let p = 0; p < width * height; p++) {
      rgb[p * 3] = rgba[p * 4];
      rgb[p * 3 + 1] = rgba[p * 4 + 1];
      rgb[p * 3 + 2] = rgba[p * 4 + 2];
    }
  } else {
    for (let p = 0; p < width * height; p++) rgb.fill(film.gray[p], p * 3, p * 3 + 3);
  }
  const put: PutPixel = (x, y, color) => {
    if (x < 0 || y < 0 || x >= width || y >= rows) return;
    rgb.set(color, (y * width + x) * 3);
  };

  let y = height + margin;
  const write = (line: string, color: readonly number[]): void => {
    forEachTextPixel(line, margin, y, scale, (px, py) => put(px, py, color));
    y += lineHeight;
  };
  for (const line of textLines) write(line, [255, 255, 255]);
  if (legendRows > 0 && heatmap) {
    drawHeatmapLegend(put, margin, y, width, scale, heatmap.label);
    y += lineHeight;
  }
  for (const line of noticeLines) write(line, [255, 214, 10]);
  return { rgb, width, height: rows };
}

type PutPixel = (x: number, y: number, color: readonly number[]) => void;

/** Legend row "low [colour bar] high evidence for <label>", the bar sampling the overlay's colour map. */
function drawHeatmapLegend(
  put: PutPixel,
  left: number,
  y: number,
  width: number,
  scale: number,
  label: string,
): void {
  const low = 'low';
  const high = `high evidence for ${label}`;
  const barLeft = left + textWidth(`${low} `, scale);
  const barWidth = Math.max(
    16,
    Math.min(width / 2, width - barLeft - left - textWidth(` ${high}`, scale)),
  );
  forEachTextPixel(low, left, y, scale, (px, py) => put(px, py, [255, 255, 255]));
  for (let x = 0; x < barWidth; x++) {
    const color = inferno(x / Math.max(1, barWidth - 1));
    for (let dy = 0; dy < GLYPH_HEIGHT * scale - scale; dy++) put(barLeft + x, y + dy, color);
  }
  forEachTextPixel(high, barLeft + barWidth + GLYPH_ADVANCE * scale, y, scale, (px, py) =>
    put(px, py, [255, 255, 255]),
  );
}

/**
 * An RGBA heatmap overlay with a black band below it holding the legend that names the class
 * (CLI `predict --heatmap`): the PNG says what it shows without its command line.
 */
export function withHeatmapLegend(
  rgba: Uint8Array,
  width: number,
  height: number,
  label: string,
): { rgba: Uint8Array; width: number; height: number } {
  const scale = Math.max(1, Math.round(width / 640));
  const margin = 4 * scale;
  const band = (GLYPH_HEIGHT + 3) * scale + 2 * margin;
  const rows = height + band;
  const out = new Uint8Array(width * rows * 4);
  out.set(rgba.subarray(0, width * height * 4));
  for (let p = width * height; p < width * rows; p++) out[p * 4 + 3] = 255;
  const put: PutPixel = (x, y, color) => {
    if (x < 0 || y < 0 || x >= width || y >= rows) return;
    out.set([color[0], color[1], color[2], 255], (y * width + x) * 4);
  };
  drawHeatmapLegend(put, margin, height + margin, width, scale, label);
  return { rgba: out, width, height: rows };
}

interface CaptureSeries {
  seriesInstanceUid: string;
  sopInstanceUid: string;
  seriesNumber: number;
  seriesDescription: string;
  derivationDescription: string;
  /** The film the capture was derived from (absent for the capture of a PNG/JPEG itself). */
  sourceImage: SourceImageReference | null;
  burnedInAnnotation: boolean;
}

function evenLength(bytes: Uint8Array): Uint8Array {
  if (bytes.length % 2 === 0) return bytes;
  const padded = new Uint8Array(bytes.length + 1);
  padded.set(bytes);
  return padded;
}

function captureDataset(
  input: ReportInput,
  series: CaptureSeries,
  pixels: { data: Uint8Array; width: number; height: number; samples: 1 | 3 },
): NaturalDataset {
  const { date, time } = dicomDateTime(input.createdAt);
  const data = evenLength(pixels.data);
  return {
    ...commonAttributes(input, {
      classUid: SECONDARY_CAPTURE_STORAGE,
      instanceUid: series.sopInstanceUid,
    }),
    // General Series
    Modality: 'OT',
    SeriesInstanceUID: series.seriesInstanceUid,
    SeriesNumber: String(series.seriesNumber),
    SeriesDescription: series.seriesDescription,
    SeriesDate: date,
    SeriesTime: time,
    Laterality: '',
    // SC Equipment: a workstation made it
    ConversionType: 'WSD',
    // General Image / SC Image
    InstanceNumber: '1',
    PatientOrientation: '',
    ContentDate: date,
    ContentTime: time,
    ImageType: ['DERIVED', 'SECONDARY'],
    DerivationDescription: series.derivationDescription,
    ...(series.sourceImage ? { SourceImageSequence: [referencedSop(series.sourceImage)] } : {}),
    BurnedInAnnotation: series.burnedInAnnotation ? 'YES' : 'NO',
    LossyImageCompression: input.source.lossyCompressed ? '01' : '00',
    DateOfSecondaryCapture: date,
    TimeOfSecondaryCapture: time,
    // Image Pixel
    SamplesPerPixel: pixels.samples,
    PhotometricInterpretation: pixels.samples === 3 ? 'RGB' : 'MONOCHROME2',
    ...(pixels.samples === 3 ? { PlanarConfiguration: 0 } : {}),
    Rows: pixels.height,
    Columns: pixels.width,
    BitsAllocated: 8,
    BitsStored: 8,
    HighBit: 7,
    PixelRepresentation: 0,
    PixelData: [data.buffer.slice(data.byteOffset, data.byteOffset + data.byteLength)],
    _vrMap: { PixelData: 'OB' },
  };
}

export interface CaptureOptions {
  seriesInstanceUid?: string;
  sopInstanceUid?: string;
}

/** The heatmap figure as an RGB Secondary Capture in its own series of the source study. */
export function buildHeatmapCapture(
  input: ReportInput,
  film: DisplayFilm,
  sourceImage: SourceImageReference,
  options: CaptureOptions = {},
): Uint8Array {
  const figure = composeHeatmapFigure(input, film);
  const rejected = isRejected(input.outcome);
  return writePart10(
    captureDataset(
      input,
      {
        seriesInstanceUid: options.seriesInstanceUid ?? newUid(),
        sopInstanceUid: options.sopInstanceUid ?? newUid(),
        seriesNumber: HEATMAP_SERIES_NUMBER,
        seriesDescription: rejected ? 'AI chest X-ray (not scored)' : 'AI heatmap',
        derivationDescription: rejected
          ? 'Windowed film with the chest-check verdict burned in; not scored'
          : 'Windowed film with the model heatmap blended in; legend and research notice burned in',
        sourceImage,
        burnedInAnnotation: true,
      },
      { data: figure.rgb, width: figure.width, height: figure.height, samples: 3 },
    ),
  );
}

/** A PNG/JPEG film as a grayscale Secondary Capture, so the SR can refer to what was scored. */
export function buildFilmCapture(
  input: ReportInput,
  film: DisplayFilm,
  options: Required<CaptureOptions>,
): Uint8Array {
  return writePart10(
    captureDataset(
      input,
      {
        ...options,
        seriesNumber: FILM_CAPTURE_SERIES_NUMBER,
        seriesDescription: `Film as submitted (${input.source.displayName})`.slice(0, 64),
        derivationDescription:
          'Converted from a PNG/JPEG file: the 8-bit gray image the model scored',
        sourceImage: null,
        burnedInAnnotation: false,
      },
      { data: film.gray, width: film.width, height: film.height, samples: 1 },
    ),
  );
}
