/**
 * Calibration and the verdict on real films with the bundled (calibrated) model:
 * - the same temperature-scaled numbers on every path: predict (the UI, `predict`, reports),
 *   the DICOM SR written from that analysis, screening and `evaluate` (engine.analyse);
 * - `unfamiliar` on the shared non-chest and non-frontal DICOM files: with their headers every one
 *   is turned away by the chest gate (so none reaches the verdict); without the header (an
 *   anonymised export) those the segmenter lets through are all unfamiliar; and forced past the
 *   mask gate (crop from the rejected mask), the OT/SC captures, the inverted film and the rest
 *   are unfamiliar too, except the known misses listed below, which are at least never a call.
 *   The shared chest films stay familiar.
 */
import { copyFile, mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeForModel } from '../decode-pool';
import { analyseFile } from '../report-files';
import { buildReports, workstationDevice } from '../reporting';
import { dcmdumpValues } from '../reporting/test-support';
import { readAllRows, runScreening } from '../screening';
import { runEvaluation } from '../evaluation';
import { createInferenceEngine, type InferenceEngine } from './engine';
import { chestHeaderOf } from './lungs/gate';
import { preprocessLungCrop } from './lungs/lung-crop';
import type { ModelTensor } from './preprocess';
import { CXR_IMAGES, DICOM_DIR, scored, testModelDir } from './test-support';
import { softmax } from './trust';

let engine: InferenceEngine;
let scratch: string;

const CHEST_DICOMS = [
  'nih_cxr_dx_mono2_8bit_explicit_le.dcm',
  'siim_cxr_cr_mono2_8bit_explicit_le.dcm',
  'wg04_rg1_chest_cr_mono1_15bit_explicit_le.dcm',
  'barre_cr_mono1_10bit_chest_explicit_le.dcm',
];
/** Shared files that are not frontal chest radiographs (and decode). */
const NON_CHEST = [
  'ct_16bit_j2k_lossless.dcm',
  'ct_small_explicit_le.dcm',
  'mr_multiframe10_j2k_lossless.dcm',
  'mr_small_explicit_big_endian.dcm',
  'nm_jpeg_extended_12bit.dcm',
  'odd_siim_cxr_fake_monochrome1_jpegbaseline.dcm', // the inverted film
  'ot_deflated_explicit_le.dcm',
  'ot_modality_lut_sequence.dcm',
  'pm_float32.dcm',
  'sc_rgb_rle.dcm',
  'us_jpeg_lossless_sv1_8bit.dcm',
  'us_palette_color_rle.dcm',
  'wg04_rg3_extremity_cr_mono1_10bit_j2k_lossy.dcm',
];

/**
 * Known misses of the bundled v3 model when a film is forced past the mask gate (with its header the
 * gate turns it away). The miss is said in the v3 card: the feature distance does not separate this
 * test pattern from chest films.
 */
const FORCED_PAST_THE_GATE_MISSES: Record<string, string> = {
  // A synthetic grey test pattern (nested squares). The segmenter finds "lungs" in it with confidence
  // 0.898, above the 0.884 floor, and the v3 feature distance is 1.04, like a chest film's.
  'ot_deflated_explicit_le.dcm': 'segmenter confidence and feature distance both chest-like',
};

/**
 * Known misses of v4 (said in its card and issue 20's closing note). A confident call comes before
 * the familiarity check (src/shared/verdict.ts), and v4 is confident on three slices whose headers
 * are gone and that pass the segmenter: a CT (pneumonia at 0.82; a call needs 0.73), an MR series
 * (COVID-19 at 0.78) and a small MR (normal at 0.82); forced past the mask gate, the inverted film
 * too (pneumonia at 0.75). (v3 under the same rule also calls the CT, 0.87, and the MR series,
 * 0.92.) The CT's v4 feature distance (1.37) is below a real 15-bit CR chest film's from another
 * hospital (wg04, 1.57), so no limit on v4's features separates them. With their headers the chest
 * gate turns all four away. The list must stay true: a listed film that stops being missed fails.
 */
const MISSES_BY_MODEL: Record<string, Record<string, string>> = {
  'covidnet-cxr-lungs-v4': {
    'ct_16bit_j2k_lossless.dcm': 'passes the segmenter without its header; a confident v4 call',
    'mr_multiframe10_j2k_lossless.dcm':
      'passes the segmenter without its header; a confident v4 call',
    'mr_small_explicit_big_endian.dcm':
      'passes the segmenter without its header; a confident v4 call',
    'odd_siim_cxr_fake_monochrome1_jpegbaseline.dcm':
      'forced past the mask gate: a confident v4 call',
  },
};

function knownMiss(name: string): boolean {
  return name in (MISSES_BY_MODEL[engine.manifest.id] ?? {});
}

beforeAll(async () => {
  engine = await createInferenceEngine({ modelDir: testModelDir(), providers: ['cpu'] });
  scratch = await mkdtemp(join(tmpdir(), 'covidnet-trust-'));
}, 120_000);

afterAll(async () => {
  await engine?.dispose();
  await rm(scratch, { recursive: true, force: true });
});

async function grayOf(path: string) {
  const image = await decodeForModel(path);
  return {
    gray: { data: image.gray, width: image.width, height: image.height },
    header: chestHeaderOf(image),
  };
}

describe('calibration on every path', () => {
  it('the bundled model is calibrated and the temperature changes its numbers', async () => {
    const calibration = engine.manifest.calibration;
    expect(calibration?.method).toBe('temperature');
    expect(calibration?.temperature).not.toBe(1);
    expect(engine.info().calibration).toEqual(calibration);
    // The engine's probabilities are softmax(logits / T), not the graph's own softmax.
    const { gray, header } = await grayOf(join(DICOM_DIR, CHEST_DICOMS[0]));
    const seen: { tensor: ModelTensor | null } = { tensor: null };
    const outcome = await engine.analyse(
      { gray, header },
      { heatmaps: false, inspect: (stages) => (seen.tensor = stages.tensor) },
    );
    const input = seen.tensor;
    if (outcome.status !== 'scored' || !input) throw new Error('the NIH film should be scored');
    const logitsName = engine.manifest.outputs.logits as string;
    const raw = await engine.runBatch(input.data, input.dims, [
      logitsName,
      engine.manifest.outputs.probabilities,
    ]);
    const logits = Array.from(raw.outputs[logitsName]);
    const expected = softmax(logits, calibration?.temperature ?? 1);
    outcome.probabilities.forEach((p, i) => expect(p).toBeCloseTo(expected[i], 12));
    const graphProbabilities = Array.from(raw.outputs[engine.manifest.outputs.probabilities]);
    expect(Math.abs(outcome.probabilities[0] - graphProbabilities[0])).toBeGreaterThan(1e-4);
  });

  it('predict, the SR, screening and evaluate give the same numbers and verdicts', async () => {
    const folder = join(scratch, 'films');
    await mkdir(folder, { recursive: true });
    const names = [
      ...CHEST_DICOMS.slice(0, 2),
      (await readdir(CXR_IMAGES)).filter((n) => n.startsWith('nih-pneumonia')).sort()[0],
    ];
    for (const name of names) {
      const from = name.endsWith('.dcm') ? join(DICOM_DIR, name) : join(CXR_IMAGES, name);
      await copyFile(from, join(folder, name));
    }
    const device = workstationDevice('test');
    const predicted = new Map<string, { probabilities: number[]; verdict: string }>();
    for (const name of names) {
      const analysed = await analyseFile({
        engine,
        path: join(folder, name),
        frameIndex: 0,
        device,
      });
      const result = scored(analysed.outcome);
      expect(result.calibration).toEqual(engine.manifest.calibration);
      predicted.set(name, { probabilities: result.probabilities, verdict: result.verdict.kind });
      if (name.endsWith('.dcm')) {
        // The SR carries each probability as an exact Floating Point Value.
        const set = await buildReports(analysed.input, analysed.film, ['sr']);
        const srPath = join(scratch, `${name}.sr.dcm`);
        await writeFile(srPath, set.sr as Uint8Array);
        const values = dcmdumpValues(srPath, '0040,a161').map(Number);
        for (const p of result.probabilities) {
          expect(values.some((v) => Math.abs(v - p) < 1e-12)).toBe(true);
        }
      }
    }

    const store = join(scratch, 'store');
    const outcome = await runScreening({ folders: [folder], storeDir: store, engine });
    const rows = await readAllRows(store, outcome.job.jobId);
    expect(rows).toHaveLength(names.length);
    for (const row of rows) {
      const expected = predicted.get(basename(row.path));
      expect(row.status).toBe('ok');
      row.probabilities?.forEach((p, i) =>
        expect(p).toBeCloseTo(expected?.probabilities[i] ?? -1, 12),
      );
      expect(row.verdict?.kind).toBe(expected?.verdict);
    }

    const manifest = join(folder, 'labels.csv');
    await writeFile(
      manifest,
      `file,label,source\n${names.map((n) => `${n},pneumonia,test`).join('\n')}\n`,
    );
    const evaluation = await runEvaluation({
      manifestPath: manifest,
      outDir: join(scratch, 'eval'),
      engine,
    });
    for (const image of evaluation.images) {
      const expected = predicted.get(image.file);
      image.probabilities?.forEach((p, i) =>
        expect(p).toBeCloseTo(expected?.probabilities[i] ?? -1, 12),
      );
      expect(image.verdict?.kind).toBe(expected?.verdict);
    }
  }, 300_000);
});

describe('unfamiliar films', () => {
  it('keeps the shared chest films familiar', async () => {
    for (const name of CHEST_DICOMS) {
      const { gray, header } = await grayOf(join(DICOM_DIR, name));
      const outcome = await engine.analyse({ gray, header }, { heatmaps: false });
      if (outcome.status !== 'scored') throw new Error(`${name} should be scored`);
      expect(outcome.verdict.kind, `${name}: ${outcome.verdict.reason}`).not.toBe('unfamiliar');
      expect(outcome.verdict.familiarity.distance).not.toBeNull();
    }
  });

  it('turns every shared non-chest file away with its header; without it, lets none through as familiar', async () => {
    const passedWithoutHeader: string[] = [];
    for (const name of NON_CHEST) {
      const { gray, header } = await grayOf(join(DICOM_DIR, name));
      expect((await engine.analyse({ gray, header }, { heatmaps: false })).status, name).toBe(
        'rejected',
      );
      const anonymised = await engine.analyse({ gray, header: null }, { heatmaps: false });
      if (anonymised.status === 'scored') {
        passedWithoutHeader.push(name);
        const { kind, reason } = anonymised.verdict;
        if (knownMiss(name))
          expect(kind, `${name} is listed as missed: ${reason}`).not.toBe('unfamiliar');
        else expect(kind, `${name}: ${reason}`).toBe('unfamiliar');
      }
    }
    // The CT and MR slices the segmenter mistakes for lungs when the header is gone.
    expect(passedWithoutHeader.length).toBeGreaterThan(0);
  }, 120_000);

  it('calls the OT/SC captures, the inverted film and every other non-chest file unfamiliar when forced past the mask gate', async () => {
    const crop = engine.manifest.input.crop;
    if (crop.kind !== 'lung-box-square') return;
    for (const name of NON_CHEST) {
      const { gray } = await grayOf(join(DICOM_DIR, name));
      const segmentation = await engine.segment(gray);
      const tensor = preprocessLungCrop(gray, segmentation.mask, crop, engine.manifest.input);
      if (!tensor) continue;
      const { verdict } = await engine.classify(tensor, segmentation);
      if (knownMiss(name)) {
        expect(verdict.kind, `${name} is listed as missed: ${verdict.reason}`).not.toBe(
          'unfamiliar',
        );
        continue;
      }
      if (name in FORCED_PAST_THE_GATE_MISSES) {
        // Not caught, but never a confident call either.
        expect(verdict.kind, `${name}: ${verdict.reason}`).not.toBe('call');
        continue;
      }
      expect(verdict.kind, `${name}: ${verdict.reason}`).toBe('unfamiliar');
    }
  }, 120_000);
});
