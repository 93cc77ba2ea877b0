/**
 * Study-list thumbnails: made only when asked (the list asks for the rows on screen), by the
 * decode pool's workers so the thread answering IPC never decodes, and kept in a small cache.
 */
import type { Thumbnail } from '../../../shared/ipc/contract';
import type { GrayRaster } from '../../platform/imaging/downscale';
import { LruCache } from './lru-cache';

/** Decodes frame 0 of a file and fits it into maxSize x maxSize (a worker pool's `thumbnail`). */
export type RenderThumbnail = (path: string, maxSize: number) => Promise<GrayRaster>;

export class ThumbnailCache {
  private readonly cache: LruCache<string, Promise<Thumbnail>>;
  constructor(
    private readonly render: RenderThumbnail,
    capacity: number,
  ) {
    this.cache = new LruCache(capacity);
  }

  get(imageId: string, path: string, maxSize: number): Promise<Thumbnail> {
    const key = `${imageId}:${maxSize}`;
    let thumbnail = this.cache.get(key);
    if (!thumbnail) {
      thumbnail = this.render(path, maxSize).then((raster) => ({ imageId, ...raster }));
      // A failed thumbnail is not cached: the file may be fixed or reappear.
      thumbnail.catch(() => this.cache.delete(key));
      this.cache.set(key, thumbnail);
    }
    return thumbnail;
  }

  clear(): void {
    this.cache.clear();
  }
}
