#!/usr/bin/env bash
# The v4 comparison table (one table: v2, v3, every arm, the teacher, the student; per source) into
# training/reports/v4/comparison.md (extra arguments, e.g. --card MODEL_CARD.md, go to v4_card.py).
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-/usr/bin/python3}
V4=resources/models/covidnet-cxr-lungs-v4
R=training/reports/v4
# The runs are git-ignored: their figures are copied next to the report, so the card can be rebuilt from the repo.
mkdir -p "$R/figures"
for RUN in tight dilated box long long-noadv student student-p2; do
  if [ -f "training/runs/v4-$RUN/val-figures.json" ]; then cp "training/runs/v4-$RUN/val-figures.json" "$R/figures/$RUN.json"; fi
done
for S in student student-p2; do
  if [ -f "training/runs/v4-$S/model/evaluation/metrics.json" ]; then
    mkdir -p "$R/$S-on-val" && cp "training/runs/v4-$S/model/evaluation/"{metrics.json,report.md} "$R/$S-on-val/"
  fi
done
ARGS=(--app "v2=training/reports/v4/v2-on-val/metrics.json" --app "v3=training/reports/v4/v3-on-val/metrics.json")
if [ -f "$V4/evaluation/metrics.json" ]; then ARGS+=(--app "v4 teacher (tight, 700 steps)=$V4/evaluation/metrics.json"); fi
if [ -f "$R/student-on-val/metrics.json" ]; then ARGS+=(--app "PEPX student, 400 steps (not bundled)=$R/student-on-val/metrics.json"); fi
if [ -f "$R/student-p2-on-val/metrics.json" ]; then
  ARGS+=(--app "PEPX student, 400+800 steps (not bundled)=$R/student-p2-on-val/metrics.json")
fi
for A in tight:A dilated:B box:C; do
  ARGS+=(--arm "arm ${A#*:} ${A%:*}, 250 steps=$R/figures/${A%:*}.json")
done
ARGS+=(--arm "v4 teacher (tight, 700 steps)=$R/figures/long.json")
ARGS+=(--arm "ablation: teacher recipe without the adversary (never bundled)=$R/figures/long-noadv.json")
if [ -f "$R/figures/student.json" ]; then ARGS+=(--arm "PEPX student, 400 steps (not bundled)=$R/figures/student.json"); fi
if [ -f "$R/figures/student-p2.json" ]; then
  ARGS+=(--arm "PEPX student, 400+800 steps (not bundled)=$R/figures/student-p2.json")
fi
for P in imagenet noadv v4; do
  if [ -f "$R/source-probe-$P.json" ]; then ARGS+=(--probe-json "$R/source-probe-$P.json"); fi
done
$PY training/v4_card.py "${ARGS[@]}" --notes training/v4_card_notes.md --out "$R/comparison.md" "$@"
