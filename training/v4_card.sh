#!/usr/bin/env bash
# The v4 comparison table (one table: v2, v3, every arm, the teacher, the student; per source) into
# training/reports/v4/comparison.md (extra arguments, e.g. --card MODEL_CARD.md, go to v4_card.py).
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-/usr/bin/python3}
V4=resources/models/covidnet-cxr-lungs-v4
ARGS=(--app "v2=training/reports/v4/v2-on-val/metrics.json" --app "v3=training/reports/v4/v3-on-val/metrics.json")
if [ -f "$V4/evaluation/metrics.json" ]; then ARGS+=(--app "v4 teacher (tight, 700 steps)=$V4/evaluation/metrics.json"); fi
if [ -f training/runs/v4-student/model/evaluation/metrics.json ]; then
  ARGS+=(--app "v4 PEPX student=training/runs/v4-student/model/evaluation/metrics.json")
fi
for R in tight:A dilated:B box:C; do
  ARGS+=(--arm "arm ${R#*:} ${R%:*}, 250 steps=training/runs/v4-${R%:*}/val-figures.json")
done
ARGS+=(--arm "v4 teacher (tight, 700 steps)=training/runs/v4-long/val-figures.json")
ARGS+=(--arm "ablation: teacher recipe without the adversary (never bundled)=training/runs/v4-long-noadv/val-figures.json")
if [ -f training/runs/v4-student/val-figures.json ]; then
  ARGS+=(--arm "v4 PEPX student=training/runs/v4-student/val-figures.json")
fi
for P in imagenet noadv v4; do
  if [ -f "training/reports/v4/source-probe-$P.json" ]; then ARGS+=(--probe-json "training/reports/v4/source-probe-$P.json"); fi
done
$PY training/v4_card.py "${ARGS[@]}" --notes training/v4_card_notes.md --out training/reports/v4/comparison.md "$@"
