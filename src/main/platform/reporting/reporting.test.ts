/**
 * Every object the reporting module writes, from real films scored by the bundled model, passes
 * the validators PACS vendors use: dciodvfy (no error), dsrdump, PixelMed's TID 1500 check,
 * qpdf + pdftoppm, dcm2pdf (byte-identical PDF) and dcmj2pnm (the Secondary Capture renders).
 * Patient and study are those of the source; each object has its own series.
 */
import { readdirSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PNG } from 'pngjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RejectedFilm, ScoredFilm } from '../../../shared/analysis';
import { parse } from 'csv-parse/sync';
import { resultStatement } from '../../../shared/result-statement';
import {
  decideVerdict,
  type FamiliarityMeasure,
  type OperatingPoint,
} from '../../../shared/verdict';
import { rowsToCsv } from '../../features/screening/export';
import { findingFor } from './codes';
import { openImage, renderDisplay8 } from '../imaging';
import { createInferenceEngine, type InferenceEngine } from '../inference';
import { CXR_IMAGES, DICOM_DIR, testModelDir } from '../inference/testing/test-support';
import { analyseFile, writeReports, type AnalysedFile } from '../report-files';
import {
  buildReports,
  isRejected,
  reportSourceFromDicom,
  reportSourceFromRaster,
  workstationDevice,
} from '.';
import {
  dciodvfyErrors,
  dcmdumpValues,
  pixelmedSrErrors,
  runTool,
  srFloatingPointValues,
} from './testing/test-support';

const DEVICE = workstationDevice('test');
let engine: InferenceEngine;
let scratch: string;

beforeAll(async () => {
  engine = await createInferenceEngine({ modelDir: testModelDir(), intraOpThreads: 1 });
  scratch = await mkdtemp(join(tmpdir(), 'reports-'));
});
afterAll(async () => {
  await engine?.dispose();
  if (scratch) await rm(scratch, { recursive: true, force: true });
});

function first(path: string, tag: string): string {
  return dcmdumpValues(path, tag)[0];
}

function expectValidDicom(path: string): void {
  expect(dciodvfyErrors(path), `dciodvfy ${path}`).toEqual([]);
}

/** PixelMed's check takes ~10 s of CPU per file: it runs on one SR of each kind, not all. */
function expectValidSr(path: string, { pixelmed: withPixelmed }: { pixelmed: boolean }): void {
  expectValidDicom(path);
  const dump = runTool('dsrdump', [path]);
  expect(dump.status, dump.stderr).toBe(0);
  expect(dump.stdout).toContain('Imaging Measurement Report');
  if (!withPixelmed) return;
  const pixelmed = pixelmedSrErrors(path);
  expect(pixelmed.errors, pixelmed.output).toEqual([]);
  expect(pixelmed.output).toContain('Found Root Template TID_1500');
}

const CHEST_FILMS = [
  'nih_cxr_dx_mono2_8bit_explicit_le.dcm',
  'barre_cr_mono1_10bit_chest_nometa_implicitvr.dcm',
  'wg04_rg1_chest_cr_mono1_15bit_rle.dcm',
];

describe.each(CHEST_FILMS)('reports of %s', (name) => {
  const sourcePath = join(DICOM_DIR, name);
  let analysed: AnalysedFile;
  let out: Record<string, string>;

  beforeAll(async () => {
    analysed = await analyseFile({ engine, path: sourcePath, frameIndex: 0, device: DEVICE });
    const base = join(scratch, name);
    const { written } = await writeReports(analysed, {
      sr: `${base}.sr.dcm`,
      sc: `${base}.sc.dcm`,
      pdf: `${base}.pdf`,
      encapsulatedPdf: `${base}.pdf.dcm`,
    });
    out = written as Record<string, string>;
  }, 120_000);

  it('writes an SR that dciodvfy, dsrdump and PixelMed (TID 1500) accept', () => {
    expect(isRejected(analysed.outcome)).toBe(false);
    expectValidSr(out.sr, { pixelmed: name === CHEST_FILMS[0] });
  }, 180_000);

  it('puts the exact probabilities, one measurement group per class, into the SR', () => {
    if (isRejected(analysed.outcome)) throw new Error('film was rejected');
    const { probabilities } = analysed.outcome;
    // Exactly the doubles of the result (read as stored), and dcmdump sees them too.
    expect(srFloatingPointValues(out.sr)).toEqual(probabilities);
    const printed = dcmdumpValues(out.sr, '0040,a161').map(Number);
    printed.forEach((v, i) => expect(v).toBeCloseTo(probabilities[i], 15));
    const decimal = dcmdumpValues(out.sr, '0040,a30a').map(Number);
    decimal.forEach((v, i) => expect(v).toBeCloseTo(probabilities[i], 12));
    const xml = runTool('dsr2xml', [out.sr]).stdout;
    expect(xml.match(/<meaning>Measurement Group<\/meaning>/g)).toHaveLength(
      analysed.outcome.labels.length,
    );
    expect(xml.match(/<meaning>Tracking Unique Identifier<\/meaning>/g)).toHaveLength(
      analysed.outcome.labels.length,
    );
    expect(xml).toContain('For research and triage support only');
    // The engine's own verdict and calibration (src/shared/verdict.ts), in words.
    expect(xml).toContain('<meaning>AI result</meaning>');
    expect(xml).toContain('<meaning>AI verdict</meaning>');
    expect(xml).toContain(resultStatement(analysed.outcome).headline);
    expect(xml).toContain(
      analysed.outcome.calibration ? 'Probabilities calibrated' : 'Probabilities uncalibrated',
    );
  });

  it('keeps patient and study of the source, and gives every object its own series', () => {
    const objects = [out.sr, out.sc, out.encapsulatedPdf];
    for (const tag of ['0010,0010', '0010,0020', '0020,000d', '0008,0050']) {
      const expected = first(sourcePath, tag) ?? '';
      for (const path of objects) expect(first(path, tag), `${tag} of ${path}`).toBe(expected);
    }
    const series = [sourcePath, ...objects].map((p) => first(p, '0020,000e'));
    expect(new Set(series).size).toBe(4);
    expect(first(out.sr, '0008,0060')).toBe('SR');
    // The SR lists the source as evidence and in its Image Library.
    const sourceInstance = first(sourcePath, '0008,0018');
    expect(dcmdumpValues(out.sr, '0008,1155')).toContain(sourceInstance);
    expect(dcmdumpValues(out.sc, '0008,1155')).toEqual([sourceInstance]);
  });

  it('writes a heatmap Secondary Capture that dciodvfy accepts and dcmj2pnm renders', async () => {
    expectValidDicom(out.sc);
    const png = join(scratch, `${name}.sc.png`);
    const render = runTool('dcmj2pnm', ['+on', out.sc, png]);
    expect(render.status, render.stderr).toBe(0);
    const image = PNG.sync.read(await readFile(png));
    expect(image.width).toBe(analysed.film.width);
    expect(image.height).toBeGreaterThan(analysed.film.height); // the legend/notice band
    expect(first(out.sc, '0028,0004')).toBe('RGB');
    expect(first(out.sc, '0028,0301')).toBe('YES');
    // The heatmap is blended in: the film area is not gray everywhere.
    let coloured = 0;
    for (let p = 0; p < image.width * analysed.film.height; p++) {
      const [r, g, b] = [image.data[p * 4], image.data[p * 4 + 1], image.data[p * 4 + 2]];
      if (Math.max(r, g, b) - Math.min(r, g, b) > 20) coloured++;
    }
    expect(coloured).toBeGreaterThan(0.05 * image.width * analysed.film.height);
  });

  it('writes a one-page PDF (qpdf, pdftoppm) and an Encapsulated PDF dcm2pdf extracts unchanged', async () => {
    const check = runTool('qpdf', ['--check', out.pdf]);
    expect(check.status, check.stdout + check.stderr).toBe(0);
    expect(runTool('pdfinfo', [out.pdf]).stdout).toMatch(/Pages:\s+1\n/);
    const text = runTool('pdftotext', [out.pdf, '-']).stdout;
    expect(text).toContain('For research and triage support only');
    if (!isRejected(analysed.outcome)) {
      for (const label of analysed.outcome.labels) expect(text).toContain(label);
      expect(text).toContain(analysed.outcome.executionProvider);
    }
    const pagePrefix = join(scratch, `${name}.page`);
    const render = runTool('pdftoppm', ['-r', '40', '-png', '-singlefile', out.pdf, pagePrefix]);
    expect(render.status, render.stderr).toBe(0);
    expect(PNG.sync.read(await readFile(`${pagePrefix}.png`)).width).toBeGreaterThan(100);

    expectValidDicom(out.encapsulatedPdf);
    const extracted = join(scratch, `${name}.extracted.pdf`);
    const extract = runTool('dcm2pdf', [out.encapsulatedPdf, extracted]);
    expect(extract.status, extract.stderr).toBe(0);
    expect(Buffer.compare(await readFile(extracted), await readFile(out.pdf))).toBe(0);
  });
});

describe('a film the chest gate turned away', () => {
  it('gets an SR that says so, with no probabilities, and passes every validator', async () => {
    const path = join(DICOM_DIR, 'ct_small_explicit_le.dcm');
    const image = await openImage(path);
    const frame = await image.decodeFrame(0);
    const rejected: RejectedFilm = {
      status: 'rejected',
      gate: {
        accepted: false,
        code: 'NOT_A_FRONTAL_CHEST_XRAY',
        reason: 'Modality is CT, not a radiograph',
        decidedBy: 'header',
      },
      modelId: engine.manifest.id,
      modelName: engine.manifest.name,
      modelVersion: engine.manifest.version,
      executionProvider: engine.provider.active,
    };
    const set = await buildReports(
      {
        source: reportSourceFromDicom(new Uint8Array(await readFile(path)), 'ct.dcm', 0),
        outcome: rejected,
        models: [engine.manifest],
        device: DEVICE,
        createdAt: new Date(),
      },
      { gray: renderDisplay8(frame, image.metadata), width: frame.columns, height: frame.rows },
      ['sr', 'sc', 'pdf'],
    );
    const sr = join(scratch, 'rejected.sr.dcm');
    const sc = join(scratch, 'rejected.sc.dcm');
    await import('node:fs/promises').then((fs) =>
      Promise.all([fs.writeFile(sr, set.sr!), fs.writeFile(sc, set.sc!)]),
    );
    expectValidSr(sr, { pixelmed: true });
    expectValidDicom(sc);
    expect(dcmdumpValues(sr, '0040,a161')).toEqual([]);
    expect(dcmdumpValues(sr, '0040,a30a')).toEqual([]);
    const dump = runTool('dsrdump', ['+Pl', sr]).stdout;
    expect(dump).toContain('Not scored: Modality is CT, not a radiograph');
    expect(dump).not.toContain('Imaging Measurements');
  }, 180_000);
});

describe('a JPEG film (no patient or study in the file)', () => {
  const jpeg = join(
    CXR_IMAGES,
    readdirSync(CXR_IMAGES).find((f) => f.endsWith('.jpg')) ?? 'missing.jpg',
  );

  it('refuses DICOM reports with REPORT_PATIENT_STUDY_REQUIRED, but makes the PDF', async () => {
    const analysed = await analyseFile({ engine, path: jpeg, frameIndex: 0, device: DEVICE });
    await expect(buildReports(analysed.input, analysed.film, ['sr'])).rejects.toMatchObject({
      code: 'REPORT_PATIENT_STUDY_REQUIRED',
      message: expect.stringContaining('--patient-id and --study-uid'),
    });
    const { pdf } = await buildReports(analysed.input, analysed.film, ['pdf']);
    expect(Buffer.from(pdf!.subarray(0, 5)).toString()).toBe('%PDF-');
    expect(() =>
      reportSourceFromRaster(analysed.input.source as never, 'x.jpg', { patientId: 'P1' }),
    ).toThrow(/Study Instance UID/);
  });

  it('with a supplied patient and study: valid SR referring to a capture of the film', async () => {
    const supplied = {
      patientId: 'CLINIC-7',
      patientName: 'Doe^Jane',
      studyInstanceUid: '2.25.1234',
    };
    const analysed = await analyseFile({
      engine,
      path: jpeg,
      frameIndex: 0,
      device: DEVICE,
      supplied,
    });
    const sr = join(scratch, 'jpeg.sr.dcm');
    const { written } = await writeReports(analysed, { sr, sc: join(scratch, 'jpeg.sc.dcm') });
    expect(written.filmCapture).toBe(join(scratch, 'jpeg.sr.film.dcm'));
    expectValidSr(sr, { pixelmed: false });
    expectValidDicom(written.filmCapture!);
    expectValidDicom(written.sc!);
    for (const path of [sr, written.sc!, written.filmCapture!]) {
      expect(first(path, '0020,000d')).toBe('2.25.1234');
      expect(first(path, '0010,0020')).toBe('CLINIC-7');
      expect(first(path, '0010,0010')).toBe('Doe^Jane');
    }
    const captureInstance = first(written.filmCapture!, '0008,0018');
    expect(dcmdumpValues(sr, '0008,1155')).toContain(captureInstance);
    expect(first(written.filmCapture!, '0028,2110')).toBe('01'); // JPEG: lossy once, always
  }, 120_000);
});

describe('one result statement: the SR codes, the PDF, the capture and the CSV say the same class', () => {
  const sourcePath = join(DICOM_DIR, CHEST_FILMS[0]);
  let analysed: AnalysedFile;
  let scored: ScoredFilm;
  const familiar: FamiliarityMeasure = {
    distance: 1.2,
    limit: 2.5,
    segmenterConfidence: null,
    minSegmenterConfidence: null,
  };

  beforeAll(async () => {
    analysed = await analyseFile({ engine, path: sourcePath, frameIndex: 0, device: DEVICE });
    if (isRejected(analysed.outcome)) throw new Error('film was rejected');
    scored = analysed.outcome;
  }, 120_000);

  /** The film's real probabilities with a verdict and calibration chosen by the test. */
  function withTrust(
    margin: number,
    options: { point?: OperatingPoint; familiarity?: FamiliarityMeasure; calibrated?: boolean },
  ): ScoredFilm {
    const verdict = decideVerdict({
      labels: scored.labels,
      probabilities: scored.probabilities,
      thresholds: engine.manifest.thresholds,
      margin,
      familiarity: options.familiarity ?? familiar,
      operatingPoint: options.point,
    });
    const calibration = options.calibrated
      ? {
          method: 'temperature' as const,
          temperature: 1.375,
          fitted_on:
            '400 labelled films from training/splits/calib.csv, NLL 0.51 -> 0.50, by training/fit_trust.ts.',
        }
      : null;
    return { ...scored, verdict, calibration };
  }

  async function reportsOf(outcome: ScoredFilm, name: string) {
    const set = await buildReports({ ...analysed.input, outcome }, analysed.film, [
      'sr',
      'pdf',
      'sc',
    ]);
    const sr = join(scratch, `${name}.sr.dcm`);
    const pdf = join(scratch, `${name}.pdf`);
    await import('node:fs/promises').then((fs) =>
      Promise.all([fs.writeFile(sr, set.sr!), fs.writeFile(pdf, set.pdf!)]),
    );
    const srText = runTool('dsrdump', ['+Pl', sr]).stdout;
    const pdfText = runTool('pdftotext', [pdf, '-']).stdout.replace(/\s+/g, ' ');
    expect(runTool('pdfinfo', [pdf]).stdout).toMatch(/Pages:\s+1\n/);
    // The CSV row of the same result, as screening writes it.
    const csv = parse(
      rowsToCsv(
        [
          {
            path: name,
            frame: 0,
            status: 'ok',
            errorCode: null,
            errorMessage: null,
            probabilities: outcome.probabilities,
            prediction: scored.predictedLabel,
            modelId: outcome.modelId,
            executionProvider: outcome.executionProvider,
            ms: 1,
            verdict: outcome.verdict,
          },
        ],
        outcome.labels,
      ),
      { columns: true },
    ) as Record<string, string>[];
    return { sr, srText, pdfText, csv: csv[0] };
  }

  /** The coded items of the SR's qualitative evaluations, in order: "concept = value". */
  function codedItems(srText: string): string[] {
    return [...srText.matchAll(/CODE:\([^"]*"([^"]+)"\)=\([^"]*"([^"]+)"\)/g)]
      .map((m) => `${m[1]} = ${m[2]}`)
      .filter((item) => /^(AI result|AI verdict|Highest probability class)/.test(item));
  }

  /** No output names a class as called other than `called` (null: none is called). */
  function expectNoOtherCall(texts: string[], called: string | null): void {
    for (const label of scored.labels) {
      if (label === called) continue;
      for (const text of texts) expect(text).not.toContain(`Call: ${label}`);
    }
    for (const text of texts) expect(text).not.toMatch(/Predicted|Leading class|prediction/);
  }

  it('a site profile call: COVID-19 first everywhere, the highest class as its own named item', async () => {
    const covid = scored.labels.indexOf('COVID-19');
    // Just under this film's P(COVID-19): the site's threshold calls it, whatever the model's.
    const threshold = Number((scored.probabilities[covid] * 0.999).toPrecision(6));
    const point: OperatingPoint = {
      profileName: 'Clínica Norte',
      label: 'COVID-19',
      threshold,
      smallNWarning: 'Saved from 6 COVID-19 films (fewer than 30).',
    };
    const outcome = withTrust(0.99, { point });
    expect(outcome.verdict).toMatchObject({ kind: 'call', label: 'COVID-19' });
    const { sr, srText, pdfText, csv } = await reportsOf(outcome, 'site-profile');
    expectValidSr(sr, { pixelmed: true });
    expect(codedItems(srText)).toEqual([
      'AI result = COVID-19',
      'AI verdict = Call: a class clearly ahead',
      `Highest probability class = ${findingFor(scored.predictedLabel).meaning}`,
    ]);
    const shown = Number(threshold.toPrecision(3)).toPrecision(3);
    expect(srText).toContain(
      `Site profile "Clínica Norte": COVID-19 is called at or above ${shown}.`,
    );
    expect(srText).toContain('Saved from 6 COVID-19 films (fewer than 30).');
    expect(first(sr, '0008,0005')).toBe('ISO_IR 192');
    // The PDF: the verdict before any number, the site profile and its warning, the highest class named.
    expect(pdfText.indexOf('Call: COVID-19')).toBeLessThan(pdfText.indexOf('Highest probability:'));
    expect(pdfText).toContain(
      `Site profile "Clínica Norte": COVID-19 is called at or above ${shown}.`,
    );
    expect(pdfText).toContain('Saved from 6 COVID-19 films (fewer than 30).');
    expect(pdfText).toContain(`Highest probability: ${scored.predictedLabel} `);
    // A threshold only where it decides: no per-class "threshold 0.5" rows.
    expect(pdfText).not.toMatch(/threshold 0\.5\b/);
    // The heatmap explains the called class, not the highest one.
    expect(pdfText).toContain('Heatmap (class activation) for COVID-19');
    expect(pdfText).not.toMatch(/Heatmap \([^)]*\) for (?!COVID-19)/);
    expect(csv).toMatchObject({ result: 'COVID-19', verdict: 'call' });
    expect(csv.site_profile).toContain('Saved from 6 COVID-19 films');
    expectNoOtherCall([srText, pdfText, csv.result], 'COVID-19');
  }, 600_000);

  it('an uncertain film names no class as a finding anywhere, and an uncalibrated model says so', async () => {
    // No class can lead by a margin of 0.99: the one rule says uncertain.
    const outcome = withTrust(0.99, {});
    expect(outcome.verdict.kind).toBe('uncertain');
    const statement = resultStatement(outcome);
    const { sr, srText, pdfText, csv } = await reportsOf(outcome, 'uncertain');
    expectValidSr(sr, { pixelmed: false });
    expect(codedItems(srText)).toEqual([
      'AI result = Uncertain: no class clearly ahead',
      'AI verdict = Uncertain: no class clearly ahead',
      `Highest probability class = ${findingFor(scored.predictedLabel).meaning}`,
    ]);
    expect(srText).toContain(`${statement.headline}. ${statement.reason}`);
    expect(srText).not.toMatch(/Uncertain: Uncertain/);
    expect(srText).toContain('Probabilities uncalibrated');
    expect(srText).not.toContain('Site profile');
    expect(pdfText).toContain(statement.headline);
    expect(pdfText).toContain('Probabilities (uncalibrated)');
    expect(pdfText).not.toContain('Site profile');
    expect(csv).toMatchObject({
      result: 'uncertain',
      highest_probability_class: scored.predictedLabel,
    });
    expectNoOtherCall([srText, pdfText, csv.result], null);
  }, 180_000);

  it('an unfamiliar film says so before any number; no training file or fitting figure is printed', async () => {
    const outcome = withTrust(0.99, {
      familiarity: { ...familiar, distance: 4.25 },
      calibrated: true,
    });
    expect(outcome.verdict.kind).toBe('unfamiliar');
    const { sr, srText, pdfText, csv } = await reportsOf(outcome, 'unfamiliar');
    expectValidSr(sr, { pixelmed: false });
    expect(codedItems(srText)[0]).toBe(
      'AI result = Unfamiliar film: unlike the films the model was trained on',
    );
    expect(srText).toContain('feature distance 4.25, limit 2.50');
    expect(srText).toContain('Probabilities calibrated by temperature scaling (T = 1.375)');
    // Before any score: the highest class and the probabilities come after it.
    expect(pdfText.indexOf('Unfamiliar film')).toBeGreaterThan(0);
    expect(pdfText.indexOf('Unfamiliar film')).toBeLessThan(pdfText.indexOf('Highest probability'));
    expect(pdfText.indexOf('Unfamiliar film')).toBeLessThan(pdfText.indexOf('Probabilities ('));
    expect(pdfText).toContain('Probabilities (calibrated)');
    expect(pdfText).toContain('T = 1.375');
    for (const text of [srText, pdfText]) {
      expect(text).not.toMatch(/training\/|calib\.csv|NLL|fit_trust/);
      expect(text).not.toMatch(/may not apply/);
    }
    expect(csv.result).toBe('unfamiliar');
    expectNoOtherCall([srText, pdfText, csv.result], null);
  }, 180_000);
});
