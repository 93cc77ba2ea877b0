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
import type { RejectedFilm, ScoredFilm } from '../../shared/analysis';
import {
  decideVerdict,
  VERDICT_WORDS,
  type FamiliarityMeasure,
  type OperatingPoint,
} from '../../shared/verdict';
import { openImage, renderDisplay8 } from '../imaging';
import { createInferenceEngine, type InferenceEngine } from '../inference';
import { CXR_IMAGES, DICOM_DIR, testModelDir } from '../inference/test-support';
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
} from './test-support';

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
    const { verdict } = analysed.outcome;
    expect(xml).toContain('<meaning>AI verdict</meaning>');
    expect(xml).toContain(`Verdict: ${VERDICT_WORDS[verdict.kind]}`);
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

describe('the verdict, the calibration and the site profile in the SR and the PDF', () => {
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
          fitted_on: 'calibration part of the training patients (n=400)',
        }
      : null;
    return { ...scored, verdict, calibration };
  }

  async function reportsOf(outcome: ScoredFilm, name: string) {
    const set = await buildReports({ ...analysed.input, outcome }, analysed.film, ['sr', 'pdf']);
    const sr = join(scratch, `${name}.sr.dcm`);
    const pdf = join(scratch, `${name}.pdf`);
    await import('node:fs/promises').then((fs) =>
      Promise.all([fs.writeFile(sr, set.sr!), fs.writeFile(pdf, set.pdf!)]),
    );
    const srText = runTool('dsrdump', ['+Pl', sr]).stdout;
    const pdfText = runTool('pdftotext', [pdf, '-']).stdout.replace(/\s+/g, ' ');
    expect(runTool('pdfinfo', [pdf]).stdout).toMatch(/Pages:\s+1\n/);
    return { sr, srText, pdfText };
  }

  it('a site profile turns the film into a COVID-19 call and is named, with its threshold', async () => {
    const covid = scored.labels.indexOf('COVID-19');
    // Just under this film's P(COVID-19): the site's threshold calls it, whatever the model's.
    const threshold = Math.floor(scored.probabilities[covid] * 1000) / 1000 - 0.001;
    const point: OperatingPoint = { profileName: 'Clínica Norte', label: 'COVID-19', threshold };
    const outcome = withTrust(0.99, { point });
    expect(outcome.verdict.kind).toBe('call');
    expect(outcome.verdict.label).toBe('COVID-19');
    const { sr, srText, pdfText } = await reportsOf(outcome, 'site-profile');
    expectValidSr(sr, { pixelmed: true });
    expect(srText).toContain('AI verdict');
    expect(srText).toContain('Call: a class clearly ahead');
    expect(srText).toContain('Verdict: Call: COVID-19.');
    expect(srText).toContain(
      `Site profile "Clínica Norte" in use: COVID-19 called at or above ${threshold}`,
    );
    expect(srText).toContain("(the model's own threshold: ");
    expect(first(sr, '0008,0005')).toBe('ISO_IR 192');
    expect(pdfText).toContain('Verdict: Call: COVID-19');
    expect(pdfText).toContain(
      `Site profile "Clínica Norte" in use: COVID-19 called at or above ${Number(threshold.toPrecision(4))}`,
    );
    expect(pdfText).toContain('Predicted: COVID-19');
    expect(pdfText).toContain(`Highest probability: ${scored.predictedLabel}, p = `);
  }, 180_000);

  it('an uncertain film says so, has no bold "Predicted", and an uncalibrated model says "uncalibrated"', async () => {
    // No class can lead by a margin of 0.99: the one rule says uncertain.
    const outcome = withTrust(0.99, {});
    expect(outcome.verdict.kind).toBe('uncertain');
    const { sr, srText, pdfText } = await reportsOf(outcome, 'uncertain');
    expectValidSr(sr, { pixelmed: false });
    expect(srText).toContain('Uncertain: no class clearly ahead');
    expect(srText).toContain(`Verdict: Uncertain. ${outcome.verdict.reason}`);
    expect(srText).toContain('Probabilities uncalibrated');
    expect(srText).not.toContain('Site profile');
    expect(pdfText).toContain('Verdict: Uncertain');
    expect(pdfText).toContain(`Leading class (not a call): ${scored.predictedLabel}`);
    expect(pdfText).not.toContain('Predicted:');
    expect(pdfText).toContain('Probabilities (uncalibrated)');
    expect(pdfText).not.toContain('Site profile');
  }, 180_000);

  it('an unfamiliar film and a calibrated model are said so', async () => {
    const outcome = withTrust(0.2, {
      familiarity: { ...familiar, distance: 4.25 },
      calibrated: true,
    });
    expect(outcome.verdict.kind).toBe('unfamiliar');
    const { sr, srText, pdfText } = await reportsOf(outcome, 'unfamiliar');
    expectValidSr(sr, { pixelmed: false });
    expect(srText).toContain('Unfamiliar film: unlike the training films');
    expect(srText).toContain('feature distance 4.25 > 2.50');
    expect(srText).toContain('Probabilities calibrated by temperature scaling (T = 1.375)');
    expect(pdfText).toContain('Verdict: Unfamiliar film');
    expect(pdfText).toContain('Probabilities (calibrated)');
    expect(pdfText).toContain('T = 1.375');
  }, 180_000);
});
