// Starts a packaged app's main entry with plain Node and the recording electron stand-in, then
// talks to it through the IPC handlers it registered, as the window would. Writes what happened
// to a JSON file for packaged-main.check.ts.
//   node run-packaged-main.cjs job.json
// job: { appRoot, resourcesPath, userData, samples: [paths], out }
'use strict';
const { readFileSync, writeFileSync } = require('node:fs');
const Module = require('node:module');
const { join } = require('node:path');

const job = JSON.parse(readFileSync(process.argv[2], 'utf8'));
const standInPath = require.resolve('./recording-electron-stand-in.cjs');

// Electron sets these for a packaged app.
process.resourcesPath = job.resourcesPath;
process.env.STAND_IN_USER_DATA = job.userData;

const resolveFilename = Module._resolveFilename;
Module._resolveFilename = function (request, ...rest) {
  return request === 'electron' ? standInPath : resolveFilename.call(this, request, ...rest);
};

/** The first imageId anywhere in a library snapshot. */
function firstImageId(value) {
  if (value === null || typeof value !== 'object') return null;
  if (typeof value.imageId === 'string') return value.imageId;
  for (const child of Object.values(value)) {
    const found = firstImageId(child);
    if (found) return found;
  }
  return null;
}

async function main() {
  const packageJson = JSON.parse(readFileSync(join(job.appRoot, 'package.json'), 'utf8'));
  const mainEntry = join(job.appRoot, packageJson.main);
  process.env.STAND_IN_APP_VERSION = packageJson.version;
  require(mainEntry);
  const { record, appEvents, becomeReady } = require(standInPath).__standInControl;
  const callsBeforeReady = record.calls.map((c) => c.what);
  becomeReady();
  await new Promise((resolve) => setTimeout(resolve, 0));

  const window = record.windows[0]?.window;
  const invoke = (channel, request, sender) => {
    const listener = record.ipcHandlers.get(channel);
    if (!listener) throw new Error(`no handler registered for ${channel}`);
    return listener(sender, request);
  };
  const trusted = window && {
    sender: { id: window.webContents.id },
    senderFrame: { url: window.loadedUrls[0], parent: null },
  };
  const replies = {};
  if (window) {
    replies.getInfo = await invoke('app:getInfo', {}, trusted);
    replies.untrusted = await invoke(
      'app:getInfo',
      {},
      {
        sender: { id: window.webContents.id + 100 },
        senderFrame: { url: 'https://example.invalid/', parent: null },
      },
    );
    replies.invalid = await invoke('image:load', { imageId: '', frame: -1 }, trusted);
    if (job.samples.length > 0) {
      const snapshot = await invoke('library:addDropped', { paths: job.samples }, trusted);
      replies.library = snapshot;
      const imageId = snapshot.ok ? firstImageId(snapshot.value) : null;
      if (imageId) {
        replies.predict = await invoke(
          'model:predict',
          { imageId, frame: 0, heatmap: false },
          trusted,
        );
      }
    }
  }

  const result = {
    mainEntry,
    callsBeforeReady,
    calls: record.calls,
    windows: record.windows.map(({ options, window: w }) => ({
      options,
      loadedUrls: w.loadedUrls,
      webContents: {
        listeners: w.webContents.eventNames(),
        hasWindowOpenHandler: typeof w.webContents.windowOpenHandler === 'function',
        windowOpenDecision: w.webContents.windowOpenHandler?.({ url: 'https://example.invalid/' }),
      },
      listeners: w.eventNames(),
    })),
    ipcChannels: [...record.ipcHandlers.keys()],
    session: record.session.map((s) => s.name),
    menus: record.menus.length,
    appListeners: appEvents.eventNames(),
    replies,
  };
  // Let the app shut down the way Electron would end it (disposes the workstation and its worker).
  appEvents.emit('will-quit');
  writeFileSync(job.out, JSON.stringify(result));
  setTimeout(() => process.exit(0), 500).unref();
}

main().catch((error) => {
  process.stderr.write(`${error.stack ?? error}\n`);
  process.exit(1);
});
