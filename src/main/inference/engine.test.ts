import { copyFile, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CodedError } from '../../shared/errors';
import { heatmapFor, type HeatmapGrid } from '../../shared/analysis';
import { openImage, toModelGray } from '../imaging';
import { createInferenceEngine, filmInputOf, type InferenceEngine } from './engine';
import { cropRect, type GrayImage } from './preprocess';
import { CXR_IMAGES, scored, V1_MODEL_DIR } from './test-support';

// The whole-film v1 model: its crop rule makes registration checkable on synthetic images.
const modelDir = V1_MODEL_DIR;
let scratch: string;

/** A copy of the model folder whose manifest is edited by `edit`. */
async function editedModelCopy(
  name: string,
  edit: (manifest: Record<string, unknown>) => void,
): Promise<string> {
  const dir = join(scratch, name);
  const manifest = JSON.parse(await readFile(join(modelDir, 'model.json'), 'utf8')) as Record<
    string,
    unknown
  >;
  await import('node:fs/promises').then((fs) => fs.mkdir(dir, { recursive: true }));
  await copyFile(join(modelDir, String(manifest.file)), join(dir, String(manifest.file)));
  edit(manifest);
  await writeFile(join(dir, 'model.json'), JSON.stringify(manifest));
  return dir;
}

async function refusal(dir: string): Promise<CodedError> {
  try {
    const engine = await createInferenceEngine({ modelDir: dir, providers: ['cpu'] });
    await engine.dispose();
  } catch (error) {
    if (error instanceof CodedError) return error;
    throw error;
  }
  throw new Error('the engine accepted the model');
}

beforeAll(async () => {
  scratch = await mkdtemp(join(tmpdir(), 'covidnet-engine-'));
});
afterAll(async () => {
  await rm(scratch, { recursive: true, force: true });
});

describe('execution providers', () => {
  it('asks for CUDA first on Linux, ends on CPU and records why CUDA was rejected', async () => {
    const engine = await createInferenceEngine({
      modelDir,
      providers: ['cuda', 'cpu'],
      intraOpThreads: 1,
    });
    try {
      expect(engine.provider.requested).toEqual(['cuda', 'cpu']);
      expect(engine.provider.active).toBe('cpu');
      expect(engine.provider.rejected).toHaveLength(1);
      expect(engine.provider.rejected[0].provider).toBe('cuda');
      expect(engine.provider.rejected[0].reason.length).toBeGreaterThan(10);
      expect(engine.info().provider.active).toBe('cpu');
    } finally {
      await engine.dispose();
    }
  });
});

describe('manifest checks', () => {
  it('refuses a wrong input name, naming both', async () => {
    const error = await refusal(
      await editedModelCopy(
        'input-name',
        (m) => ((m.input as Record<string, unknown>).name = 'pixels'),
      ),
    );
    expect(error.code).toBe('MODEL_MANIFEST_MISMATCH');
    expect(error.message).toMatch(/input "pixels" is not in the graph \(graph inputs: image\)/);
  });

  it('refuses a label count that differs from the graph output', async () => {
    const error = await refusal(
      await editedModelCopy('labels', (m) => {
        m.labels = ['normal', 'pneumonia', 'COVID-19', 'tuberculosis'];
      }),
    );
    expect(error.code).toBe('MODEL_MANIFEST_MISMATCH');
    expect(error.message).toMatch(/has 3 classes .* 4 labels/);
  });

  it('refuses a graph whose sha256 differs from the manifest', async () => {
    const error = await refusal(await editedModelCopy('sha', (m) => (m.sha256 = '0'.repeat(64))));
    expect(error.code).toBe('MODEL_CHECKSUM_MISMATCH');
    expect(error.message).toMatch(/sha256 [0-9a-f]{64}, but model.json says 0{64}/);
  });

  it('refuses a malformed manifest and a missing folder', async () => {
    const error = await refusal(await editedModelCopy('invalid', (m) => delete m.labels));
    expect(error.code).toBe('MODEL_MANIFEST_INVALID');
    expect(error.message).toMatch(/labels/);
    expect((await refusal(join(scratch, 'nowhere'))).code).toBe('MODEL_NOT_FOUND');
  });
});

describe('heatmaps', () => {
  let cam: InferenceEngine;
  let occlusion: InferenceEngine;
  let chest: GrayImage;

  beforeAll(async () => {
    cam = await createInferenceEngine({ modelDir, providers: ['cpu'] });
    // Same graph, manifest without `heatmap`: the engine must fall back to occlusion.
    const noCam = await editedModelCopy('no-cam', (m) => delete m.heatmap);
    occlusion = await createInferenceEngine({
      modelDir: noCam,
      providers: ['cpu'],
      occlusionGrid: 8,
    });
    // A portrait (non-square) chest film from the shared set.
    const image = await openImage(join(CXR_IMAGES, 'cohen-16745_4_1_png.jpg'));
    const frame = await image.decodeFrame(0);
    chest = { data: toModelGray(frame, image.metadata), width: frame.columns, height: frame.rows };
  });
  afterAll(async () => {
    await cam?.dispose();
    await occlusion?.dispose();
  });

  it('uses CAM when the manifest has it and occlusion otherwise', () => {
    expect(cam.heatmapMethod).toBe('class-activation');
    expect(occlusion.heatmapMethod).toBe('occlusion');
  });

  it.each([
    ['class-activation', () => cam],
    ['occlusion', () => occlusion],
  ])('%s grid is registered to the crop of a non-square image', async (method, engine) => {
    // Synthetic 360x500 portrait: crop = rows 40 + (460-360)/2 = 90 .. 450, all columns.
    const width = 360;
    const height = 500;
    const data = new Float32Array(width * height).map((_, i) => (i * 37) % 256);
    const result = scored(
      await engine().analyse({ gray: { data, width, height } }, { heatmaps: true }),
    );
    // A map for every class, all registered to the same crop.
    expect(Object.keys(result.heatmaps ?? {})).toEqual(result.labels);
    for (const map of Object.values(result.heatmaps ?? {})) {
      expect([map.originX, map.originY, map.gridWidth]).toEqual([0, 90, map.gridWidth]);
    }
    const grid = heatmapFor(result, 'COVID-19') as HeatmapGrid;
    const rule = engine().manifest.input.crop;
    if (rule.kind === 'lung-box-square') throw new Error('expected a whole-film crop rule');
    const crop = cropRect(width, height, rule);
    expect(crop).toEqual({ x: 0, y: 90, width: 360, height: 360 });
    expect(grid.method).toBe(method);
    expect(grid.label).toBe('COVID-19');
    expect(grid.originX).toBe(crop.x);
    expect(grid.originY).toBe(crop.y);
    expect(grid.cellWidth * grid.gridWidth).toBeCloseTo(crop.width, 9);
    expect(grid.cellHeight * grid.gridHeight).toBeCloseTo(crop.height, 9);
    expect([grid.imageWidth, grid.imageHeight]).toEqual([width, height]);
    expect(grid.values).toHaveLength(grid.gridWidth * grid.gridHeight);
    expect(Math.min(...grid.values)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...grid.values)).toBeLessThanOrEqual(1);
    expect(result.timing.heatmapMs).toBeGreaterThanOrEqual(0);
  });

  it.each([
    ['class-activation', () => cam],
    ['occlusion', () => occlusion],
  ])('%s map changes where the image was blanked', async (_method, engine) => {
    const options = { heatmaps: true };
    const before = heatmapFor(
      scored(await engine().analyse({ gray: chest }, options)),
      'COVID-19',
    ) as HeatmapGrid;
    // Blank (set to black) the source pixels of grid cells rows 2-3, columns 4-5.
    const blankRows = [2, 3];
    const blankCols = [4, 5];
    const blanked = chest.data.slice();
    const y0 = Math.ceil(before.originY + blankRows[0] * before.cellHeight);
    const y1 = before.originY + (blankRows[1] + 1) * before.cellHeight;
    const x0 = Math.ceil(before.originX + blankCols[0] * before.cellWidth);
    const x1 = before.originX + (blankCols[1] + 1) * before.cellWidth;
    for (let y = y0; y < y1; y++) for (let x = x0; x < x1; x++) blanked[y * chest.width + x] = 0;
    const after = heatmapFor(
      scored(await engine().analyse({ gray: { ...chest, data: blanked } }, options)),
      'COVID-19',
    ) as HeatmapGrid;

    let inside = 0;
    let outside = 0;
    let cellsInside = 0;
    for (let r = 0; r < before.gridHeight; r++) {
      for (let c = 0; c < before.gridWidth; c++) {
        const change = Math.abs(
          before.values[r * before.gridWidth + c] - after.values[r * before.gridWidth + c],
        );
        if (blankRows.includes(r) && blankCols.includes(c)) {
          inside += change;
          cellsInside++;
        } else {
          outside += change;
        }
      }
    }
    const meanInside = inside / cellsInside;
    const meanOutside = outside / (before.gridWidth * before.gridHeight - cellsInside);
    // The change concentrates in the blanked cells: on average at least twice that elsewhere.
    expect(meanInside).toBeGreaterThan(2 * meanOutside);
  });
});

describe('analyse', () => {
  it('returns probabilities in label order with threshold status, timing and provider', async () => {
    const engine = await createInferenceEngine({ modelDir, providers: ['cpu'] });
    try {
      const image = await openImage(join(CXR_IMAGES, 'cohen-16745_4_1_png.jpg'));
      const frame = await image.decodeFrame(0);
      const film = filmInputOf(frame, image.metadata);
      const result = scored(await engine.analyse(film, { heatmaps: false, decodeMs: 5 }));
      expect(result.labels).toEqual(engine.manifest.labels);
      expect(result.probabilities.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 5);
      expect(result.predictedLabel).toBe(
        result.labels[result.probabilities.indexOf(Math.max(...result.probabilities))],
      );
      expect(result.thresholdStatus).toBe(
        result.predictedProbability >= result.threshold ? 'above-threshold' : 'below-threshold',
      );
      expect(result.executionProvider).toBe('cpu');
      expect(result.heatmaps).toBeUndefined();
      expect(result.timing.decodeMs).toBe(5);
      expect(result.timing.totalMs).toBeGreaterThanOrEqual(result.timing.inferenceMs);
      // With heatmaps: the same scores, and one map per class (no map for a label it lacks).
      const mapped = scored(await engine.analyse(film, { heatmaps: true }));
      expect(mapped.probabilities).toEqual(result.probabilities);
      expect(Object.keys(mapped.heatmaps ?? {})).toEqual(result.labels);
      expect(heatmapFor(mapped)?.label).toBe(result.predictedLabel);
      expect(heatmapFor(mapped, 'flu')).toBeUndefined();
    } finally {
      await engine.dispose();
    }
  });
});
