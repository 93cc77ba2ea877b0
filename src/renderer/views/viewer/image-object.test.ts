import { describe, expect, it } from 'vitest';
import type { DecodedFrame, ImageMetadata } from '../../../shared/imaging';
import { buildViewerImage } from './image-object';

function metadata(overrides: Partial<ImageMetadata> = {}): ImageMetadata {
  return {
    sourceKind: 'dicom',
    rows: 2,
    columns: 3,
    numberOfFrames: 1,
    samplesPerPixel: 1,
    photometricInterpretation: 'MONOCHROME2',
    bitsAllocated: 16,
    bitsStored: 12,
    highBit: 11,
    pixelRepresentation: 0,
    rescaleSlope: 1,
    rescaleIntercept: 0,
    windows: [],
    ...overrides,
  };
}

function grayFrame(values: number[], extra: Partial<DecodedFrame> = {}): DecodedFrame {
  return {
    frameIndex: 0,
    rows: 2,
    columns: 3,
    kind: 'grayscale',
    modalityPixels: Float32Array.from(values),
    minValue: Math.min(...values),
    maxValue: Math.max(...values),
    ...extra,
  };
}

describe('buildViewerImage', () => {
  it('keeps integer modality values, with min/max from the frame and the first window', () => {
    const built = buildViewerImage(
      'cxr:a:0',
      metadata({ windows: [{ center: 40, width: 400 }] }),
      grayFrame([-1000, -10, 0, 50, 200, 3000]),
    );
    const { image } = built;
    expect(Array.from(image.getPixelData())).toEqual([-1000, -10, 0, 50, 200, 3000]);
    expect(image.getPixelData()).toBeInstanceOf(Int16Array);
    expect([image.minPixelValue, image.maxPixelValue, image.slope, image.intercept]).toEqual([
      -1000, 3000, 1, 0,
    ]);
    expect([image.windowCenter, image.windowWidth]).toEqual([40, 400]);
    expect(image.invert).toBe(false);
  });

  it('defaults to the full range and inverts MONOCHROME1', () => {
    const built = buildViewerImage(
      'x',
      metadata({ photometricInterpretation: 'MONOCHROME1' }),
      grayFrame([0, 10, 20, 30, 40, 1023]),
    );
    expect(built.image.invert).toBe(true);
    expect([built.image.windowCenter, built.image.windowWidth]).toEqual([511.5, 1023]);
    expect(built.image.getPixelData()).toBeInstanceOf(Uint16Array);
  });

  it('quantises float data with a slope/intercept that maps back to modality values', () => {
    const values = [0, 0.25, 0.5, 0.75, 1, 0.125];
    const { image } = buildViewerImage('x', metadata(), grayFrame(values));
    expect([image.minPixelValue, image.maxPixelValue]).toEqual([0, 65535]);
    const stored = image.getPixelData();
    for (let i = 0; i < values.length; i++) {
      expect(stored[i] * image.slope + image.intercept).toBeCloseTo(values[i], 4);
    }
  });

  it('paints padding with the value that displays black', () => {
    const mask = Uint8Array.from([1, 0, 0, 0, 0, 0]);
    const frame = grayFrame([9999, 10, 20, 30, 40, 50], {
      minValue: 10,
      maxValue: 50,
      paddingMask: mask,
    });
    expect(buildViewerImage('x', metadata(), frame).image.getPixelData()[0]).toBe(10);
    const mono1 = buildViewerImage(
      'x',
      metadata({ photometricInterpretation: 'MONOCHROME1' }),
      frame,
    );
    expect(mono1.image.getPixelData()[0]).toBe(50);
  });

  it('passes the VOI LUT through', () => {
    const voiLut = { length: 3, firstValueMapped: 0, bitsPerEntry: 8, data: [0, 128, 255] };
    const { image } = buildViewerImage('x', metadata({ voiLut }), grayFrame([0, 1, 2, 0, 1, 2]));
    expect(image.voiLUT).toEqual({ firstValueMapped: 0, numBitsPerEntry: 8, lut: [0, 128, 255] });
  });

  it('expands RGB to opaque RGBA', () => {
    const rgb = Uint8Array.from({ length: 18 }, (_, i) => i);
    const frame: DecodedFrame = {
      frameIndex: 0,
      rows: 2,
      columns: 3,
      kind: 'rgb',
      rgb,
      minValue: 0,
      maxValue: 255,
    };
    const { image } = buildViewerImage('x', metadata({ photometricInterpretation: 'RGB' }), frame);
    expect(image.color).toBe(true);
    expect(Array.from(image.getPixelData()).slice(0, 8)).toEqual([0, 1, 2, 255, 3, 4, 5, 255]);
  });
});
