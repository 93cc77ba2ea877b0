/** Corner overlay lines (DOM-free). */
import type { ImageMetadata } from '../../../shared/imaging';

export interface OverlayState {
  windowCenter: number;
  windowWidth: number;
  usingVoiLut: boolean;
  scale: number;
  frameIndex: number;
  inverted: boolean;
}

/** DICOM dates are YYYYMMDD; shown as YYYY-MM-DD. */
export function formatDicomDate(value: string | undefined): string {
  if (!value) return '';
  const match = /^(\d{4})(\d{2})(\d{2})$/.exec(value.trim());
  return match ? `${match[1]}-${match[2]}-${match[3]}` : value;
}

/** DICOM person names use ^ between components. */
export function formatPersonName(value: string | undefined): string {
  if (!value) return '';
  return value
    .split('^')
    .map((part) => part.trim())
    .filter(Boolean)
    .join(', ');
}

function formatNumber(value: number): string {
  return Math.abs(value) >= 100 ? Math.round(value).toString() : value.toFixed(1);
}

export function overlayCorners(
  metadata: ImageMetadata,
  state: OverlayState,
): { topLeft: string[]; topRight: string[]; bottomLeft: string[]; bottomRight: string[] } {
  const sexAndBirth = [metadata.patientSex, formatDicomDate(metadata.patientBirthDate)]
    .filter(Boolean)
    .join('  ');
  return {
    topLeft: [
      formatPersonName(metadata.patientName) || 'Unnamed patient',
      metadata.patientId ? `ID ${metadata.patientId}` : '',
      sexAndBirth,
    ].filter(Boolean),
    topRight: [
      formatDicomDate(metadata.studyDate),
      [metadata.modality, metadata.viewPosition, metadata.laterality].filter(Boolean).join(' '),
      metadata.studyDescription ?? metadata.seriesDescription ?? '',
      metadata.lossyCompressed ? 'LOSSY COMPRESSED' : '',
    ].filter(Boolean),
    bottomLeft: [
      state.usingVoiLut
        ? 'VOI LUT (file)'
        : `W ${formatNumber(state.windowWidth)}  L ${formatNumber(state.windowCenter)}` +
          // The window's curve, when it is not the usual straight line (C.11.2.1.3).
          (metadata.voiLutFunction === 'SIGMOID' ? '  Sigmoid' : ''),
      `Zoom ${Math.round(state.scale * 100)}%${state.inverted ? '  Inverted' : ''}`,
    ],
    bottomRight: [
      `Frame ${state.frameIndex + 1} / ${metadata.numberOfFrames}`,
      `${metadata.columns} x ${metadata.rows}  ${metadata.photometricInterpretation}`,
    ],
  };
}
