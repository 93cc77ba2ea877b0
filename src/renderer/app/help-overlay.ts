/** The '?' overlay listing every keyboard shortcut and mouse action. */
import { h } from '../base/dom';
import { SHORTCUTS } from './shortcuts';

const MOUSE_ACTIONS: [string, string][] = [
  ['Left drag', 'Window / level (left-right: width, up-down: level)'],
  ['Wheel', 'Zoom about the pointer'],
  ['Middle drag, Shift/Ctrl + left drag', 'Pan'],
  ['Drop files or folders', 'Add them to the study list'],
];

export function createHelpOverlay(): HTMLDialogElement {
  const rows = SHORTCUTS.map((shortcut) =>
    h('tr', {}, [
      h(
        'td',
        {},
        shortcut.keys.flatMap((key, index) => [index ? ' or ' : '', h('kbd', { text: key })]),
      ),
      h('td', { text: shortcut.description }),
    ]),
  );
  const mouseRows = MOUSE_ACTIONS.map(([action, effect]) =>
    h('tr', {}, [h('td', { text: action }), h('td', { text: effect })]),
  );
  const dialog = h('dialog', {
    className: 'modal help',
    attrs: { 'aria-label': 'Keyboard shortcuts', 'data-testid': 'help' },
  });
  dialog.append(
    h('div', { className: 'modal-head' }, [
      h('h2', { text: 'Keyboard and mouse' }),
      h('button', {
        className: 'btn',
        text: 'Close',
        attrs: { type: 'button' },
        on: { click: () => dialog.close() },
      }),
    ]),
    h('table', { className: 'shortcut-table' }, [h('tbody', {}, [...rows, ...mouseRows])]),
  );
  return dialog;
}
