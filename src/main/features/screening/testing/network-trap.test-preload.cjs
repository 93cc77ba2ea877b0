// Test preload (node --require): records and blocks every way a process could open a network
// connection, in the main thread and in every worker thread (preloads run in workers too).
// Each thread appends {"installed": true} to $COVIDNET_NETWORK_TRAP_LOG, each blocked attempt
// {"attempt": what}. Connections to a filesystem path (Unix socket / named pipe) are local IPC,
// not network: they are logged as {"local": path} and allowed (tsx's dev loader uses one).
'use strict';
const fs = require('node:fs');
const { threadId } = require('node:worker_threads');

const log = process.env.COVIDNET_NETWORK_TRAP_LOG;
const record = (entry) => {
  if (log) fs.appendFileSync(log, `${JSON.stringify({ pid: process.pid, threadId, ...entry })}\n`);
};
const blocked = (what) =>
  function networkTrap() {
    record({ attempt: what, stack: new Error().stack.split('\n').slice(2, 5).join(' / ') });
    throw new Error(`network access attempted (${what})`);
  };

/** The path of a connect() call to a Unix socket / pipe, or null for a network endpoint. */
function localPath(args) {
  const first = Array.isArray(args[0]) ? args[0][0] : args[0];
  if (typeof first === 'string' && Number.isNaN(Number(first))) return first;
  if (first && typeof first === 'object' && typeof first.path === 'string') return first.path;
  return null;
}
const allowLocalOnly = (what, original) =>
  function trappedConnect(...args) {
    const path = localPath(args);
    if (path === null) return blocked(what).apply(this, args);
    record({ local: path });
    return original.apply(this, args);
  };

const net = require('node:net');
const dns = require('node:dns');
const http = require('node:http');
const https = require('node:https');
const tls = require('node:tls');

net.Socket.prototype.connect = allowLocalOnly('net.Socket.connect', net.Socket.prototype.connect);
net.connect = net.createConnection = allowLocalOnly('net.connect', net.connect);
tls.connect = blocked('tls.connect');
// An IP literal resolves without any lookup (net.Server.listen(port, '127.0.0.1') goes through here).
const originalLookup = dns.lookup;
dns.lookup = function trappedLookup(hostname, ...rest) {
  if (typeof hostname === 'string' && net.isIP(hostname) !== 0)
    return originalLookup.call(this, hostname, ...rest);
  return blocked('dns.lookup').call(this, hostname, ...rest);
};
dns.resolve = blocked('dns.resolve');
dns.promises.lookup = blocked('dns.promises.lookup');
http.request = http.get = blocked('http.request');
https.request = https.get = blocked('https.request');
globalThis.fetch = blocked('fetch');
if (globalThis.WebSocket) globalThis.WebSocket = blocked('WebSocket');
// Listening is not blocked (the DICOM receiver listens) but logged: {"listen": "host:port" or a
// pipe path; "*" = every interface} and each accepted peer as {"accepted": remote address}.
function listenTarget(args) {
  const [first, second] = args;
  if (first && typeof first === 'object')
    return first.path ?? `${first.host ?? '*'}:${first.port ?? 0}`;
  if (typeof first === 'string' && Number.isNaN(Number(first))) return first;
  return `${typeof second === 'string' ? second : '*'}:${first ?? 0}`;
}
const originalListen = net.Server.prototype.listen;
net.Server.prototype.listen = function trappedListen(...args) {
  record({ listen: listenTarget(args) });
  this.on('connection', (socket) => record({ accepted: socket.remoteAddress ?? null }));
  return originalListen.apply(this, args);
};
record({ installed: true });
