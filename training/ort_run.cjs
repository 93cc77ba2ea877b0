// Run an ONNX graph with onnxruntime-node (there is no onnxruntime for Python here).
// Usage: node training/ort_run.cjs MODEL.onnx INPUT.f32 N,C,H,W OUT_DIR [INPUT_NAME]
// Reads raw little-endian float32 input, writes OUT_DIR/<output>.f32 and OUT_DIR/meta.json
// ({ <output>: dims }). 2 intra-op threads, as the app uses.
'use strict';
const fs = require('fs');
const path = require('path');
const ort = require(path.join(__dirname, '..', 'node_modules', 'onnxruntime-node'));

async function main() {
  const [modelPath, inputPath, dimsArg, outDir, inputName = 'image'] = process.argv.slice(2);
  const dims = dimsArg.split(',').map(Number);
  const buf = fs.readFileSync(inputPath);
  const data = new Float32Array(buf.buffer, buf.byteOffset, buf.byteLength / 4);
  const session = await ort.InferenceSession.create(modelPath, { intraOpNumThreads: 2 });
  const out = await session.run({ [inputName]: new ort.Tensor('float32', Float32Array.from(data), dims) });
  fs.mkdirSync(outDir, { recursive: true });
  const meta = {};
  for (const [name, tensor] of Object.entries(out)) {
    meta[name] = tensor.dims;
    const arr = tensor.data;
    fs.writeFileSync(path.join(outDir, `${name}.f32`), Buffer.from(arr.buffer, arr.byteOffset, arr.byteLength));
  }
  fs.writeFileSync(path.join(outDir, 'meta.json'), JSON.stringify(meta));
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
