/** A lung segmenter on its own (no classifier): for tools that only need lung masks. */
import type { ExecutionProviderName } from '../../../../shared/prediction';
import { loadSegmenterManifest, verifyGraphChecksum } from '../manifest';
import { defaultIntraOpThreads, platformProviderOrder } from '../providers';
import { OrtWorkerClient } from '../worker-client';
import { segmenterFromManifest, type LungSegmenter } from './segmenter';

const SEGMENTER_SESSION = 'segmenter';

export async function createLungSegmenter(options: {
  modelDir: string;
  providers?: ExecutionProviderName[];
  intraOpThreads?: number;
}): Promise<{
  segmenter: LungSegmenter;
  provider: ExecutionProviderName;
  dispose(): Promise<void>;
}> {
  const loaded = await loadSegmenterManifest(options.modelDir);
  await verifyGraphChecksum(loaded);
  const requested = [...(options.providers ?? platformProviderOrder())];
  const client = new OrtWorkerClient();
  try {
    const ready = await client.init({
      type: 'init',
      session: SEGMENTER_SESSION,
      graphPath: loaded.graphPath,
      providers: requested.includes('cpu') ? requested : [...requested, 'cpu'],
      intraOpThreads: options.intraOpThreads ?? defaultIntraOpThreads(),
    });
    const segmenter = segmenterFromManifest(loaded, ready, (feeds, fetches) =>
      client.run(SEGMENTER_SESSION, feeds, fetches),
    );
    return { segmenter, provider: ready.active, dispose: () => client.terminate() };
  } catch (error) {
    await client.terminate();
    throw error;
  }
}
