"""Evaluate a checkpoint on a split CSV (default: the validation split) with the reference
preprocessing: accuracy, per-class sensitivity/PPV/F1/AUC, confusion matrix, per-source table.

  python3 training/evaluate_val.py training/runs/compact-v1/best.pt [--csv training/splits/val.csv] [--json out.json]
"""
from __future__ import annotations

import argparse
import json
import os
import sys

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from data import TRAINING_DIR, load_tensor_cache, read_split  # noqa: E402
from metrics import classification_report, per_source_report  # noqa: E402
from model import LABELS, build  # noqa: E402


def load_checkpoint(path: str) -> tuple[torch.nn.Module, dict]:
    ckpt = torch.load(path, map_location="cpu")
    model = build(ckpt["config"])
    model.load_state_dict(ckpt["state_dict"])
    model.eval()
    return model, ckpt


@torch.no_grad()
def predict_probs(model: torch.nn.Module, x: torch.Tensor, batch_size: int = 64) -> np.ndarray:
    model.eval()
    out = [torch.softmax(model(x[i : i + batch_size]), 1) for i in range(0, len(x), batch_size)]
    return torch.cat(out).numpy()


def thresholded_stats(y: np.ndarray, prob: np.ndarray, c: int, t: float) -> tuple[float, float, float]:
    """Sensitivity, PPV, F1 of 'argmax == c and p_c >= t' as the positive call for class c."""
    call = (prob.argmax(1) == c) & (prob[:, c] >= t)
    truth = y == c
    tp = int((call & truth).sum())
    sens = tp / max(1, int(truth.sum()))
    ppv = tp / int(call.sum()) if call.any() else float("nan")
    f1 = 2 * sens * ppv / (sens + ppv) if call.any() and (sens + ppv) > 0 else 0.0
    return sens, ppv, f1


def choose_thresholds(y: np.ndarray, prob: np.ndarray, min_covid_sens: float = 0.8) -> dict:
    """Per label, the threshold in 0.34..0.95 that maximises the F1 of passing predictions on the
    validation split (lowest threshold on ties); for COVID-19 only thresholds that keep
    sensitivity >= min_covid_sens are allowed (triage: missing COVID-19 costs more)."""
    out = {}
    grid = np.round(np.arange(0.34, 0.951, 0.01), 2)
    for c, name in enumerate(LABELS):
        best_t, best_f1 = float(grid[0]), -1.0
        for t in grid:
            sens, ppv, f1 = thresholded_stats(y, prob, c, float(t))
            if name == "COVID-19" and sens < min_covid_sens:
                continue
            if f1 > best_f1 + 1e-12:
                best_t, best_f1 = float(t), f1
        sens, ppv, f1 = thresholded_stats(y, prob, c, best_t)
        out[name] = {"threshold": best_t, "sensitivity": sens, "ppv": ppv, "f1": f1}
    return out


def evaluate_checkpoint(ckpt_path: str, csv_path: str) -> dict:
    model, ckpt = load_checkpoint(ckpt_path)
    rows = read_split(csv_path)
    name = os.path.splitext(os.path.basename(csv_path))[0]
    x = load_tensor_cache(rows, name, ckpt["inputSpec"])
    y = np.array([r["y"] for r in rows])
    prob = predict_probs(model, x)
    rep = classification_report(y, prob)
    rep["perSource"] = per_source_report(y, prob.argmax(1), [r["source"] for r in rows])
    rep["thresholds"] = choose_thresholds(y, prob)
    rep["patients"] = len({r["patient_id"] for r in rows})
    rep["checkpointEpoch"] = ckpt["epoch"]
    return rep


def format_report(rep: dict) -> str:
    lines = [f"n={rep['n']} images ({rep['patients']} patients)  accuracy {rep['accuracy']:.4f}  macro AUC {rep['macroAuc']:.4f}",
             f"{'class':<10} {'sens':>6} {'PPV':>6} {'F1':>6} {'AUC':>6} {'n':>4}"]
    for name, v in rep["perClass"].items():
        lines.append(f"{name:<10} {v['sensitivity']:6.3f} {v['ppv']:6.3f} {v['f1']:6.3f} {v['auc']:6.3f} {v['support']:4d}")
    lines.append("confusion (rows true, cols pred): " + json.dumps(rep["confusion"]["rowsTrueColsPred"]))
    for s, v in rep["perSource"].items():
        sens = ", ".join(f"{k} {d['sensitivity']:.3f} (n={d['n']})" for k, d in v["sensitivityByClass"].items())
        lines.append(f"  {s:<38} n={v['n']:4d} acc {v['accuracy']:.3f}  sens: {sens}")
    for k, v in rep["thresholds"].items():
        lines.append(f"threshold {k}: {v['threshold']:.2f} (passing sens {v['sensitivity']:.3f}, PPV {v['ppv']:.3f})")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("checkpoint")
    ap.add_argument("--csv", default=os.path.join(TRAINING_DIR, "splits", "val.csv"))
    ap.add_argument("--json", help="write the report as JSON here")
    args = ap.parse_args(argv)
    torch.set_num_threads(2)
    rep = evaluate_checkpoint(args.checkpoint, args.csv)
    print(format_report(rep))
    if args.json:
        with open(args.json, "w") as f:
            json.dump(rep, f, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
