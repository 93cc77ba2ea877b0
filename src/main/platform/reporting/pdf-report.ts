/**
 * The one-page PDF summary (pdfkit): patient and study (fields the source lacks are left out),
 * the result statement first (src/shared/result-statement.ts: verdict, reason, site profile and
 * its warnings), then the heatmap figure filling the page beside the secondary figure, the
 * per-class probabilities, the heatmap caption and legend, the model, the time, and the
 * research-use notice. Standard PDF fonts only (no font files to ship).
 */
import PDFDocument from 'pdfkit';
import { heatmapFor } from '../../../shared/analysis';
import { RESEARCH_NOTICE } from '../../../shared/notice';
import {
  calibrationSentence,
  heatmapCaption,
  resultStatement,
  type StatementKind,
} from '../../../shared/result-statement';
import { encodePng, inferno } from '../inference/heatmap-image';
import { classifierManifest, isRejected, type ReportInput } from './common';
import { composeHeatmapFigure, type DisplayFilm, type RgbImage } from './secondary-capture';

const THUMBNAIL_MAX_SIDE = 640;

/** Box-filter downscale so the embedded thumbnail stays small. */
function thumbnail(image: RgbImage): { png: Buffer; width: number; height: number } {
  const factor = Math.max(1, Math.ceil(Math.max(image.width, image.height) / THUMBNAIL_MAX_SIDE));
  const width = Math.floor(image.width / factor);
  const height = Math.floor(image.height / factor);
  const rgba = new Uint8Array(width * height * 4);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      for (let c = 0; c < 3; c++) {
        let sum = 0;
        for (let dy = 0; dy < factor; dy++)
          for (let dx = 0; dx < factor; dx++)
            sum += image.rgb[((y * factor + dy) * image.width + x * factor + dx) * 3 + c];
        rgba[(y * width + x) * 4 + c] = Math.round(sum / (factor * factor));
      }
      rgba[(y * width + x) * 4 + 3] = 255;
    }
  }
  return { png: encodePng(rgba, width, height), width, height };
}

function formatDicomDate(date?: string): string {
  return date && /^\d{8}$/.test(date)
    ? `${date.slice(0, 4)}-${date.slice(4, 6)}-${date.slice(6, 8)}`
    : (date ?? '');
}

/** PN "Family^Given^Middle" as "Family, Given Middle". */
function formatPersonName(name: string): string {
  const [family = '', ...rest] = name.split('=')[0].split('^');
  const given = rest.filter((p) => p.trim() !== '').join(' ');
  return given ? `${family}, ${given}` : family;
}

const STATEMENT_COLOURS: Record<StatementKind, string> = {
  call: '#166534',
  uncertain: '#9a3412',
  unfamiliar: '#991b1b',
  'not-scored': '#374151',
};

/** "low [colour ramp] high", the ramp sampling the overlay's own colour map. */
function heatmapLegend(doc: PDFKit.PDFDocument, x: number, y: number, width: number): void {
  doc.font('Helvetica').fontSize(8).fillColor('black').text('low', x, y, { lineBreak: false });
  const rampLeft = x + 20;
  const rampWidth = Math.max(40, width - 70);
  const steps = 32;
  for (let i = 0; i < steps; i++) {
    const [r, g, b] = inferno(i / (steps - 1));
    doc.rect(rampLeft + (i * rampWidth) / steps, y + 1, rampWidth / steps + 0.5, 7).fill([r, g, b]);
  }
  doc.fillColor('black').text('high evidence', rampLeft + rampWidth + 4, y, { lineBreak: false });
  doc.x = x;
  doc.y = y + 12;
}

export function buildPdfReport(input: ReportInput, film: DisplayFilm): Promise<Uint8Array> {
  const { outcome, source } = input;
  const subject = source.subject;
  const rejected = isRejected(outcome);
  const doc = new PDFDocument({
    size: 'A4',
    margin: 40,
    info: {
      Title: rejected ? 'Chest X-ray AI report (not scored)' : 'Chest X-ray AI report',
      Author: input.device.name,
      Creator: `${input.device.name} ${input.device.softwareVersion}`,
      Subject: RESEARCH_NOTICE,
      CreationDate: input.createdAt,
    },
  });
  const chunks: Buffer[] = [];
  const done = new Promise<Uint8Array>((resolve, reject) => {
    doc.on('data', (chunk: Buffer) => chunks.push(chunk));
    doc.on('end', () => resolve(new Uint8Array(Buffer.concat(chunks))));
    doc.on('error', reject);
  });

  const left = 40;
  const pageWidth = doc.page.width - 80;
  doc.font('Helvetica-Bold').fontSize(16).text('Chest X-ray AI report', left, 40);
  doc.moveDown(0.2).font('Helvetica-Bold').fontSize(9).fillColor('#9a3412').text(RESEARCH_NOTICE);
  doc.fillColor('black').moveDown(0.6);

  // A field with no value is left out, not printed as "-" or an empty slash.
  const field = (label: string, value: string): void => {
    if (!value.trim()) return;
    doc.font('Helvetica-Bold').fontSize(9).text(`${label}: `, { continued: true });
    doc.font('Helvetica').text(value);
  };
  if (subject) {
    const patientId = subject.patientId ? ` (ID ${subject.patientId})` : '';
    field('Patient', `${formatPersonName(subject.patientName)}${patientId}`.trim());
    field('Birth date', formatDicomDate(subject.patientBirthDate));
    field('Sex', subject.patientSex ?? '');
    field(
      'Study',
      `${formatDicomDate(subject.studyDate)} ${subject.studyDescription ?? ''}`.trim(),
    );
    field('Accession', subject.accessionNumber ?? '');
    field('Study UID', subject.studyInstanceUid);
  } else {
    field('Patient / study', 'not given (the image file carries none)');
  }
  field('Image', `${source.displayName}${source.modality ? ` (${source.modality})` : ''}`);
  doc.moveDown(0.5);

  // The verdict first, across the page, before any number.
  const statement = resultStatement(outcome);
  doc
    .font('Helvetica-Bold')
    .fontSize(14)
    .fillColor(STATEMENT_COLOURS[statement.kind])
    .text(statement.headline, left, doc.y, { width: pageWidth });
  doc
    .fillColor('black')
    .font('Helvetica')
    .fontSize(10)
    .text(statement.reason, { width: pageWidth });
  doc.font('Helvetica-Oblique').fontSize(9).text(statement.advice, { width: pageWidth });
  const siteLines = [statement.siteProfile, ...statement.warnings].filter((line): line is string =>
    Boolean(line),
  );
  for (const line of siteLines) {
    doc.font('Helvetica-Bold').fontSize(9).fillColor('#9a3412').text(line, { width: pageWidth });
  }
  doc.fillColor('black').moveDown(0.6);

  // The figure fills the height left above the footer (no half-blank page), beside the figures.
  const footerHeight = 70;
  const figure = thumbnail(composeHeatmapFigure(input, film, { caption: false }));
  const imageTop = doc.y;
  const roomHeight = doc.page.height - 40 - footerHeight - imageTop;
  // The column beside it keeps at least 180 pt for the figures.
  const maxWidth = pageWidth - 196;
  const scale = Math.min(maxWidth / figure.width, Math.max(120, roomHeight) / figure.height);
  const imageWidth = figure.width * scale;
  const imageHeight = figure.height * scale;
  doc.image(figure.png, left, imageTop, { width: imageWidth, height: imageHeight });

  const column = left + imageWidth + 16;
  const columnWidth = pageWidth - imageWidth - 16;
  doc.x = column;
  doc.y = imageTop;
  if (!rejected) {
    if (statement.leading) {
      doc
        .font('Helvetica')
        .fontSize(10)
        .text(statement.leading.text, column, imageTop, { width: columnWidth });
    }
    doc
      .moveDown(0.6)
      .font('Helvetica-Bold')
      .fontSize(10)
      .text(`Probabilities (${statement.calibration ?? 'uncalibrated'})`, { width: columnWidth });
    outcome.labels.forEach((label, i) => {
      const p = outcome.probabilities[i];
      const rowTop = doc.y + 2;
      doc.font('Helvetica').fontSize(9).text(label, column, rowTop, { width: 64 });
      doc.rect(column + 66, rowTop + 1, 60, 8).stroke('#555555');
      doc.rect(column + 66, rowTop + 1, Math.max(0.5, 60 * p), 8).fill('#b45309');
      doc.fillColor('black').text(p.toFixed(3), column + 132, rowTop, { width: columnWidth - 132 });
      doc.x = column;
    });
    doc
      .moveDown(0.4)
      .font('Helvetica')
      .fontSize(8)
      .text(
        calibrationSentence(outcome.calibration, outcome.verdict.operatingPoint),
        column,
        doc.y,
        {
          width: columnWidth,
        },
      );
    const heatmap = heatmapFor(outcome);
    if (heatmap) {
      doc.moveDown(0.6).fontSize(9).text(heatmapCaption(heatmap), column, doc.y, {
        width: columnWidth,
      });
      heatmapLegend(doc, column, doc.y + 4, Math.min(columnWidth, 160));
    }
  }
  doc
    .moveDown(0.8)
    .font('Helvetica-Bold')
    .fontSize(10)
    .text('Model', column, doc.y, { width: columnWidth });
  doc
    .font('Helvetica')
    .fontSize(9)
    .text(
      `${outcome.modelName}, version ${outcome.modelVersion}; ` +
        `execution provider ${outcome.executionProvider}.`,
      { width: columnWidth },
    );
  doc.text(
    `Report made ${input.createdAt.toISOString().replace('T', ' ').slice(0, 19)} UTC by ` +
      `${input.device.name} ${input.device.softwareVersion}.`,
    { width: columnWidth },
  );

  doc.y = Math.max(doc.y, imageTop + imageHeight) + 12;
  const intendedUse = classifierManifest(input)?.intendedUse;
  doc.font('Helvetica-Bold').fontSize(9).text('Intended use', left, doc.y, { width: pageWidth });
  doc
    .font('Helvetica')
    .fontSize(8)
    .text(intendedUse ?? RESEARCH_NOTICE, { width: pageWidth });
  doc.end();
  return done;
}
