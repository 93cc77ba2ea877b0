/**
 * The one-page PDF summary (pdfkit): patient and study, a thumbnail of the heatmap figure, the
 * verdict in plain words (call / uncertain / unfamiliar film, with its reason), per-class
 * probabilities (calibrated or "uncalibrated"), the threshold status, the site profile when one is
 * in use, the model (name, version, execution provider), the time, and the research-use notice.
 * Standard PDF fonts only (no font files to ship).
 */
import PDFDocument from 'pdfkit';
import { heatmapFor } from '../../shared/analysis';
import { RESEARCH_NOTICE } from '../../shared/notice';
import type { VerdictKind } from '../../shared/verdict';
import { encodePng } from '../inference/heatmap-image';
import { classifierManifest, isRejected, type ReportInput } from './common';
import { composeHeatmapFigure, type DisplayFilm, type RgbImage } from './secondary-capture';
import { calibrationSentence, siteProfileSentence, verdictHeadline } from './verdict-wording';

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

const VERDICT_COLOURS: Record<VerdictKind, string> = {
  call: '#166534',
  uncertain: '#9a3412',
  unfamiliar: '#991b1b',
};

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

  const field = (label: string, value: string): void => {
    doc.font('Helvetica-Bold').fontSize(9).text(`${label}: `, { continued: true });
    doc.font('Helvetica').text(value || '-');
  };
  if (subject) {
    field('Patient', `${formatPersonName(subject.patientName)} (ID ${subject.patientId || '-'})`);
    field(
      'Birth date / sex',
      `${formatDicomDate(subject.patientBirthDate)} / ${subject.patientSex ?? ''}`,
    );
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

  const figure = thumbnail(composeHeatmapFigure(input, film));
  const imageTop = doc.y;
  const imageWidth = Math.min(260, pageWidth / 2);
  const imageHeight = (figure.height / figure.width) * imageWidth;
  doc.image(figure.png, left, imageTop, { width: imageWidth, height: imageHeight });

  const column = left + imageWidth + 16;
  const columnWidth = pageWidth - imageWidth - 16;
  doc.x = column;
  doc.y = imageTop;
  if (rejected) {
    doc
      .font('Helvetica-Bold')
      .fontSize(12)
      .text('Not scored', column, imageTop, { width: columnWidth });
    doc
      .font('Helvetica')
      .fontSize(10)
      .text(
        `The chest check turned this film away: ${outcome.gate.reason ?? 'not a frontal chest X-ray'}` +
          ` (${outcome.gate.code ?? 'rejected'}). No probabilities were computed.`,
        { width: columnWidth },
      );
  } else {
    const above = outcome.thresholdStatus === 'above-threshold';
    const { verdict } = outcome;
    const thresholds = classifierManifest(input)?.thresholds ?? {};
    // The verdict first, coloured by kind.
    doc
      .font('Helvetica-Bold')
      .fontSize(12)
      .fillColor(VERDICT_COLOURS[verdict.kind])
      .text(`Verdict: ${verdictHeadline(verdict)}`, column, imageTop, { width: columnWidth });
    doc.fillColor('black').font('Helvetica').fontSize(9).text(verdict.reason, {
      width: columnWidth,
    });
    doc.moveDown(0.3);
    // Only a confident call names a class in bold; with a site profile the called class may
    // differ from the one with the highest probability, so both are named.
    const called = verdict.kind === 'call' ? verdict.label : null;
    doc
      .font(called ? 'Helvetica-Bold' : 'Helvetica')
      .fontSize(called ? 11 : 10)
      .text(
        called ? `Predicted: ${called}` : `Leading class (not a call): ${outcome.predictedLabel}`,
        column,
        doc.y,
        { width: columnWidth },
      );
    doc
      .font('Helvetica')
      .fontSize(10)
      .text(
        `Highest probability: ${outcome.predictedLabel}, p = ${outcome.predictedProbability.toFixed(3)}, ` +
          `${above ? 'at or above' : 'below'} its decision threshold ${outcome.threshold}`,
        { width: columnWidth },
      );
    const site = siteProfileSentence(
      verdict.operatingPoint,
      verdict.operatingPoint?.label ? thresholds[verdict.operatingPoint.label] : undefined,
      4,
    );
    if (site) doc.font('Helvetica-Bold').fontSize(9).text(site, { width: columnWidth });
    const { calibration } = outcome;
    doc
      .moveDown(0.6)
      .font('Helvetica-Bold')
      .fontSize(10)
      .text(`Probabilities (${calibration ? 'calibrated' : 'uncalibrated'})`, {
        width: columnWidth,
      });
    doc
      .font('Helvetica')
      .fontSize(8)
      .text(calibrationSentence(calibration), { width: columnWidth });
    outcome.labels.forEach((label, i) => {
      const p = outcome.probabilities[i];
      const threshold = thresholds[label];
      const rowTop = doc.y;
      doc.font('Helvetica').fontSize(9).text(label, column, rowTop, { width: 64 });
      doc.rect(column + 66, rowTop + 1, 60, 8).stroke('#555555');
      doc.rect(column + 66, rowTop + 1, Math.max(0.5, 60 * p), 8).fill('#b45309');
      doc
        .fillColor('black')
        .text(
          `${p.toFixed(4)}${threshold !== undefined ? `  threshold ${threshold}` : ''}`,
          column + 132,
          rowTop,
          { width: columnWidth - 132 },
        );
      doc.x = column;
    });
    const heatmap = heatmapFor(outcome);
    if (heatmap) {
      doc
        .moveDown(0.6)
        .fontSize(9)
        .text(
          `Heatmap: where the model found evidence for ${heatmap.label} ` +
            `(${heatmap.method}); brighter = more evidence.`,
          column,
          doc.y,
          { width: columnWidth },
        );
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
      `${outcome.modelName}, id ${outcome.modelId}, version ${outcome.modelVersion}; ` +
        `execution provider ${outcome.executionProvider}.`,
      { width: columnWidth },
    );
  doc.text(
    `Report made ${input.createdAt.toISOString().replace('T', ' ').slice(0, 19)} UTC by ` +
      `${input.device.name} ${input.device.softwareVersion}.`,
    { width: columnWidth },
  );

  doc.y = Math.max(doc.y, imageTop + imageHeight) + 16;
  const intendedUse = classifierManifest(input)?.intendedUse;
  doc.font('Helvetica-Bold').fontSize(9).text('Intended use', left, doc.y, { width: pageWidth });
  doc
    .font('Helvetica')
    .fontSize(8)
    .text(intendedUse ?? RESEARCH_NOTICE, { width: pageWidth });
  doc.end();
  return done;
}
