/**
 * One film, one decode, one analysis: a film opened in the viewer is decoded once and analysed
 * once for the view, the prediction panel, a heatmap-class switch (every class's map comes with
 * the analysis) and a report export. Counted through the workstation's injected imaging and engine.
 */
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { heatmapFor } from '../../shared/analysis';
import { createTestPlatform } from '../../../e2e/harness/test-platform';
import * as imaging from '../imaging';
import { createInferenceEngine } from '../inference';
import { DICOM_DIR, scored, testModelDir } from '../inference/test-support';
import type { LibraryImaging } from '../library/library';
import { createWorkstation } from './workstation';

const FILM = join(DICOM_DIR, 'nih_cxr_dx_mono2_8bit_explicit_le.dcm');
const modelDir = (() => {
  try {
    const dir = testModelDir();
    return existsSync(join(dir, 'model.json')) ? dir : null;
  } catch {
    return null;
  }
})();

describe.skipIf(modelDir === null)('an open film', () => {
  const work = mkdtempSync(join(tmpdir(), 'one-analysis-test-'));
  const counts = { decodes: 0, analyses: 0 };
  const countingImaging: LibraryImaging = {
    readDicomdir: imaging.readDicomdir,
    async openImage(path) {
      const image = await imaging.openImage(path);
      return {
        metadata: image.metadata,
        decodeFrame: (index) => {
          counts.decodes++;
          return image.decodeFrame(index);
        },
      };
    },
  };
  const platform = createTestPlatform();
  const workstation = createWorkstation(platform, {
    storeDir: join(work, 'store'),
    modelDir: modelDir as string,
    intraOpThreads: 1,
    imaging: countingImaging,
    createEngine: async (options) => {
      const engine = await createInferenceEngine(options);
      return {
        ...engine,
        analyse: (film, analyseOptions) => {
          counts.analyses++;
          return engine.analyse(film, analyseOptions);
        },
      };
    },
  });
  const caller = { senderId: 'test' };
  const { handlers } = workstation;
  beforeAll(() => workstation.modelReady);
  afterAll(async () => {
    await workstation.dispose();
    rmSync(work, { recursive: true, force: true });
  });

  it('is decoded once and analysed once for view, predict, class switch and export', async () => {
    const snapshot = await handlers['library:addDropped']({ paths: [FILM] }, caller);
    const { imageId } = snapshot.patients[0].studies[0].series[0].images[0];
    expect(counts).toEqual({ decodes: 0, analyses: 0 });

    const view = await handlers['image:load']({ imageId, frame: 0 }, caller);
    const result = scored(
      await handlers['model:predict']({ imageId, frame: 0, heatmap: true }, caller),
    );
    // A class switch needs no request: every class's map came with the analysis.
    for (const label of result.labels) {
      const map = heatmapFor(result, label);
      expect(map?.label).toBe(label);
      expect(map?.values).toHaveLength((map?.gridWidth ?? 0) * (map?.gridHeight ?? 0));
    }
    // Asked again (e.g. without heatmaps), the kept analysis answers.
    const again = await handlers['model:predict']({ imageId, frame: 0, heatmap: false }, caller);
    expect(again).toBe(result);

    const folder = join(work, 'reports');
    mkdirSync(folder);
    platform.setNextPick([folder]);
    const exported = await handlers['report:export'](
      { imageId, frame: 0, kinds: ['sr', 'sc', 'pdf', 'encapsulated-pdf'] },
      caller,
    );
    expect(exported.files.length).toBeGreaterThanOrEqual(4);
    expect(readdirSync(folder).sort()).toEqual([...exported.files].sort());
    expect(counts).toEqual({ decodes: 1, analyses: 1 });
    // The viewer got the very frame the model saw.
    expect(view.frame.columns).toBe(result.lungs?.imageWidth ?? view.frame.columns);

    // Another frame size or another film is a new decode and a new analysis.
    await handlers['library:addDropped'](
      { paths: [join(DICOM_DIR, 'nih_cxr_dx_mono2_8bit_rle.dcm')] },
      caller,
    );
    const other = (await handlers['library:list']({}, caller)).patients
      .flatMap((p) => p.studies.flatMap((s) => s.series.flatMap((series) => series.images)))
      .find((image) => image.imageId !== imageId);
    if (!other) throw new Error('second film not listed');
    await handlers['model:predict']({ imageId: other.imageId, frame: 0, heatmap: true }, caller);
    expect(counts).toEqual({ decodes: 2, analyses: 2 });
  });
});
