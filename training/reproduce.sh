#!/usr/bin/env bash
# Reproduce the bundled model resources/models/covidnet-cxr-compact-v1 from ../shared/data/cxr.
# split -> train phase 1 (22 epochs, lr 1e-3) -> phase 2 (8 epochs, lr 2e-4, from phase 1's last
# epoch) -> phase 3 (16 epochs, cosine from 4e-4, wider framing crops, from phase 2's best) ->
# validation report -> ONNX export + model.json + MODEL_CARD.md -> no-anatomy shortcut baseline ->
# the app's own evaluation with the framing probe, written into the card. CPU, 2 threads.
set -euo pipefail
cd "$(dirname "$0")/.."
export OMP_WAIT_POLICY=PASSIVE
PY=${PYTHON:-/usr/bin/python3}
RUN1=training/runs/compact-v1
RUN2=training/runs/compact-v1-ft
RUN3=training/runs/compact-v1-p3
OUT=resources/models/covidnet-cxr-compact-v1
$PY training/split.py
$PY training/train.py --config compact --epochs 22 --lr 1e-3 --out "$RUN1"
$PY training/train.py --config compact --init "$RUN1/last.pt" --epochs 8 --lr 2e-4 --out "$RUN2"
$PY training/train.py --config compact --init "$RUN2/best.pt" --epochs 16 --lr 4e-4 --cosine \
  --crop-probability 0.7 --crop-min-area 0.35 --out "$RUN3"
$PY training/evaluate_val.py "$RUN3/best.pt" --json "$RUN3/val_report.json"
$PY training/export.py --checkpoint "$RUN3/best.pt" --report "$RUN3/val_report.json" \
  --train-log "$RUN3/history.json" --out "$OUT" --command "bash training/reproduce.sh"
$PY training/shortcut_baseline.py --train training/splits/train.csv --out "$OUT/shortcut_baseline.json"
npm run --silent covidnet -- evaluate --manifest training/splits/val.csv --out "$OUT/evaluation" --probe
(cd training && $PY card_evaluation.py --card "../$OUT/MODEL_CARD.md" --after "../$OUT/evaluation/metrics.json" \
  --before reports/phase2-before-framing/metrics.json)
