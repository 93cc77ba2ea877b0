/**
 * A real PACS for the tests and the bench: Debian's Orthanc (1.10) started here with its own
 * temporary storage and config (HTTP and DICOM on free ports, remote access off, no credentials,
 * no plugins, only the modalities a test names), talked to through its REST API on 127.0.0.1,
 * and torn down after. Orthanc 1.10 has no DICOM bind option: its DICOM port listens on every
 * interface for the few seconds a test runs (on this machine only).
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const ORTHANC_BINARY =
  process.env.COVIDNET_ORTHANC ??
  ['/usr/sbin/Orthanc', '/usr/bin/Orthanc'].find(
    (path) => spawnSync(path, ['--version']).status === 0,
  ) ??
  null;

export const HAVE_ORTHANC = ORTHANC_BINARY !== null;

/** A port nobody listens on right now (the OS picks it). */
export async function freePort(): Promise<number> {
  return new Promise((resolvePort, rejectPort) => {
    const server = createServer();
    server.once('error', rejectPort);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolvePort(port));
    });
  });
}

export interface OrthancOptions {
  aeTitle?: string;
  /** Known modalities: name -> [AE title, host, port] (C-MOVE destinations, routing targets). */
  modalities?: Record<string, [string, string, number]>;
  /** Lua source (routing rules, a C-STORE filter). */
  lua?: string;
  /** Reuse an earlier instance's storage and ports (a "restart"). */
  storageDir?: string;
  dicomPort?: number;
  httpPort?: number;
}

export interface Orthanc {
  aeTitle: string;
  dicomPort: number;
  httpPort: number;
  storageDir: string;
  /** GET/POST/DELETE on its REST API; JSON in and out. */
  rest<T = unknown>(method: string, path: string, body?: unknown): Promise<T>;
  /** Uploads a Part 10 file; returns Orthanc's instance id. */
  upload(bytes: Uint8Array): Promise<string>;
  /** The stored file, as Orthanc keeps it. */
  instanceFile(instanceId: string): Promise<Uint8Array>;
  log(): string;
  /** Stops it; keeps the storage when `keepStorage` (for a restart). */
  stop(options?: { keepStorage?: boolean }): Promise<void>;
}

export async function startOrthanc(options: OrthancOptions = {}): Promise<Orthanc> {
  if (!ORTHANC_BINARY)
    throw new Error(
      'Orthanc is needed for the PACS tests and is not installed: apt-get install orthanc (.ci/run does)',
    );
  const configDir = await mkdtemp(join(tmpdir(), 'covidnet-orthanc-config-'));
  const storageDir = options.storageDir ?? (await mkdtemp(join(tmpdir(), 'covidnet-orthanc-')));
  const httpPort = options.httpPort ?? (await freePort());
  const dicomPort = options.dicomPort ?? (await freePort());
  const aeTitle = options.aeTitle ?? 'ORTHANC';
  const config = {
    Name: 'covidnet-test-pacs',
    StorageDirectory: storageDir,
    IndexDirectory: storageDir,
    HttpPort: httpPort,
    DicomPort: dicomPort,
    DicomAet: aeTitle,
    RemoteAccessAllowed: false,
    AuthenticationEnabled: false,
    RegisteredUsers: {},
    DicomCheckCalledAet: true,
    // Only the modalities we list may query, move or store (a foreign AE is refused).
    DicomAlwaysAllowEcho: false,
    DicomAlwaysAllowStore: false,
    DicomCheckModalityHost: true,
    DicomModalities: Object.fromEntries(
      Object.entries(options.modalities ?? {}).map(([name, [ae, host, port]]) => [
        name,
        {
          AET: ae,
          Host: host,
          Port: port,
          AllowEcho: true,
          AllowFind: true,
          AllowMove: true,
          AllowGet: true,
          AllowStore: true,
        },
      ]),
    ),
    Plugins: [],
    LuaScripts: options.lua ? [join(configDir, 'rules.lua')] : [],
    StableAge: 1,
    HttpServerEnabled: true,
    SaveJobs: false,
    ConcurrentJobs: 2,
    DicomScuTimeout: 30,
    OverwriteInstances: false,
  };
  await writeFile(join(configDir, 'orthanc.json'), JSON.stringify(config, null, 2));
  if (options.lua) await writeFile(join(configDir, 'rules.lua'), options.lua);

  let output = '';
  const child: ChildProcess = spawn(ORTHANC_BINARY, [join(configDir, 'orthanc.json')], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout?.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (output += d.toString()));
  const exited = new Promise<void>((resolveExit) => child.once('exit', () => resolveExit()));
  const base = `http://127.0.0.1:${httpPort}`;

  async function rest<T>(method: string, path: string, body?: unknown): Promise<T> {
    const response = await fetch(base + path, {
      method,
      body:
        body === undefined
          ? undefined
          : body instanceof Uint8Array
            ? Buffer.from(body)
            : typeof body === 'string'
              ? body
              : JSON.stringify(body),
    });
    const textBody = await response.text();
    if (!response.ok)
      throw new Error(`Orthanc ${method} ${path}: HTTP ${response.status} ${textBody}`);
    return (textBody ? JSON.parse(textBody) : null) as T;
  }

  for (let i = 0; ; i++) {
    if (child.exitCode !== null) throw new Error(`Orthanc exited at start:\n${output}`);
    try {
      await rest('GET', '/system');
      break;
    } catch {
      if (i > 200) {
        child.kill('SIGKILL');
        throw new Error(`Orthanc did not start:\n${output}`);
      }
      await new Promise((r) => setTimeout(r, 50));
    }
  }
  return {
    aeTitle,
    dicomPort,
    httpPort,
    storageDir,
    rest,
    async upload(bytes) {
      const reply = await rest<{ ID: string }>('POST', '/instances', bytes);
      return reply.ID;
    },
    async instanceFile(instanceId) {
      const response = await fetch(`${base}/instances/${instanceId}/file`);
      if (!response.ok) throw new Error(`Orthanc instance file: HTTP ${response.status}`);
      return new Uint8Array(await response.arrayBuffer());
    },
    log: () => output,
    async stop({ keepStorage = false } = {}) {
      if (child.exitCode === null) {
        child.kill('SIGTERM');
        const killer = setTimeout(() => child.kill('SIGKILL'), 10_000);
        await exited;
        clearTimeout(killer);
      }
      await rm(configDir, { recursive: true, force: true });
      if (!keepStorage) await rm(storageDir, { recursive: true, force: true });
    },
  };
}
