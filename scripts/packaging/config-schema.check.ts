/**
 * electron-builder validates the whole configuration, including the sections of targets that
 * cannot be built here (NSIS, dmg, deb, AppImage): the same offline `--dir` run as the layout,
 * with one unknown key planted in a section, must fail and name that key. The layout built by the
 * global setup is the control: the unplanted config passes.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, inject, it } from 'vitest';
import { runElectronBuilderDir } from './electron-builder-run';

const layout = inject('packagedApp');

describe('electron-builder.yml schema check', () => {
  it('the configuration as committed passes (the layout exists)', () => {
    expect(existsSync(join(layout.resourcesDir, 'app.asar'))).toBe(true);
  });

  it('a planted unknown key fails the schema check; a known key in its place passes it', () => {
    const planted = runElectronBuilderDir(layout.electronDist, join(layout.workDir, 'planted'), {
      'nsis.plantedUnknownKey': 'true',
    });
    expect(planted.status).not.toBe(0);
    expect(planted.output).toContain('Invalid configuration object');
    expect(planted.output).toContain('- configuration.nsis should be');

    // Control: a real nsis key passes validation; the run then stops at the next step, on purpose,
    // because the Electron distribution it names does not exist.
    const missingDist = join(layout.workDir, 'no-such-electron-dist');
    const control = runElectronBuilderDir(missingDist, join(layout.workDir, 'control'), {
      'nsis.oneClick': 'false',
    });
    expect(control.status).not.toBe(0);
    expect(control.output).not.toContain('Invalid configuration object');
    expect(control.output).toContain(`The specified electronDist does not exist: ${missingDist}`);
  });

  it('every platform section is checked, not only the one being built', () => {
    const sections = ['nsis', 'win', 'dmg', 'mac', 'deb', 'appImage', 'linux'];
    const outputDir = join(layout.workDir, 'planted-all');
    const run = runElectronBuilderDir(
      layout.electronDist,
      outputDir,
      Object.fromEntries(sections.map((section) => [`${section}.plantedUnknownKey`, 'true'])),
    );
    expect(run.status).not.toBe(0);
    // With several errors electron-builder names each rejected section (the log repeats them).
    const rejected = new Set(
      [...run.output.matchAll(/- configuration\.(\w+) should be/g)].map((m) => m[1]),
    );
    expect([...rejected].sort()).toEqual([...sections].sort());
    expect(existsSync(join(outputDir, 'linux-unpacked'))).toBe(false);
  });
});
