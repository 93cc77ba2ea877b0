/**
 * Writes a model's drift reference, `drift-reference.json` in its folder: what the app's own
 * pipeline (decode -> chest gate -> segmenter -> crop -> classifier -> calibration -> verdict)
 * says of each film of the calibration split -- gate rejection, probabilities, unfamiliar flag,
 * feature distance. `covidnet drift` and the app's drift view compare recent films with it.
 * Run it again whenever the model's graph or its trust statistics change (fit_trust.ts):
 *
 *   npx tsx training/drift_reference.ts --model resources/models/<model> \
 *       [--manifest training/splits/calib.csv]
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { parse } from 'csv-parse/sync';
import {
  DRIFT_REFERENCE_FILE,
  driftReferenceJson,
  observeFiles,
  type DriftReferenceFile,
} from '../src/main/drift';
import { createInferenceEngine } from '../src/main/inference';

const REPO_ROOT = resolve(__dirname, '..');

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      model: { type: 'string' },
      manifest: { type: 'string', default: 'training/splits/calib.csv' },
    },
  });
  if (!values.model) throw new Error('usage: --model DIR [--manifest training/splits/calib.csv]');
  const manifest = resolve(values.manifest);
  const rows = parse(readFileSync(manifest, 'utf8'), { columns: true, skip_empty_lines: true }) as {
    file: string;
  }[];
  const paths = rows.map((row) => resolve(dirname(manifest), row.file));
  const engine = await createInferenceEngine({ modelDir: resolve(values.model) });
  try {
    const started = performance.now();
    const observed = await observeFiles(engine, paths, (done, total) => {
      if (done % 100 === 0 || done === total) process.stderr.write(`${done}/${total} films\n`);
    });
    const source = relative(REPO_ROOT, manifest);
    const reference: DriftReferenceFile = {
      format: 1,
      modelId: engine.manifest.id,
      modelSha256: engine.manifest.sha256,
      createdAt: new Date().toISOString(),
      generator: `npx tsx training/drift_reference.ts --model ${relative(REPO_ROOT, engine.modelDir)} --manifest ${source}`,
      source,
      labels: [...engine.manifest.labels],
      films: { listed: paths.length, unreadable: observed.unreadable.length },
      observations: observed.observations,
    };
    const out = join(engine.modelDir, DRIFT_REFERENCE_FILE);
    writeFileSync(out, driftReferenceJson(reference));
    const rejected = observed.observations.filter((o) => o.rejected).length;
    const unfamiliar = observed.observations.filter((o) => o.unfamiliar === true).length;
    console.log(
      `Wrote ${relative(REPO_ROOT, out)}: ${observed.observations.length} films (${rejected} turned away by the gate, ` +
        `${unfamiliar} unfamiliar), ${observed.unreadable.length} unreadable, in ${((performance.now() - started) / 1000).toFixed(0)} s`,
    );
  } finally {
    await engine.dispose();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
