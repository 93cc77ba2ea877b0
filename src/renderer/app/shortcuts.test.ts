import { describe, expect, it } from 'vitest';
import { commandForKey, SHORTCUTS } from './shortcuts';

const key = (
  k: string,
  mods: Partial<{ ctrlKey: boolean; shiftKey: boolean; metaKey: boolean; altKey: boolean }> = {},
) => ({
  key: k,
  ctrlKey: false,
  shiftKey: false,
  metaKey: false,
  altKey: false,
  ...mods,
});

describe('shortcuts', () => {
  it('maps keys to commands', () => {
    expect(commandForKey(key('h'))).toBe('toggleHeatmap');
    expect(commandForKey(key('l'))).toBe('toggleLungs');
    expect(commandForKey(key('o', { ctrlKey: true }))).toBe('openFiles');
    expect(commandForKey(key('O', { ctrlKey: true, shiftKey: true }))).toBe('openFolder');
    expect(commandForKey(key('?', { shiftKey: true }))).toBe('help');
    expect(commandForKey(key('PageDown'))).toBe('nextFrame');
    expect(commandForKey(key('H', { shiftKey: true }))).toBeNull();
    expect(commandForKey(key('q'))).toBeNull();
  });
  it('never binds one chord twice', () => {
    const chords = SHORTCUTS.flatMap((s) => s.keys);
    expect(new Set(chords).size).toBe(chords.length);
  });
});
