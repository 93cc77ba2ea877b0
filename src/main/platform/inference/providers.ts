/** Execution provider order and thread defaults. */
import { availableParallelism } from 'node:os';
import type { ExecutionProviderName } from '../../../shared/prediction';

/**
 * Providers asked for, in order, on each platform. Each is tried alone: onnxruntime-node throws
 * for a provider it cannot load (no silent fallback), so the engine records why and moves on.
 */
export function platformProviderOrder(
  platform: NodeJS.Platform = process.platform,
): ExecutionProviderName[] {
  switch (platform) {
    case 'linux':
      return ['cuda', 'cpu'];
    case 'win32':
      return ['dml', 'cpu'];
    case 'darwin':
      return ['coreml', 'cpu'];
    default:
      return ['cpu'];
  }
}

/**
 * Default intra-op threads: all cores but one (that one keeps decoding the next image and the UI
 * responsive while the worker infers), capped at 4 because a small convnet at 224x224 gains
 * little from more threads and a workstation runs other work. On a 2-core machine this is 1.
 */
export function defaultIntraOpThreads(cores: number = availableParallelism()): number {
  return Math.max(1, Math.min(4, cores - 1));
}
