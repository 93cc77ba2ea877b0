#!/usr/bin/env bash
# Reproduce the bundled model resources/models/covidnet-cxr-compact-v1 from ../shared/data/cxr.
# split -> train phase 1 (22 epochs, lr 1e-3) -> phase 2 (8 epochs, lr 2e-4, from phase 1's last
# epoch) -> validation report -> ONNX export + model.json + MODEL_CARD.md. CPU, 2 threads.
set -euo pipefail
cd "$(dirname "$0")/.."
export OMP_WAIT_POLICY=PASSIVE
PY=${PYTHON:-/usr/bin/python3}
RUN1=training/runs/compact-v1
RUN2=training/runs/compact-v1-ft
OUT=resources/models/covidnet-cxr-compact-v1
$PY training/split.py
$PY training/train.py --config compact --epochs 22 --lr 1e-3 --out "$RUN1"
$PY training/train.py --config compact --init "$RUN1/last.pt" --epochs 8 --lr 2e-4 --out "$RUN2"
$PY training/evaluate_val.py "$RUN2/best.pt" --json "$RUN2/val_report.json"
$PY training/export.py --checkpoint "$RUN2/best.pt" --report "$RUN2/val_report.json" \
  --train-log "$RUN2/history.json" --out "$OUT" --command "bash training/reproduce.sh"
