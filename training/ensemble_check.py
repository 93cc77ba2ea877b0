"""Does a snapshot ensemble (mean logits of several checkpoints) hold calibration better on every source?
(training/PROTOCOL.md, Calibration.) Kept only if it lowers the worst source's ECE on the CALIBRATION split.

  python3 training/ensemble_check.py --single training/runs/v4-long/last.pt \
      --ensemble training/runs/v4-long/step-500.pt training/runs/v4-long/step-600.pt training/runs/v4-long/last.pt \
      --json training/reports/v4/ensemble-check.json

Each model's temperature is fitted on the calibration part with every source weighing alike (as fit_trust.ts
--equal-source-weight: each film 1/n of its source, sources under SMALL films pooled); ECE per source on the
calibration part decides, and validation's per-source ECE is reported beside it (cached crops, Python).
"""
from __future__ import annotations

import argparse
import json
import os
import sys

import numpy as np
import torch
from scipy.optimize import minimize_scalar

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "imagenet"))
import train_v3 as v3  # noqa: E402
import train_v4 as v4  # noqa: E402
from calibration import calibrated_probabilities, expected_calibration_error  # noqa: E402

SMALL = 10
JUDGED_MIN_FILMS = 20


def equal_source_weights(sources: np.ndarray) -> np.ndarray:
    names, counts = np.unique(sources, return_counts=True)
    small = set(names[counts < SMALL])
    group = np.asarray(["(small)" if s in small else s for s in sources])
    g_names, g_counts = np.unique(group, return_counts=True)
    n = dict(zip(g_names, g_counts))
    return np.asarray([1.0 / n[g] for g in group])


def fit_temperature(logits: np.ndarray, y: np.ndarray, w: np.ndarray) -> float:
    def nll(log_t: float) -> float:
        p = calibrated_probabilities(logits, float(np.exp(log_t)))[np.arange(len(y)), y]
        return float(-(w * np.log(np.maximum(p, 1e-300))).sum() / w.sum())

    return float(np.exp(minimize_scalar(nll, bounds=(np.log(1 / 20), np.log(20)), method="bounded").x))


def per_source_ece(probs: np.ndarray, part: dict) -> dict:
    out = {}
    for s in sorted(set(part["sources"].tolist())):
        sel = part["sources"] == s
        out[s] = {"n": int(sel.sum()), "ece": expected_calibration_error(probs[sel], part["y"][sel])}
    return out


def logits_of(paths: list[str], part: dict) -> np.ndarray:
    out = []
    for path in paths:
        ck = torch.load(path, map_location="cpu")
        model = v3.build_arm(ck["arm"], imagenet=False)
        model.load_state_dict(ck["model"])
        model = model.to(memory_format=torch.channels_last)
        out.append(v4.predict_logits(model, part, ck["inputSpec"], ck["crop"]))
    return np.mean(out, axis=0)


def judge(paths: list[str], calib: dict, val: dict) -> dict:
    lc, lv = logits_of(paths, calib), logits_of(paths, val)
    t = fit_temperature(lc, calib["y"], equal_source_weights(calib["sources"]))
    ec = per_source_ece(calibrated_probabilities(lc, t), calib)
    ev = per_source_ece(calibrated_probabilities(lv, t), val)
    judged = [v["ece"] for v in ec.values() if v["n"] >= JUDGED_MIN_FILMS]
    return {"checkpoints": paths, "temperature": t, "worst_source_ece_calib": max(judged),
            "calib": ec, "val": ev}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--single", required=True)
    ap.add_argument("--ensemble", nargs="+", required=True)
    ap.add_argument("--json", required=True)
    args = ap.parse_args(argv)
    torch.set_num_threads(1)
    calib, val = v4.load_part("calib"), v4.load_part("val")
    report = {"single": judge([args.single], calib, val), "ensemble": judge(args.ensemble, calib, val)}
    report["keep_ensemble"] = report["ensemble"]["worst_source_ece_calib"] < report["single"]["worst_source_ece_calib"]
    with open(args.json, "w", encoding="utf-8") as f:
        json.dump(report, f, indent=1)
    print(json.dumps(report, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
