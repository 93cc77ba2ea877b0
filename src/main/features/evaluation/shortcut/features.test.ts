import { spawnSync } from 'node:child_process';
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openImage, toModelGray } from '../../../platform/imaging';
import { CXR_IMAGES, PYTHON, REPO_ROOT } from '../../../platform/inference/testing/test-support';
import { shortcutFeatureNames, shortcutFeatures } from './features';
import { applyFramingTransform } from './framing';

// One image per source, of different sizes and aspect ratios.
const SAMPLES = [
  'nih-nofinding_00001280_004_png.jpg',
  'hannover-00870a9c_png.jpg',
  'cohen-000001-12_jpg.jpg',
  'actualmed-CR_1_2_840_113564_1722810170_20200320072856343530_1003000225002_png.jpg',
];

function pythonFeatures(paths: string[]): number[][] {
  const script = [
    'import json, sys',
    `sys.path.insert(0, ${JSON.stringify(join(REPO_ROOT, 'training'))})`,
    'import shortcut_baseline as s',
    'print(json.dumps([s.features_for_file(p) for p in sys.argv[1:]]))',
  ].join('\n');
  const result = spawnSync(PYTHON, ['-c', script, ...paths], { encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`python failed: ${result.stderr}`);
  return JSON.parse(result.stdout) as number[][];
}

async function typescriptFeatures(path: string): Promise<number[]> {
  const image = await openImage(path);
  const frame = await image.decodeFrame(0);
  const gray = toModelGray(frame, image.metadata);
  return shortcutFeatures(gray, frame.columns, frame.rows, statSync(path).size);
}

describe('shortcut baseline features', () => {
  it('match the Python reference (training/shortcut_baseline.py) on real images', async () => {
    const paths = SAMPLES.map((f) => join(CXR_IMAGES, f));
    const reference = pythonFeatures(paths);
    for (let i = 0; i < paths.length; i++) {
      const ours = await typescriptFeatures(paths[i]);
      expect(ours).toHaveLength(shortcutFeatureNames().length);
      ours.forEach((value, k) => {
        expect(value, `${SAMPLES[i]} ${shortcutFeatureNames()[k]}`).toBeCloseTo(reference[i][k], 9);
      });
    }
  });

  it('see a border where one was added', () => {
    const width = 64;
    const height = 48;
    const data = new Float32Array(width * height).fill(128);
    const framed = applyFramingTransform({ data, width, height }, 'black_border');
    const names = shortcutFeatureNames();
    const plain = shortcutFeatures(data, width, height, 1000);
    const bordered = shortcutFeatures(framed.data, framed.width, framed.height, 1000);
    const top = names.indexOf('top_mean');
    expect(plain[top]).toBeCloseTo(128 / 255, 6);
    expect(bordered[top]).toBeLessThan(0.05);
    expect(bordered[names.indexOf('fraction_black')]).toBeGreaterThan(0.05);
  });
});
