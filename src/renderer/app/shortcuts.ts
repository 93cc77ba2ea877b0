/** Keyboard shortcuts: one table feeds both the key handler and the help overlay (DOM-free). */
export type CommandId =
  | 'openFiles'
  | 'openFolder'
  | 'fit'
  | 'oneToOne'
  | 'reset'
  | 'invert'
  | 'zoomIn'
  | 'zoomOut'
  | 'presetDefault'
  | 'presetLung'
  | 'presetMediastinum'
  | 'presetBone'
  | 'presetFull'
  | 'toggleHeatmap'
  | 'toggleLungs'
  | 'nextFrame'
  | 'previousFrame'
  | 'nextImage'
  | 'previousImage'
  | 'showViewer'
  | 'showScreening'
  | 'help'
  | 'closeOverlay';

export interface Shortcut {
  command: CommandId;
  keys: string[];
  description: string;
}

export const SHORTCUTS: Shortcut[] = [
  {
    command: 'openFiles',
    keys: ['Ctrl+O'],
    description: 'Open files (DICOM, DICOMDIR, PNG, JPEG)',
  },
  { command: 'openFolder', keys: ['Ctrl+Shift+O'], description: 'Open a folder' },
  { command: 'nextImage', keys: ['ArrowDown', 'N'], description: 'Next image in the study list' },
  {
    command: 'previousImage',
    keys: ['ArrowUp', 'P'],
    description: 'Previous image in the study list',
  },
  { command: 'nextFrame', keys: ['PageDown', 'ArrowRight'], description: 'Next frame' },
  { command: 'previousFrame', keys: ['PageUp', 'ArrowLeft'], description: 'Previous frame' },
  { command: 'fit', keys: ['F'], description: 'Fit the image to the window' },
  { command: 'oneToOne', keys: ['A'], description: 'Actual size (1 image pixel = 1 screen pixel)' },
  { command: 'zoomIn', keys: ['+', '='], description: 'Zoom in' },
  { command: 'zoomOut', keys: ['-'], description: 'Zoom out' },
  { command: 'reset', keys: ['R'], description: 'Reset zoom, pan, window and inversion' },
  { command: 'invert', keys: ['I'], description: 'Invert grey scale' },
  { command: 'presetDefault', keys: ['1'], description: 'Window: the file’s own (default)' },
  { command: 'presetLung', keys: ['2'], description: 'Window: lung' },
  { command: 'presetMediastinum', keys: ['3'], description: 'Window: mediastinum' },
  { command: 'presetBone', keys: ['4'], description: 'Window: bone' },
  { command: 'presetFull', keys: ['5'], description: 'Window: full data range' },
  { command: 'toggleHeatmap', keys: ['H'], description: 'Show or hide the model’s heatmap' },
  {
    command: 'toggleLungs',
    keys: ['L'],
    description: 'Show or hide the lung outline the segmenter found',
  },
  { command: 'showViewer', keys: ['V'], description: 'Viewer' },
  { command: 'showScreening', keys: ['S'], description: 'Batch screening' },
  { command: 'help', keys: ['?'], description: 'This list of shortcuts' },
  { command: 'closeOverlay', keys: ['Escape'], description: 'Close this list or a dialog' },
];

export interface KeyLike {
  key: string;
  ctrlKey: boolean;
  metaKey: boolean;
  shiftKey: boolean;
  altKey: boolean;
}

/** The key chord as written in SHORTCUTS ("Ctrl+Shift+O", "H", "?"). */
export function chordOf(event: KeyLike): string {
  const key = event.key.length === 1 ? event.key.toUpperCase() : event.key;
  const modifiers = [event.ctrlKey || event.metaKey ? 'Ctrl' : '', event.altKey ? 'Alt' : ''];
  // Shift is part of the printed character for symbols ("?", "+"); only named for letters.
  if (event.shiftKey && /^[A-Z]$/.test(key) && (event.ctrlKey || event.metaKey))
    modifiers.push('Shift');
  return [...modifiers.filter(Boolean), key].join('+');
}

export function commandForKey(event: KeyLike): CommandId | null {
  const chord = chordOf(event);
  // A bare Shift+letter is not a shortcut (keeps typing safe).
  if (event.shiftKey && /^[A-Z]$/.test(chord)) return null;
  const found = SHORTCUTS.find((shortcut) => shortcut.keys.includes(chord));
  return found ? found.command : null;
}
