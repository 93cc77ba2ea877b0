import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { LaunchQueue, MAX_LAUNCH_PATHS, launchPathsFrom, launchPathsFromArgv } from './launch-args';

const dir = mkdtempSync(join(tmpdir(), 'launch-args-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const film = join(dir, 'chest film.dcm');
const folder = join(dir, 'study');
writeFileSync(film, 'x');
mkdirSync(folder);

describe('launchPathsFromArgv', () => {
  it('packaged app (double-clicked file): argv[1] on is files; switches are dropped', () => {
    const argv = ['/opt/app/covidnet', '--no-sandbox', film, '-psn_0_12345', folder];
    expect(launchPathsFromArgv(argv, { cwd: '/', defaultApp: false })).toEqual({
      paths: [film, folder],
      ignored: [],
    });
  });

  it('`electron .` (defaultApp): the app path is not a file to open', () => {
    const argv = ['/usr/bin/electron', '.', film];
    expect(launchPathsFromArgv(argv, { cwd: dir, defaultApp: true }).paths).toEqual([film]);
  });

  it('relative paths resolve against the launching cwd (a second instance brings its own)', () => {
    const argv = ['app', 'chest film.dcm', './study', 'chest film.dcm'];
    expect(launchPathsFromArgv(argv, { cwd: dir, defaultApp: false }).paths).toEqual([
      film,
      folder,
    ]);
  });

  it('file URLs become paths; other URLs, missing files and NUL bytes are ignored with a reason', () => {
    const argv = [
      'app',
      pathToFileURL(film).href,
      'https://example.org/x.dcm',
      join(dir, 'missing.dcm'),
      'bad\0path',
    ];
    const result = launchPathsFromArgv(argv, { cwd: dir, defaultApp: false });
    expect(result.paths).toEqual([film]);
    expect(result.ignored.map((i) => i.reason)).toEqual([
      'not a local file',
      'does not exist',
      'not a usable path',
    ]);
  });

  it('after a bare `--` every argument is a file, even one starting with a dash', () => {
    const dashed = join(dir, '-dashed.dcm');
    writeFileSync(dashed, 'x');
    const argv = ['app', '--', '-dashed.dcm'];
    expect(launchPathsFromArgv(argv, { cwd: dir, defaultApp: false }).paths).toEqual([dashed]);
  });

  it('no arguments: nothing to open', () => {
    expect(launchPathsFromArgv(['app'], { cwd: dir, defaultApp: false })).toEqual({
      paths: [],
      ignored: [],
    });
  });
});

describe('launchPathsFrom (macOS open-file) and the queue', () => {
  it('validates one path like an argument', () => {
    expect(launchPathsFrom([film], '/').paths).toEqual([film]);
    expect(launchPathsFrom([join(dir, 'gone.dcm')], '/').paths).toEqual([]);
  });

  it('keeps at most MAX_LAUNCH_PATHS', () => {
    const many = Array.from({ length: MAX_LAUNCH_PATHS + 5 }, (_, i) => {
      const path = join(folder, `f${i}.dcm`);
      writeFileSync(path, 'x');
      return path;
    });
    const result = launchPathsFrom(many, '/');
    expect(result.paths).toHaveLength(MAX_LAUNCH_PATHS);
    expect(result.ignored).toHaveLength(5);
  });

  it('queue: push reports new paths only; take empties it', () => {
    const queue = new LaunchQueue();
    expect(queue.push([film, folder])).toBe(2);
    expect(queue.push([film])).toBe(0);
    expect(queue.take()).toEqual([film, folder]);
    expect(queue.take()).toEqual([]);
  });
});
