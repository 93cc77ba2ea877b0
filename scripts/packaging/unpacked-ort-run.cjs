// Plain-Node half of the packaging check: loads onnxruntime-node from a laid-out app's
// app.asar.unpacked (never the repo's), opens every given graph, runs one input through one of
// them, and reports which onnxruntime native files this process actually mapped (Linux).
//   node unpacked-ort-run.cjs job.json   -> JSON on stdout
'use strict';
const { readFileSync, existsSync } = require('node:fs');
const { createRequire } = require('node:module');
const { join } = require('node:path');

async function main() {
  const job = JSON.parse(readFileSync(process.argv[2], 'utf8'));
  const unpackedRequire = createRequire(join(job.unpackedDir, 'package.json'));
  const ort = unpackedRequire('onnxruntime-node');
  const graphs = [];
  for (const graph of job.graphs) {
    const session = await ort.InferenceSession.create(graph);
    graphs.push({ graph, inputNames: session.inputNames, outputNames: session.outputNames });
    await session.release();
  }
  const { model, input, output, tensorFile, dims } = job.run;
  const session = await ort.InferenceSession.create(model, {
    executionProviders: ['cpu'],
    intraOpNumThreads: 1,
  });
  const bytes = readFileSync(tensorFile);
  const data = new Float32Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 4);
  const outputs = await session.run({ [input]: new ort.Tensor('float32', data, dims) }, [output]);
  await session.release();
  const maps = existsSync('/proc/self/maps') ? readFileSync('/proc/self/maps', 'utf8') : '';
  const mapped = [...new Set(maps.split('\n').map((line) => line.split(/\s+/)[5] ?? ''))].filter(
    (path) => /onnxruntime_binding\.node$|libonnxruntime[^/]*\.(so|dylib|dll)/.test(path),
  );
  process.stdout.write(
    JSON.stringify({
      ortModule: unpackedRequire.resolve('onnxruntime-node'),
      graphs,
      probabilities: Array.from(outputs[output].data),
      mapped,
    }),
  );
}

main().catch((error) => {
  process.stderr.write(`${error.stack ?? error}\n`);
  process.exit(1);
});
