#!/usr/bin/env bash
# Fetch the ImageNet-initialised MobileNetV2 that ships inside nsfwjs@4.3.0 (MIT) from the npm
# registry into the git-ignored cache and unpack its weights to float32 (never committed, never shipped).
#   bash training/imagenet/fetch_nsfwjs.sh   -> training/cache/nsfwjs/mobilenet_v2.{json,f32}
set -euo pipefail
cd "$(dirname "$0")/../.."
CACHE=training/cache/nsfwjs
mkdir -p "$CACHE"
if [ ! -f "$CACHE/package/dist/models/mobilenet_v2/model.min.js" ]; then
  (cd "$CACHE" && npm pack --silent nsfwjs@4.3.0 >/dev/null && tar xzf nsfwjs-4.3.0.tgz)
fi
[ -f "$CACHE/mobilenet_v2.f32" ] || node training/imagenet/unpack_tfjs_weights.cjs "$CACHE/package/dist/models/mobilenet_v2" "$CACHE/mobilenet_v2"
