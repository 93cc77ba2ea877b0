/**
 * Checks on the app as electron-builder laid it out (`--linux --dir`, stand-in Electron): what is
 * in app.asar, what must be real files beside it, the bundled resources, and the resolver plus
 * onnxruntime-node from the unpacked folder predicting a bundled sample with plain Node.
 */
import { createHash } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { lstatSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { extractFile, listPackage, statFile } from '@electron/asar';
import { describe, expect, inject, it } from 'vitest';
import { openImage, toModelGray } from '../../src/main/imaging';
import {
  createInferenceEngine,
  defaultModelDir,
  loadModelManifest,
  type ModelTensor,
} from '../../src/main/inference';
import { listModelFolders, locateResources, samplesDir } from '../../src/main/resources';
import { softmax } from '../../src/main/inference/trust';
import { REPO_ROOT } from './electron-builder-run';

const layout = inject('packagedApp');
const resourcesDir = layout.resourcesDir;
const asarPath = join(resourcesDir, 'app.asar');
const unpackedDir = join(resourcesDir, 'app.asar.unpacked');
/** Paths inside app.asar, without the leading slash. */
const asarEntries = new Set(listPackage(asarPath, { isPack: false }).map((p) => p.slice(1)));
const ORT_NATIVE_DIR = `node_modules/onnxruntime-node/bin/napi-v6/${process.platform}/${process.arch}`;

/** Every file under `dir`, as paths relative to it. */
function filesUnder(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) => relative(dir, join(entry.parentPath, entry.name)))
    .sort();
}

const sha256 = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');

describe('app.asar', () => {
  it('holds the whole electron-vite build (main, workers, preload, renderer) and package.json', () => {
    const built = filesUnder(join(REPO_ROOT, 'out')).filter((f) => !f.endsWith('.map'));
    expect(built).toEqual(expect.arrayContaining(['main/index.js', 'preload/index.js']));
    expect(built.some((f) => f.startsWith('renderer/') && f.endsWith('.html'))).toBe(true);
    for (const file of built) {
      expect(asarEntries.has(`out/${file}`), `out/${file} in app.asar`).toBe(true);
      expect(
        extractFile(asarPath, `out/${file}`).equals(readFileSync(join(REPO_ROOT, 'out', file))),
      ).toBe(true);
    }
    const manifest = JSON.parse(extractFile(asarPath, 'package.json').toString('utf8')) as {
      main: string;
    };
    expect(asarEntries.has(join(manifest.main))).toBe(true);
  });

  it('carries the runtime dependencies and none of the sources, tests or training code', () => {
    expect(asarEntries.has('node_modules/onnxruntime-node/package.json')).toBe(true);
    expect(asarEntries.has('node_modules/zod/package.json')).toBe(true);
    const topLevel = new Set([...asarEntries].map((p) => p.split('/')[0]));
    expect([...topLevel].sort()).toEqual(['node_modules', 'out', 'package.json']);
    expect([...asarEntries].filter((p) => p.endsWith('.map'))).toEqual([]);
    // Not runtime dependencies: the Electron binary package, build tools, test tools.
    for (const absent of ['electron', 'electron-builder', 'vitest', 'typescript', '@rollup']) {
      expect(asarEntries.has(`node_modules/${absent}`), absent).toBe(false);
    }
  });

  it('has no update machinery (offline clinics)', () => {
    expect(filesUnder(resourcesDir).filter((f) => /app-update\.yml$/.test(f))).toEqual([]);
    expect([...asarEntries].some((p) => p.startsWith('node_modules/electron-updater'))).toBe(false);
  });
});

describe('app.asar.unpacked', () => {
  it("has onnxruntime-node's native binding and shared library as real files, marked unpacked", () => {
    const native = filesUnder(join(unpackedDir, ORT_NATIVE_DIR));
    expect(native).toContain('onnxruntime_binding.node');
    expect(native.some((f) => /^libonnxruntime\.so/.test(f))).toBe(true);
    for (const file of native) {
      const inLayout = join(unpackedDir, ORT_NATIVE_DIR, file);
      expect(lstatSync(inLayout).isFile(), `${file} is a real file`).toBe(true);
      expect(sha256(readFileSync(inLayout))).toBe(
        sha256(readFileSync(join(REPO_ROOT, ORT_NATIVE_DIR, file))),
      );
      // The asar header must send Electron's loader to the unpacked copy.
      expect(statFile(asarPath, `${ORT_NATIVE_DIR}/${file}`)).toMatchObject({ unpacked: true });
    }
  });

  it("ships only this platform's onnxruntime binaries", () => {
    expect(readdirSync(join(unpackedDir, 'node_modules/onnxruntime-node/bin/napi-v6'))).toEqual([
      process.platform,
    ]);
    expect(
      readdirSync(join(unpackedDir, 'node_modules/onnxruntime-node/bin/napi-v6', process.platform)),
    ).toEqual([process.arch]);
  });
});

describe('resources beside app.asar', () => {
  it.each(['models', 'samples'])("%s/ is a byte-identical copy of the repository's", (folder) => {
    const source = join(REPO_ROOT, 'resources', folder);
    const copied = join(resourcesDir, folder);
    expect(filesUnder(copied)).toEqual(filesUnder(source));
    for (const file of filesUnder(source)) {
      expect(sha256(readFileSync(join(copied, file))), file).toBe(
        sha256(readFileSync(join(source, file))),
      );
    }
  });

  it('the resolver finds every bundled model folder and the samples in the layout', () => {
    expect(locateResources({ resourcesPath: resourcesDir })).toEqual({
      dir: resourcesDir,
      layout: 'packaged',
    });
    const repoModels = listModelFolders().map((dir) => relative(REPO_ROOT, dir));
    expect(repoModels.length).toBeGreaterThan(0);
    expect(listModelFolders({ resourcesPath: resourcesDir })).toEqual(
      repoModels.map((dir) => join(resourcesDir, relative('resources', dir))),
    );
    expect(samplesDir({ resourcesPath: resourcesDir })).toBe(join(resourcesDir, 'samples'));
  });
});

describe('plain Node: resolver + onnxruntime-node from app.asar.unpacked', () => {
  it('opens every bundled graph and predicts a bundled sample as the development build does', async () => {
    const modelDir = defaultModelDir({ resourcesPath: resourcesDir });
    expect(modelDir.startsWith(join(resourcesDir, 'models'))).toBe(true);
    const { manifest } = await loadModelManifest(modelDir);
    const sample = join(
      samplesDir({ resourcesPath: resourcesDir }),
      'siim_cxr_cr_mono2_8bit_jpegbaseline.dcm',
    );
    const image = await openImage(sample);
    const frame = await image.decodeFrame(0);
    const gray = {
      data: toModelGray(frame, image.metadata),
      width: frame.columns,
      height: frame.rows,
    };

    // Reference: the development engine (the repo's onnxruntime-node) on the packaged model.
    const engine = await createInferenceEngine({ modelDir, providers: ['cpu'], intraOpThreads: 1 });
    let tensor;
    let reference;
    try {
      // The whole pipeline (the default model crops to the lungs its segmenter finds).
      const seen: { tensor: ModelTensor | null } = { tensor: null };
      const outcome = await engine.analyse(
        { gray },
        { heatmaps: false, inspect: (stages) => (seen.tensor = stages.tensor) },
      );
      if (outcome.status !== 'scored' || !seen.tensor) {
        throw new Error(
          `sample not scored: ${outcome.status === 'rejected' ? outcome.gate.reason : 'no tensor'}`,
        );
      }
      tensor = seen.tensor;
      reference = outcome;
    } finally {
      await engine.dispose();
    }

    // Every model folder's graph (classifiers and the lung segmenter alike).
    const graphs: string[] = [];
    for (const dir of listModelFolders({ resourcesPath: resourcesDir })) {
      const { file } = JSON.parse(readFileSync(join(dir, 'model.json'), 'utf8')) as {
        file: string;
      };
      graphs.push(join(dir, file));
    }
    const tensorFile = join(layout.workDir, 'tensor.f32');
    writeFileSync(
      tensorFile,
      Buffer.from(tensor.data.buffer, tensor.data.byteOffset, tensor.data.byteLength),
    );
    const jobFile = join(layout.workDir, 'ort-job.json');
    writeFileSync(
      jobFile,
      JSON.stringify({
        unpackedDir,
        graphs,
        run: {
          model: join(modelDir, manifest.file),
          input: manifest.input.name,
          // A calibrated model's probabilities are softmax(logits / T), applied by the engine.
          output: manifest.calibration
            ? (manifest.outputs.logits ?? manifest.outputs.probabilities)
            : manifest.outputs.probabilities,
          tensorFile,
          dims: tensor.dims,
        },
      }),
    );
    // Plain Node, started outside the repo, so nothing can resolve to the repo's node_modules.
    const stdout = execFileSync(
      process.execPath,
      [join(__dirname, 'unpacked-ort-run.cjs'), jobFile],
      {
        cwd: layout.workDir,
        encoding: 'utf8',
        // Not the app (no engine here), so the telemetry switch the engine sets is set by hand.
        env: { PATH: process.env['PATH'] ?? '', ORT_DISABLE_TELEMETRY: '1' },
      },
    );
    const result = JSON.parse(stdout) as {
      ortModule: string;
      graphs: { graph: string; inputNames: string[] }[];
      probabilities: number[];
      mapped: string[];
    };
    expect(result.ortModule.startsWith(join(unpackedDir, 'node_modules/onnxruntime-node/'))).toBe(
      true,
    );
    expect(result.graphs.map((g) => g.graph)).toEqual(graphs);
    expect(
      result.graphs.find((g) => g.graph === join(modelDir, manifest.file))?.inputNames,
    ).toEqual([manifest.input.name]);
    // The native binding and libonnxruntime that ran are the unpacked copies.
    expect(result.mapped.length).toBeGreaterThanOrEqual(2);
    for (const path of result.mapped)
      expect(path.startsWith(join(unpackedDir, ORT_NATIVE_DIR)), path).toBe(true);

    const probabilities = manifest.calibration
      ? softmax(result.probabilities, manifest.calibration.temperature)
      : result.probabilities;
    expect(probabilities).toHaveLength(manifest.labels.length);
    expect(probabilities.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 4);
    probabilities.forEach((p, i) => expect(p).toBeCloseTo(reference.probabilities[i], 5));
  });
});
