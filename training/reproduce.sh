#!/usr/bin/env bash
# Reproduce the bundled model resources/models/covidnet-cxr-compact-v1 from ../shared/data/cxr.
# split -> train (CPU, 2 threads) -> validation report -> ONNX export + model.json + MODEL_CARD.md
set -euo pipefail
cd "$(dirname "$0")/.."
export OMP_WAIT_POLICY=PASSIVE
PY=${PYTHON:-/usr/bin/python3}
RUN=training/runs/compact-v1
OUT=resources/models/covidnet-cxr-compact-v1
mkdir -p "$RUN"
$PY training/split.py
$PY training/train.py --config compact --out "$RUN"
$PY training/evaluate_val.py "$RUN/best.pt" --json "$RUN/val_report.json"
$PY training/export.py --checkpoint "$RUN/best.pt" --report "$RUN/val_report.json" \
  --train-log "$RUN/history.json" --out "$OUT" --command "bash training/reproduce.sh"
