/**
 * `evaluate --probe` with the bundled shortcut baseline on 12 shared images (4 per label). The
 * baseline's figures are checked against predictions made here by the Python reference
 * (training/shortcut_baseline.py), and the probe's flip control against the engine run here on
 * the flipped images.
 */
import { spawnSync } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openImage, toModelGray } from '../../imaging';
import { createInferenceEngine, type InferenceEngine } from '../../inference';
import { PYTHON, REPO_ROOT, SHARED_DATA, testModelDir } from '../../inference/test-support';
import { runEvaluation, type EvaluationReport } from '../evaluate';
import { CLASSES, writeSubsetManifest } from '../test-support';
import { loadShortcutBaseline } from './baseline';
import { FRAMING_TRANSFORMS, applyFramingTransform } from './framing';

let scratch: string;
let engine: InferenceEngine;
let chosen: Record<string, string>[];
let report: EvaluationReport;
const baselinePath = join(testModelDir(), 'shortcut_baseline.json');

beforeAll(async () => {
  scratch = await mkdtemp(join(tmpdir(), 'covidnet-audit-'));
  // Every 40th image of each label: a spread of sources.
  chosen = await writeSubsetManifest(scratch, (all) =>
    CLASSES.flatMap((label) =>
      all
        .filter((r) => r.label === label)
        .filter((_, i) => i % 40 === 0)
        .slice(0, 4),
    ),
  );
  engine = await createInferenceEngine({ modelDir: testModelDir(), providers: ['cpu'] });
  const outcome = await runEvaluation({
    manifestPath: join(scratch, 'manifest.csv'),
    outDir: join(scratch, 'out'),
    engine,
    shortcutBaseline: await loadShortcutBaseline(baselinePath),
    probe: true,
  });
  report = JSON.parse(await readFile(outcome.files[1], 'utf8')) as EvaluationReport;
}, 600_000);

afterAll(async () => {
  await engine?.dispose();
  await rm(scratch, { recursive: true, force: true });
});

describe('evaluate shortcut audit', () => {
  it('reports the no-anatomy baseline as the Python reference predicts it', () => {
    const script = [
      'import json, sys',
      `sys.path.insert(0, ${JSON.stringify(join(REPO_ROOT, 'training'))})`,
      'import numpy as np, shortcut_baseline as s',
      'b = json.load(open(sys.argv[1]))',
      'x = (np.array([s.features_for_file(p) for p in sys.argv[2:]]) - b["feature_mean"]) / b["feature_std"]',
      'label = (x @ np.array(b["label_weights"]).T + b["label_bias"]).argmax(1)',
      'source = (x @ np.array(b["source_weights"]).T + b["source_bias"]).argmax(1)',
      'print(json.dumps({"labels": [b["labels"][i] for i in label], "sources": [b["sources"][i] for i in source]}))',
    ].join('\n');
    const paths = chosen.map((r) => resolve(SHARED_DATA, 'cxr', r.file));
    const result = spawnSync(PYTHON, ['-c', script, baselinePath, ...paths], { encoding: 'utf8' });
    expect(result.status, result.stderr).toBe(0);
    const reference = JSON.parse(result.stdout) as { labels: string[]; sources: string[] };
    const correct = reference.labels.filter((l, i) => l === chosen[i].label).length;
    const sourceCorrect = reference.sources.filter((s, i) => s === chosen[i].source).length;
    const figures = report.shortcut_baseline;
    expect(figures).toBeDefined();
    expect(figures?.n).toBe(12);
    expect(figures?.accuracy).toBeCloseTo(correct / 12, 12);
    expect(figures?.source_accuracy).toBeCloseTo(sourceCorrect / 12, 12);
    const covidHits = reference.labels.filter(
      (l, i) => l === 'COVID-19' && chosen[i].label === 'COVID-19',
    );
    expect(figures?.per_class['COVID-19'].sensitivity).toBeCloseTo(covidHits.length / 4, 12);
    expect(figures?.covid_auc).not.toBeNull();
  });

  it('probes every framing change on the non-COVID images, with the flip control recomputed here', async () => {
    const probe = report.probe;
    expect(Object.keys(probe ?? {}).sort()).toEqual([...FRAMING_TRANSFORMS].sort());
    for (const t of FRAMING_TRANSFORMS) {
      // A reframed film the chest gate turns away is counted, not scored.
      expect((probe?.[t].n ?? 0) + (probe?.[t].rejected ?? 0)).toBe(8);
      expect(probe?.[t].label_changes).toBeGreaterThanOrEqual(0);
      expect(probe?.[t].label_changes).toBeLessThanOrEqual(8);
    }
    let delta = 0;
    let pairs = 0;
    for (const row of chosen.filter((r) => r.label !== 'COVID-19')) {
      const image = await openImage(resolve(SHARED_DATA, 'cxr', row.file));
      const frame = await image.decodeFrame(0);
      const gray = {
        data: toModelGray(frame, image.metadata),
        width: frame.columns,
        height: frame.rows,
      };
      // The whole pipeline (a lung-crop model re-segments the flipped film).
      const original = await engine.analyse({ gray }, { heatmaps: false });
      const flipped = await engine.analyse(
        { gray: applyFramingTransform(gray, 'hflip_control') },
        { heatmaps: false },
      );
      if (original.status !== 'scored') throw new Error(`${row.file} not scored`);
      if (flipped.status !== 'scored') continue; // counted as rejected by the probe
      delta += flipped.probabilities[2] - original.probabilities[2];
      pairs++;
    }
    expect(pairs).toBe(probe?.hflip_control.n);
    expect(probe?.hflip_control.mean_delta_p_covid).toBeCloseTo(delta / pairs, 6);
  });

  it('reports per-source, per-class sensitivity and the audit section in report.md', async () => {
    for (const [source, figures] of Object.entries(report.per_source)) {
      for (const label of CLASSES) {
        const n = chosen.filter((r) => r.source === source && r.label === label).length;
        expect(figures.per_class[label].n).toBe(n);
        if (n === 0) expect(figures.per_class[label].sensitivity).toBeNull();
      }
    }
    const markdown = await readFile(join(scratch, 'out', 'report.md'), 'utf8');
    expect(markdown).toMatch(/## Shortcut audit/);
    expect(markdown).toMatch(/### Framing probe/);
  });
});
