/**
 * Framing transforms for the shortcut probe: changes that carry no anatomy (other aspect ratios,
 * a thin black border, downscale + JPEG recompression, and two degradations v4's training never
 * draws: bit-depth posterisation and unsharp-mask sharpening) and a horizontal flip as a control.
 * A model that reads lungs should barely move under them; one that reads the source's framing or
 * file history will.
 */
import jpeg from 'jpeg-js';
import type { GrayImage } from '../../inference/preprocess';

export const FRAMING_TRANSFORMS = [
  'crop_aspect_3x4',
  'crop_aspect_4x3',
  'black_border',
  'downscale_recompress',
  'posterize_4bit',
  'unsharp_sharpen',
  'hflip_control',
] as const;
export type FramingTransform = (typeof FRAMING_TRANSFORMS)[number];

/** Largest centred crop with width/height = aspect. */
function centreCropToAspect(image: GrayImage, aspect: number): GrayImage {
  let width = image.width;
  let height = Math.round(width / aspect);
  if (height > image.height) {
    height = image.height;
    width = Math.round(height * aspect);
  }
  const x0 = Math.floor((image.width - width) / 2);
  const y0 = Math.floor((image.height - height) / 2);
  const pixels = new Float32Array(width * height);
  for (let y = 0; y < height; y++) {
    pixels.set(
      image.data.subarray((y0 + y) * image.width + x0, (y0 + y) * image.width + x0 + width),
      y * width,
    );
  }
  return { data: pixels, width, height };
}

/** Adds a black frame 3% of the shorter side thick (at least 2 px) on every side. */
function addBlackBorder(image: GrayImage): GrayImage {
  const b = Math.max(2, Math.round(0.03 * Math.min(image.width, image.height)));
  const width = image.width + 2 * b;
  const height = image.height + 2 * b;
  const pixels = new Float32Array(width * height);
  for (let y = 0; y < image.height; y++) {
    pixels.set(image.data.subarray(y * image.width, (y + 1) * image.width), (y + b) * width + b);
  }
  return { data: pixels, width, height };
}

/** Box-average downscale by an integer factor. */
function downscale(image: GrayImage, factor: number): GrayImage {
  const width = Math.max(1, Math.floor(image.width / factor));
  const height = Math.max(1, Math.floor(image.height / factor));
  const pixels = new Float32Array(width * height);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      let sum = 0;
      for (let dy = 0; dy < factor; dy++) {
        for (let dx = 0; dx < factor; dx++)
          sum += image.data[(y * factor + dy) * image.width + x * factor + dx];
      }
      pixels[y * width + x] = sum / (factor * factor);
    }
  }
  return { data: pixels, width, height };
}

/** Round trip through a baseline JPEG at the given quality (decoded back to gray). */
export function recompressJpeg(image: GrayImage, quality: number): GrayImage {
  const rgba = new Uint8Array(image.width * image.height * 4);
  for (let i = 0; i < image.data.length; i++) {
    const v = Math.max(0, Math.min(255, Math.round(image.data[i])));
    rgba[4 * i] = v;
    rgba[4 * i + 1] = v;
    rgba[4 * i + 2] = v;
    rgba[4 * i + 3] = 255;
  }
  const encoded = jpeg.encode({ data: rgba, width: image.width, height: image.height }, quality);
  const decoded = jpeg.decode(encoded.data, { useTArray: true, formatAsRGBA: true });
  const pixels = new Float32Array(image.width * image.height);
  for (let i = 0; i < pixels.length; i++) {
    // PIL's RGB -> L luma, as the model's own preprocessing does.
    const r = decoded.data[4 * i];
    const g = decoded.data[4 * i + 1];
    const b = decoded.data[4 * i + 2];
    pixels[i] = Math.floor((r * 299 + g * 587 + b * 114 + 500) / 1000);
  }
  return { data: pixels, width: image.width, height: image.height };
}

/** 16 grey levels (4 bits), each pixel to the middle of its level: a scanner or export with low bit depth. */
export function posterize4bit(image: GrayImage): GrayImage {
  const pixels = new Float32Array(image.data.length);
  for (let i = 0; i < pixels.length; i++) {
    const v = Math.max(0, Math.min(255, Math.round(image.data[i])));
    pixels[i] = (v >> 4) * 16 + 8;
  }
  return { data: pixels, width: image.width, height: image.height };
}

/**
 * Unsharp mask (amount 1): v + (v - box blur), clamped to 0..255; the box radius is 1 px per 256 px
 * of the shorter side (at least 1), so the edge halo has the same size on the lungs at any resolution.
 */
export function unsharpSharpen(image: GrayImage): GrayImage {
  const { width, height, data } = image;
  const r = Math.max(1, Math.round(Math.min(width, height) / 256));
  // Separable box blur with edge clamping: rows, then columns.
  const rows = new Float32Array(data.length);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      let sum = 0;
      for (let d = -r; d <= r; d++)
        sum += data[y * width + Math.min(width - 1, Math.max(0, x + d))];
      rows[y * width + x] = sum / (2 * r + 1);
    }
  }
  const pixels = new Float32Array(data.length);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      let sum = 0;
      for (let d = -r; d <= r; d++)
        sum += rows[Math.min(height - 1, Math.max(0, y + d)) * width + x];
      const v = data[y * width + x];
      pixels[y * width + x] = Math.max(0, Math.min(255, 2 * v - sum / (2 * r + 1)));
    }
  }
  return { data: pixels, width, height };
}

function flipHorizontal(image: GrayImage): GrayImage {
  const pixels = new Float32Array(image.data.length);
  for (let y = 0; y < image.height; y++) {
    for (let x = 0; x < image.width; x++) {
      pixels[y * image.width + x] = image.data[y * image.width + image.width - 1 - x];
    }
  }
  return { data: pixels, width: image.width, height: image.height };
}

export function applyFramingTransform(image: GrayImage, transform: FramingTransform): GrayImage {
  switch (transform) {
    case 'crop_aspect_3x4':
      return centreCropToAspect(image, 3 / 4);
    case 'crop_aspect_4x3':
      return centreCropToAspect(image, 4 / 3);
    case 'black_border':
      return addBlackBorder(image);
    case 'downscale_recompress':
      return recompressJpeg(downscale(image, 2), 60);
    case 'posterize_4bit':
      return posterize4bit(image);
    case 'unsharp_sharpen':
      return unsharpSharpen(image);
    case 'hflip_control':
      return flipHorizontal(image);
  }
}
