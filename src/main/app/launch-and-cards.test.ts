/**
 * The launched-with files and model-card links through the real IPC registration (validation
 * included): library:openLaunchFiles adds what the platform queued, as "Open files…" adds;
 * model:getCardById reads a known model folder's card by id and refuses anything like a path.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createDirectTransport } from '../base/ipc/direct-transport';
import { registerIpcHandlers } from '../base/ipc/register';
import { listModelFolders } from '../base/resources';
import type { Platform } from './platform';
import { readModelCardById } from './model-cards';
import { createWorkstation } from './workstation';

const dicomDir = resolve(__dirname, '../../../../shared/data/dicom');
const work = mkdtempSync(join(tmpdir(), 'launch-cards-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

function start(launchPaths: string[]) {
  let pending = [...launchPaths];
  const platform: Platform = {
    appVersion: '9.9.9',
    platform: 'test',
    pickFiles: async () => null,
    pickFolder: async () => null,
    pickSavePath: async () => null,
    emit: () => undefined,
    takeLaunchPaths: () => {
      const paths = pending;
      pending = [];
      return paths;
    },
  };
  const workstation = createWorkstation(platform, {
    storeDir: mkdtempSync(join(work, 'store-')),
    modelDir: join(work, 'no-model-here'),
  });
  const transport = createDirectTransport();
  registerIpcHandlers(transport, workstation.handlers);
  return {
    workstation,
    transport,
    queue: (paths: string[]) => pending.push(...paths),
  };
}

describe('library:openLaunchFiles', () => {
  const film = join(dicomDir, 'siim_cxr_cr_mono2_8bit_jpegbaseline.dcm');
  const app = start([film]);
  afterAll(() => app.workstation.dispose());

  it('adds the launched-with file once; the image then loads like one opened by dialog', async () => {
    const first = await app.transport.invoke('library:openLaunchFiles', {});
    expect(first.ok).toBe(true);
    if (!first.ok) return;
    expect(first.value.added).toBe(1);
    const images = first.value.snapshot.patients.flatMap((p) =>
      p.studies.flatMap((s) => s.series.flatMap((series) => series.images)),
    );
    expect(images.map((image) => image.displayName)).toEqual([
      'siim_cxr_cr_mono2_8bit_jpegbaseline.dcm',
    ]);
    const loaded = await app.transport.invoke('image:load', {
      imageId: images[0].imageId,
      frame: 0,
    });
    expect(loaded.ok && loaded.value.frame.rows).toBe(1024);
    const again = await app.transport.invoke('library:openLaunchFiles', {});
    expect(again.ok && again.value.added).toBe(0);
  });

  it('a file handed over later (second launch, macOS open-file) is added on the next call', async () => {
    const later = join(dicomDir, 'nih_cxr_dx_mono2_8bit_explicit_le.dcm');
    app.queue([later]);
    const reply = await app.transport.invoke('library:openLaunchFiles', {});
    expect(reply.ok && reply.value.added).toBe(1);
  });

  it('takes no request fields', async () => {
    const reply = await app.transport.invoke('library:openLaunchFiles', {
      paths: ['/etc/passwd'],
    } as unknown as Record<string, never>);
    expect(reply).toMatchObject({ ok: false, error: { code: 'INVALID_REQUEST' } });
  });
});

const bundled = listModelFolders();
const hasSegmenterCard = bundled.some((dir) => dir.endsWith('lungseg-unet-v1'));

describe('model:getCardById', () => {
  const app = start([]);
  afterAll(() => app.workstation.dispose());

  it.skipIf(!hasSegmenterCard)('reads the sibling card a model card links to', async () => {
    const reply = await app.transport.invoke('model:getCardById', { modelId: 'lungseg-unet-v1' });
    expect(reply.ok).toBe(true);
    if (!reply.ok) return;
    expect(reply.value.modelId).toBe('lungseg-unet-v1');
    expect(reply.value.markdown).toMatch(/Dice/);
  });

  it('refuses paths and traversal at the IPC boundary', async () => {
    for (const modelId of ['../lungseg-unet-v1', 'a/b', '..', '.hidden', '', 'x\\y']) {
      const reply = await app.transport.invoke('model:getCardById', { modelId });
      expect(reply, modelId).toMatchObject({ ok: false, error: { code: 'INVALID_REQUEST' } });
    }
  });

  it('an unknown model id is MODEL_NOT_FOUND', async () => {
    const reply = await app.transport.invoke('model:getCardById', { modelId: 'no-such-model' });
    expect(reply).toMatchObject({ ok: false, error: { code: 'MODEL_NOT_FOUND' } });
  });

  it('readModelCardById looks the id up among the folders given, never as a path', async () => {
    await expect(readModelCardById('lungseg-unet-v1', [])).rejects.toMatchObject({
      code: 'MODEL_NOT_FOUND',
    });
    await expect(readModelCardById('../x', bundled)).rejects.toMatchObject({
      code: 'INVALID_REQUEST',
    });
  });
});
