/**
 * The layering rule as `npm run lint` applies it (the repo's eslint.config.mjs): an import planted
 * upward in src/main and in the renderer fails; the same import downward, and test support
 * importing anything, pass; production code importing a `testing/` folder fails.
 */
import { resolve } from 'node:path';
import { ESLint } from 'eslint';
import { describe, expect, it } from 'vitest';

const REPO = resolve(__dirname, '../..');
const eslint = new ESLint({ cwd: REPO });

/** The layer-rule messages for `code` as if it were the file at `path` (repo-relative). */
async function layerProblems(path: string, code: string): Promise<string[]> {
  const [result] = await eslint.lintText(code, { filePath: resolve(REPO, path) });
  return result.messages
    .filter((message) => message.ruleId === 'local/layers')
    .map((message) => message.message);
}

describe('the layer rule', () => {
  it('rejects an upward import planted in src/main', async () => {
    const problems = await layerProblems(
      'src/main/platform/imaging/planted.ts',
      "import { createWorkstation } from '../../app/workstation';\nexport const planted = createWorkstation;\n",
    );
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(/platform\/ must not import app\//);
    expect(
      await layerProblems(
        'src/main/base/planted.ts',
        "export { createLibrary } from '../features/library/library';\n",
      ),
    ).toHaveLength(1);
  });

  it('rejects an upward import planted in the renderer', async () => {
    const problems = await layerProblems(
      'src/renderer/base/planted.ts',
      "import { Viewer } from '../views/viewer/viewer';\nexport const planted = Viewer;\n",
    );
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(/base\/ must not import views\//);
  });

  it('accepts the same imports downward, and test support importing anything', async () => {
    expect(
      await layerProblems(
        'src/main/app/planted.ts',
        "import { createLibrary } from '../features/library/library';\nexport const planted = createLibrary;\n",
      ),
    ).toEqual([]);
    expect(
      await layerProblems(
        'src/renderer/app/planted.ts',
        "import { h } from '../base/dom';\nexport const planted = h;\n",
      ),
    ).toEqual([]);
    expect(
      await layerProblems(
        'src/main/platform/imaging/planted.test.ts',
        "import { createWorkstation } from '../../app/workstation';\nexport const planted = createWorkstation;\n",
      ),
    ).toEqual([]);
  });

  it('rejects production code importing test support, and a file in no layer', async () => {
    expect(
      await layerProblems(
        'src/main/platform/imaging/planted.ts',
        "export { DICOM_DIR } from '../dicom/testing/test-support';\n",
      ),
    ).toEqual(['Production code must not import test support (../dicom/testing/test-support).']);
    expect(await layerProblems('src/main/planted-room/x.ts', 'export const x = 1;\n')).toEqual([
      expect.stringMatching(/in no layer/),
    ]);
  });
});
