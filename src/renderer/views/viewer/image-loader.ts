/**
 * The 'cxr' image loader: cornerstone image ids are `cxr:<libraryImageId>:<frame>`; pixels come
 * from main's one decode path (`image:load`), the same decode the model sees.
 */
import cornerstone, { type CornerstoneImage } from 'cornerstone-core';
import type { ImageMetadata } from '../../../shared/imaging';
import { call } from '../../base/ipc';
import { buildViewerImage, type ViewerImage } from './image-object';

export interface LoadedViewerImage extends ViewerImage {
  libraryImageId: string;
  frameIndex: number;
  metadata: ImageMetadata;
  /** What the decoder had to decide about this frame (e.g. pixel data not encapsulated). */
  decodeNotes: string[];
}

/** What the viewer needs beyond cornerstone's image, keyed by that image (no races, no leak). */
const loaded = new WeakMap<CornerstoneImage, LoadedViewerImage>();
let registered = false;

export function cornerstoneImageId(libraryImageId: string, frame: number): string {
  return `cxr:${libraryImageId}:${frame}`;
}

function parseImageId(imageId: string): { libraryImageId: string; frame: number } {
  const match = /^cxr:([A-Za-z0-9_-]+):(\d+)$/.exec(imageId);
  if (!match) throw new Error(`Not a cxr image id: ${imageId}`);
  return { libraryImageId: match[1], frame: Number(match[2]) };
}

export function registerCxrImageLoader(): void {
  if (registered) return;
  registered = true;
  cornerstone.registerImageLoader('cxr', (imageId) => ({
    promise: (async () => {
      const { libraryImageId, frame } = parseImageId(imageId);
      // User Timing marks (visible in DevTools, read by bench/viewer.bench.ts).
      const requested = performance.mark('cxr:load-requested');
      const reply = await call('image:load', { imageId: libraryImageId, frame });
      const received = performance.mark('cxr:load-received');
      const built = buildViewerImage(imageId, reply.metadata, reply.frame);
      const ready = performance.mark('cxr:image-built');
      performance.measure('cxr:image-load-ipc', requested.name, received.name);
      performance.measure('cxr:image-build', received.name, ready.name);
      loaded.set(built.image, {
        ...built,
        libraryImageId,
        frameIndex: frame,
        metadata: reply.metadata,
        decodeNotes: reply.frame.decodeNotes ?? [],
      });
      return built.image;
    })(),
  }));
}

/** Loads one frame and returns it with the metadata and display range the viewer needs. */
export async function loadViewerImage(
  libraryImageId: string,
  frame: number,
): Promise<LoadedViewerImage> {
  registerCxrImageLoader();
  // loadImage, not loadAndCacheImage: the image on screen is the only copy kept.
  const image = await cornerstone.loadImage(cornerstoneImageId(libraryImageId, frame));
  const entry = loaded.get(image);
  if (!entry) throw new Error('Image loaded but not recorded');
  return entry;
}
