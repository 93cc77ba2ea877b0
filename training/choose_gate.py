"""Chest-gate limits for the segmenter's model.json, and the gate's acceptance on the shared films.

  python3 training/choose_gate.py --segmenter resources/models/lungseg-unet-v1 \
      --cxr training/reports/lung-measures-cxr.json --dicom training/reports/lung-measures-dicom.json

The measures come from the app itself (`npx tsx training/lung_masks.ts`). The limits below were
chosen by reading their distributions on all 1,449 shared chest films (every class and source) and
on the shared non-chest DICOM files: each limit sits below the 0.5% quantile of the chest films
except the mean-P(lung) limit, which is the one that separates the secondary captures (OT/SC) that
the header cannot turn away; the margin there is thin and is stated in the card.
Writes the `gate` block of model.json and training/reports/gate-acceptance.json.
"""
from __future__ import annotations

import argparse
import json
import os
from collections import defaultdict

GATE = {
    "minLungFraction": 0.08,
    "maxLungFraction": 0.75,
    "minLungAreaRatio": 0.2,
    "centroidRowRange": [0.15, 0.8],
    "boxAspectRange": [0.4, 1.6],
    "minMeanProbability": 0.87,
}


def verdict(m: dict) -> str | None:
    """Python mirror of maskVerdict (src/main/platform/inference/lungs/gate.ts), for the report only."""
    if m["components"] < 2:
        return "fewer than two lung fields"
    if not m["sideBySide"]:
        return "not side by side"
    if m["lungFraction"] < GATE["minLungFraction"]:
        return "lung fraction too small"
    if m["lungFraction"] > GATE["maxLungFraction"]:
        return "lung fraction too large"
    if m["areaRatio"] < GATE["minLungAreaRatio"]:
        return "lungs too unequal"
    lo, hi = GATE["centroidRowRange"]
    if any(r < lo or r > hi for r in m["centroidRows"]):
        return "lungs too high or low"
    alo, ahi = GATE["boxAspectRange"]
    if not alo <= m["boxAspect"] <= ahi:
        return "implausible box shape"
    if m["meanProbability"] < GATE["minMeanProbability"]:
        return "segmenter not confident"
    return None


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--segmenter", required=True)
    ap.add_argument("--cxr", required=True)
    ap.add_argument("--dicom", required=True)
    ap.add_argument("--out", default=os.path.join(os.path.dirname(os.path.abspath(__file__)), "reports",
                                                 "gate-acceptance.json"))
    args = ap.parse_args()
    cxr = [m for m in json.load(open(args.cxr)) if "error" not in m]
    dicom = [m for m in json.load(open(args.dicom)) if "error" not in m]
    by = defaultdict(lambda: [0, 0])
    rejected = []
    for m in cxr:
        v = verdict(m)
        for key in (f"label:{m['label']}", f"source:{m['source']}", "all"):
            by[key][0] += v is None
            by[key][1] += 1
        if v:
            rejected.append({"file": m["file"], "label": m["label"], "source": m["source"], "why": v})
    smallest = sorted(cxr, key=lambda m: m["lungFraction"])[:10]
    dicom_rows = [{"file": os.path.relpath(m["file"], os.path.dirname(args.dicom)) if os.path.isabs(m["file"]) else m["file"],
                   "header": m["header"]["reason"], "mask": verdict(m)} for m in dicom]
    report = {
        "gate": GATE,
        "acceptance": {k: {"accepted": a, "n": n, "rate": a / n} for k, (a, n) in sorted(by.items())},
        "rejectedChestFilms": rejected,
        "smallestLungAreaFilms": [{"file": m["file"], "label": m["label"], "lungFraction": m["lungFraction"],
                                   "accepted": verdict(m) is None} for m in smallest],
        "nonChestDicom": dicom_rows,
    }
    os.makedirs(os.path.dirname(args.out), exist_ok=True)
    with open(args.out, "w") as f:
        json.dump(report, f, indent=1)
        f.write("\n")
    path = os.path.join(args.segmenter, "model.json")
    manifest = json.load(open(path))
    manifest["gate"] = {**GATE, "chosenOn": (
        f"all {len(cxr)} shared chest films (accepts {by['all'][0]}) and the shared non-chest DICOM files; "
        "training/choose_gate.py, training/reports/gate-acceptance.json")}
    with open(path, "w") as f:
        json.dump(manifest, f, indent=2)
        f.write("\n")
    print(json.dumps(report["acceptance"], indent=1))
    print("rejected chest films:", rejected)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
