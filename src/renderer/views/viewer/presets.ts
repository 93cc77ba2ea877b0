/**
 * Window presets. CR/DX values are not calibrated (no Hounsfield units), so for them each preset
 * is a window defined as fractions of the image's robust range [low, high] (0.5th..99.5th
 * percentile of non-padding values) measured along the display axis "0 = darkest, 1 = brightest"
 * (for MONOCHROME1 that axis runs from high to low stored values). CT in HU gets the classic
 * HU windows instead.
 *
 *   preset        centre  width   (fractions of the robust range)
 *   lung          0.40    0.70    lower half: lung parenchyma and vessels keep contrast
 *   mediastinum   0.70    0.50    upper half: heart, mediastinum, retrocardiac lung
 *   bone          0.82    0.30    brightest part, narrow: ribs, clavicles, spine
 *   default       the file's first VOI window (or VOI LUT); else the robust range
 *   full range    min..max of the data
 */
import type { DisplayRange } from './image-object';

export type PresetId = 'default' | 'lung' | 'mediastinum' | 'bone' | 'full';

export interface WindowLevel {
  center: number;
  width: number;
}

export const PRESETS: { id: PresetId; label: string; key: string; description: string }[] = [
  { id: 'default', label: 'Default', key: '1', description: 'the file’s own window' },
  {
    id: 'lung',
    label: 'Lung',
    key: '2',
    description: 'centre 40%, width 70% of the image’s range (CT: L −600 W 1500)',
  },
  {
    id: 'mediastinum',
    label: 'Mediastinum',
    key: '3',
    description: 'centre 70%, width 50% of the image’s range (CT: L 40 W 400)',
  },
  {
    id: 'bone',
    label: 'Bone',
    key: '4',
    description: 'centre 82%, width 30% of the image’s range (CT: L 400 W 1800)',
  },
  { id: 'full', label: 'Full range', key: '5', description: 'all values from min to max' },
];

const RELATIVE: Record<'lung' | 'mediastinum' | 'bone', { center: number; width: number }> = {
  lung: { center: 0.4, width: 0.7 },
  mediastinum: { center: 0.7, width: 0.5 },
  bone: { center: 0.82, width: 0.3 },
};

const HOUNSFIELD: Record<'lung' | 'mediastinum' | 'bone', WindowLevel> = {
  lung: { center: -600, width: 1500 },
  mediastinum: { center: 40, width: 400 },
  bone: { center: 400, width: 1800 },
};

export interface PresetContext {
  range: DisplayRange;
  /** MONOCHROME1: bright = low values. */
  invertedPhotometric: boolean;
  /** True for CT data in Hounsfield units. */
  hounsfield: boolean;
  /** The file's own window, when it has one. */
  fileWindow?: WindowLevel;
}

export function fullRangeWindow(range: DisplayRange): WindowLevel {
  return { center: (range.min + range.max) / 2, width: Math.max(range.max - range.min, 1) };
}

/** The window for a preset; null for 'default' when the file's VOI LUT should be used. */
export function windowForPreset(id: PresetId, context: PresetContext): WindowLevel {
  const { range } = context;
  if (id === 'full') return fullRangeWindow(range);
  if (id === 'default') {
    if (context.fileWindow) return context.fileWindow;
    return { center: (range.low + range.high) / 2, width: Math.max(range.high - range.low, 1) };
  }
  if (context.hounsfield) return HOUNSFIELD[id];
  const span = Math.max(range.high - range.low, 1);
  const fraction = RELATIVE[id];
  const center = context.invertedPhotometric
    ? range.high - fraction.center * span
    : range.low + fraction.center * span;
  return { center, width: Math.max(fraction.width * span, 1) };
}

/** Left-drag window/level: horizontal = width, vertical = centre; speed scales with the data. */
export function dragWindow(
  start: WindowLevel,
  dx: number,
  dy: number,
  range: DisplayRange,
): WindowLevel {
  const unitsPerPixel = Math.max(range.max - range.min, 1) / 512;
  return {
    center: start.center + dy * unitsPerPixel,
    width: Math.max(1, start.width + dx * unitsPerPixel),
  };
}
