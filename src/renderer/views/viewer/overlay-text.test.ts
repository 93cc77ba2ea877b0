import { describe, expect, it } from 'vitest';
import type { ImageMetadata } from '../../../shared/imaging';
import { formatDicomDate, formatPersonName, overlayCorners } from './overlay-text';

describe('overlay text', () => {
  it('formats DICOM dates and names', () => {
    expect(formatDicomDate('20200321')).toBe('2020-03-21');
    expect(formatPersonName('Doe^Jane')).toBe('Doe, Jane');
  });
  it('lists patient, study, W/L, zoom and frame', () => {
    const metadata = {
      sourceKind: 'dicom',
      patientName: 'Doe^Jane',
      studyDate: '20200101',
      modality: 'CR',
      viewPosition: 'PA',
      rows: 10,
      columns: 20,
      numberOfFrames: 3,
      photometricInterpretation: 'MONOCHROME1',
      windows: [],
    } as unknown as ImageMetadata;
    const corners = overlayCorners(metadata, {
      windowCenter: 1024.4,
      windowWidth: 2048,
      usingVoiLut: false,
      scale: 0.5,
      frameIndex: 1,
      inverted: false,
    });
    expect(corners.topLeft[0]).toBe('Doe, Jane');
    expect(corners.topRight).toContain('CR PA');
    expect(corners.bottomLeft).toEqual(['W 2048  L 1024', 'Zoom 50%']);
    expect(corners.bottomRight[0]).toBe('Frame 2 / 3');
    const sigmoid = overlayCorners(
      { ...metadata, voiLutFunction: 'SIGMOID' },
      {
        windowCenter: 2000,
        windowWidth: 1500,
        usingVoiLut: false,
        scale: 1,
        frameIndex: 0,
        inverted: false,
      },
    );
    expect(sigmoid.bottomLeft[0]).toBe('W 1500  L 2000  Sigmoid');
  });
});
