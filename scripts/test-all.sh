#!/usr/bin/env bash
# The project's whole test suite (the README's `npm test`): static checks, unit and integration
# tests on real data, the Python training tests, the Electron security scan and the e2e suite.
set -euo pipefail
cd "$(dirname "$0")/.."
step() { printf '\n=== %s ===\n' "$1"; }
# Debian's python3 has torch/onnx/PIL; a python3 earlier on PATH (pyenv) may not.
PYTHON=${COVIDNET_PYTHON:-/usr/bin/python3}
step "typecheck"; npm run --silent typecheck
step "lint"; npm run --silent lint
step "unit + integration (vitest)"; npx vitest run
step "training (pytest)"; "$PYTHON" -m pytest training/tests -q -p no:cacheprovider
step "Electron security scan"; npm run --silent test:security
step "packaging (electron-builder --dir, offline)"; npm run --silent package:check
step "e2e (built renderer in Chromium)"; npm run --silent test:e2e
