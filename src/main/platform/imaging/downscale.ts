/** Area-average downscaling of an 8-bit gray raster, for thumbnails. */

export interface GrayRaster {
  width: number;
  height: number;
  /** Row-major, one byte per pixel. */
  gray: Uint8Array;
}

/** Fits the raster into maxSize x maxSize, keeping the aspect ratio; never upscales. */
export function downscaleGray(source: GrayRaster, maxSize: number): GrayRaster {
  const scale = Math.min(1, maxSize / Math.max(source.width, source.height));
  const width = Math.max(1, Math.round(source.width * scale));
  const height = Math.max(1, Math.round(source.height * scale));
  if (width === source.width && height === source.height) {
    return { width, height, gray: source.gray.slice() };
  }
  const gray = new Uint8Array(width * height);
  const xStep = source.width / width;
  const yStep = source.height / height;
  for (let y = 0; y < height; y++) {
    const y0 = Math.floor(y * yStep);
    const y1 = Math.max(y0 + 1, Math.floor((y + 1) * yStep));
    for (let x = 0; x < width; x++) {
      const x0 = Math.floor(x * xStep);
      const x1 = Math.max(x0 + 1, Math.floor((x + 1) * xStep));
      let sum = 0;
      for (let sy = y0; sy < y1; sy++) {
        const row = sy * source.width;
        for (let sx = x0; sx < x1; sx++) sum += source.gray[row + sx];
      }
      gray[y * width + x] = Math.round(sum / ((y1 - y0) * (x1 - x0)));
    }
  }
  return { width, height, gray };
}
