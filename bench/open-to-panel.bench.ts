/**
 * Opening a film in the viewer, through the real main-side IPC handlers (no window): what the
 * renderer asks for between a click in the study list and a filled prediction panel, and what a
 * heatmap-class switch costs. Figures are printed, never asserted.
 *   - open -> panel: `image:load` (the viewer's frame) then `model:predict` with the heatmap,
 *     each film opened fresh (library caches cleared before it);
 *   - heatmap-class switch: what the renderer does when the user picks another class (it shows
 *     the map that came with the analysis; before, it asked `model:predict` again with the
 *     label, which decoded and analysed the film again);
 *   - `model:predict` asked again for the open film (it finds the analysis kept with the frame).
 * Films: the 15-bit CR (1955x1841, RLE), an 8-bit DX and a PNG-in-JPEG chest film.
 * Environment: COVIDNET_BENCH_MODEL_DIR (default: the bundled model).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createTestPlatform } from '../e2e/harness/test-platform';
import { createWorkstation } from '../src/main/app/workstation';
import { defaultModelDir } from '../src/main/inference';
import { heatmapFor } from '../src/shared/analysis';

const DATA = resolve(__dirname, '../../shared/data');
const FILMS = [
  join(DATA, 'dicom/wg04_rg1_chest_cr_mono1_15bit_rle.dcm'),
  join(DATA, 'dicom/nih_cxr_dx_mono2_8bit_explicit_le.dcm'),
  join(DATA, 'cxr/images/cohen-16745_4_1_png.jpg'),
];
const ROUNDS = 3;

function summary(values: number[]): string {
  const sorted = [...values].sort((a, b) => a - b);
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
  return `median ${at(0.5).toFixed(1).padStart(7)} ms   p95 ${at(0.95)
    .toFixed(1)
    .padStart(7)} ms   (min ${sorted[0].toFixed(1)}, n=${values.length})`;
}

export async function run(): Promise<void> {
  const scratch = await mkdtemp(join(tmpdir(), 'covidnet-bench-open-'));
  const modelDir = process.env['COVIDNET_BENCH_MODEL_DIR'] || defaultModelDir();
  const platform = createTestPlatform();
  const workstation = createWorkstation(platform, {
    storeDir: join(scratch, 'store'),
    modelDir,
    intraOpThreads: 2,
  });
  const { handlers, library } = workstation;
  const caller = { senderId: 'bench' };
  try {
    await workstation.modelReady;
    const info = await handlers['model:getInfo']({}, caller);
    const snapshot = await handlers['library:addDropped']({ paths: FILMS }, caller);
    const imageIds = snapshot.patients
      .flatMap((p) => p.studies)
      .flatMap((s) => s.series)
      .flatMap((s) => s.images)
      .map((image) => image.imageId);
    if (imageIds.length !== FILMS.length) throw new Error(`listed ${imageIds.length} films`);

    const load: number[] = [];
    const predict: number[] = [];
    const openToPanel: number[] = [];
    const switches: number[] = [];
    const again: number[] = [];
    for (let round = 0; round < ROUNDS + 1; round++) {
      for (const imageId of imageIds) {
        library.clearCaches();
        const started = performance.now();
        await handlers['image:load']({ imageId, frame: 0 }, caller);
        const loaded = performance.now();
        const result = await handlers['model:predict'](
          { imageId, frame: 0, heatmap: true },
          caller,
        );
        const done = performance.now();
        if (result.status !== 'scored') throw new Error(`not scored: ${result.gate.reason}`);
        // Every other class in turn, as the panel's class picker offers them: the renderer
        // shows the map that came with the analysis (src/renderer/app/app.ts showHeatmapOf).
        const switchTimes: number[] = [];
        for (const label of info.labels.filter((l) => l !== result.predictedLabel)) {
          const t = performance.now();
          if (!heatmapFor(result, label)) throw new Error(`no map for ${label}`);
          switchTimes.push(performance.now() - t);
        }
        // Asking again for the open film (a site-profile change, a report export) finds the
        // kept analysis.
        const t = performance.now();
        await handlers['model:predict']({ imageId, frame: 0, heatmap: true }, caller);
        const askedAgain = performance.now() - t;
        if (round === 0) continue; // warm-up
        load.push(loaded - started);
        predict.push(done - loaded);
        openToPanel.push(done - started);
        switches.push(...switchTimes);
        again.push(askedAgain);
      }
    }
    console.log(
      `model ${info.id} (${info.heatmapMethod}, ${info.provider.active}), ${FILMS.length} films x ${ROUNDS} rounds, main-side handlers`,
    );
    console.log(`  open -> panel (image:load + model:predict)   ${summary(openToPanel)}`);
    console.log(`    image:load                                 ${summary(load)}`);
    console.log(`    model:predict (heatmap)                    ${summary(predict)}`);
    console.log(`  heatmap-class switch (map kept; no IPC)       ${summary(switches)}`);
    console.log(`  model:predict again for the open film         ${summary(again)}`);
  } finally {
    await workstation.dispose();
    await rm(scratch, { recursive: true, force: true });
  }
}
