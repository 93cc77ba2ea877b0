/** The application menu. File and Help items are carried out by the renderer (app:menuCommand). */
import { Menu, type MenuItemConstructorOptions } from 'electron';
import type { MenuCommand } from '../../../shared/ipc/channels';

export function buildApplicationMenu(send: (command: MenuCommand) => void, isMac: boolean): Menu {
  const template: MenuItemConstructorOptions[] = [
    ...(isMac ? [{ role: 'appMenu' as const }] : []),
    {
      label: 'File',
      submenu: [
        { label: 'Open Files…', accelerator: 'CmdOrCtrl+O', click: () => send('open-files') },
        {
          label: 'Open Folder…',
          accelerator: 'CmdOrCtrl+Shift+O',
          click: () => send('open-folder'),
        },
        { type: 'separator' },
        {
          label: 'Screen Folder…',
          accelerator: 'CmdOrCtrl+Shift+S',
          click: () => send('screen-folder'),
        },
        { type: 'separator' },
        isMac ? { role: 'close' } : { role: 'quit' },
      ],
    },
    {
      label: 'View',
      submenu: [
        { role: 'reload' },
        { role: 'toggleDevTools' },
        { type: 'separator' },
        { role: 'resetZoom' },
        { role: 'zoomIn' },
        { role: 'zoomOut' },
        { type: 'separator' },
        { role: 'togglefullscreen' },
      ],
    },
    {
      label: 'Help',
      submenu: [
        { label: 'Model Card', click: () => send('show-model-card') },
        { label: 'About', click: () => send('show-about') },
      ],
    },
  ];
  return Menu.buildFromTemplate(template);
}
