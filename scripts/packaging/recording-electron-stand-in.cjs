// RECORDING STAND-IN for the `electron` module, for the packaging check only. It is NOT Electron:
// no window, no renderer, no sandbox. It answers the calls the app's main entry makes at start and
// records them (windows and their options, URLs loaded, IPC handlers, session and web-contents
// hardening, menu), so the packaged main bundle can be started by plain Node and its wiring and
// packaged paths checked. Anything of Electron's it does not provide throws, naming what was used.
'use strict';
const { EventEmitter } = require('node:events');

const record = {
  calls: [],
  windows: [],
  ipcHandlers: new Map(),
  session: [],
  menus: [],
};
const appEvents = new EventEmitter();
let readyResolve;
const whenReadyPromise = new Promise((resolve) => (readyResolve = resolve));
let ready = false;
let nextWebContentsId = 1;

function note(what, detail) {
  record.calls.push(detail === undefined ? { what } : { what, detail });
}

class WebContentsStandIn extends EventEmitter {
  constructor() {
    super();
    this.id = nextWebContentsId++;
    this.windowOpenHandler = null;
    this.sent = [];
  }
  setWindowOpenHandler(handler) {
    this.windowOpenHandler = handler;
  }
  send(channel, payload) {
    this.sent.push({ channel, payload });
  }
  isDestroyed() {
    return false;
  }
}

class BrowserWindowStandIn extends EventEmitter {
  constructor(options) {
    super();
    this.webContents = new WebContentsStandIn();
    this.loadedUrls = [];
    this.shown = false;
    record.windows.push({ options: structuredClone(options), window: this });
    note('new BrowserWindow');
    // Electron emits this for every new web contents, before the constructor returns.
    appEvents.emit('web-contents-created', {}, this.webContents);
  }
  loadURL(url) {
    this.loadedUrls.push(url);
    return Promise.resolve();
  }
  show() {
    this.shown = true;
  }
  isMinimized() {
    return false;
  }
  isDestroyed() {
    return false;
  }
  restore() {}
  focus() {}
}

const app = {
  isPackaged: true,
  enableSandbox: () => note('app.enableSandbox'),
  requestSingleInstanceLock: () => (note('app.requestSingleInstanceLock'), true),
  quit: () => note('app.quit'),
  getVersion: () => process.env.STAND_IN_APP_VERSION ?? '0.0.0',
  getPath: (name) => {
    note('app.getPath', name);
    if (name !== 'userData') throw new Error(`stand-in app.getPath: no path for ${name}`);
    return process.env.STAND_IN_USER_DATA;
  },
  isReady: () => ready,
  whenReady: () => whenReadyPromise,
  on: (event, listener) => (note('app.on', event), appEvents.on(event, listener), app),
  once: (event, listener) => (note('app.once', event), appEvents.once(event, listener), app),
};

function sessionHook(name) {
  return (handler) => record.session.push({ name, handler });
}
const defaultSession = {
  setPermissionRequestHandler: sessionHook('setPermissionRequestHandler'),
  setPermissionCheckHandler: sessionHook('setPermissionCheckHandler'),
  setDevicePermissionHandler: sessionHook('setDevicePermissionHandler'),
  webRequest: {
    onBeforeRequest: sessionHook('webRequest.onBeforeRequest'),
    onHeadersReceived: sessionHook('webRequest.onHeadersReceived'),
  },
};

const standIn = {
  app,
  BrowserWindow: BrowserWindowStandIn,
  ipcMain: {
    handle(channel, listener) {
      if (record.ipcHandlers.has(channel)) throw new Error(`second handler for ${channel}`);
      record.ipcHandlers.set(channel, listener);
    },
    removeHandler(channel) {
      record.ipcHandlers.delete(channel);
    },
  },
  Menu: {
    buildFromTemplate: (template) => ({ template }),
    setApplicationMenu: (menu) => record.menus.push(menu),
  },
  session: { defaultSession },
  dialog: {
    showOpenDialog: () => Promise.resolve({ canceled: true, filePaths: [] }),
    showSaveDialog: () => Promise.resolve({ canceled: true }),
  },
};

/** Test side: fire 'ready' and read the record (not part of Electron's API). */
const control = {
  record,
  appEvents,
  becomeReady() {
    ready = true;
    readyResolve();
  },
};

module.exports = new Proxy(standIn, {
  get(target, key) {
    if (key === '__standInControl') return control;
    if (key in target) return target[key];
    if (key === '__esModule' || key === 'default' || typeof key === 'symbol') return undefined;
    throw new Error(`recording electron stand-in: electron.${String(key)} is not provided`);
  },
});
