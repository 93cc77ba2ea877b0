// tfjs layers model (as shipped by nsfwjs: model.min.js + group1-shard1of1.min.js, base64 text) ->
// <out>.json (topology + per-weight name, shape, offset) and <out>.f32 (dequantised float32:
// v = min + scale * q, as tfjs's io.decodeWeights does for uint8 quantisation).
const { readFileSync, writeFileSync } = require('node:fs');
const { join } = require('node:path');

const [modelDir, out] = process.argv.slice(2);
if (!modelDir || !out) throw new Error('usage: unpack_tfjs_weights.cjs <model dir> <out prefix>');
const model = require(join(process.cwd(), modelDir, 'model.min.js'));
const shard = Buffer.from(require(join(process.cwd(), modelDir, 'group1-shard1of1.min.js')), 'base64');
const entries = [];
const values = [];
let read = 0;
let written = 0;
for (const spec of model.weightsManifest.flatMap((group) => group.weights)) {
  const count = spec.shape.reduce((a, b) => a * b, 1);
  const q = spec.quantization;
  const data = new Float32Array(count);
  if (!q) {
    data.set(new Float32Array(shard.buffer.slice(shard.byteOffset + read, shard.byteOffset + read + 4 * count)));
    read += 4 * count;
  } else if (q.dtype === 'uint8') {
    for (let i = 0; i < count; i++) data[i] = q.min + q.scale * shard[read + i];
    read += count;
  } else {
    throw new Error(`unsupported quantisation ${q.dtype} for ${spec.name}`);
  }
  entries.push({ name: spec.name, shape: spec.shape, offset: written });
  values.push(data);
  written += count;
}
if (read !== shard.length) throw new Error(`read ${read} of ${shard.length} shard bytes`);
const all = new Float32Array(written);
let at = 0;
for (const v of values) {
  all.set(v, at);
  at += v.length;
}
writeFileSync(`${out}.f32`, Buffer.from(all.buffer));
writeFileSync(`${out}.json`, JSON.stringify({ topology: model.modelTopology, weights: entries }));
console.log(`${entries.length} tensors, ${written} values -> ${out}.{json,f32}`);
