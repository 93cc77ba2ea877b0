"""The protocol's figures of an arm on a cached part (training/PROTOCOL.md), in Python, for choosing arms.

The selecting figure is the WORST within-source figure: min(NIH normal-vs-pneumonia AUC, Cohen COVID-19-vs-other
AUC), the same definitions as the app's `evaluate` (src/main/evaluation/lung-probes.ts withinSourceFigures).
Per source: n, accuracy, ECE (training/calibration.py: the app's 15 bins of the top-class probability).
"""
from __future__ import annotations

import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from calibration import calibrated_probabilities, expected_calibration_error  # noqa: E402
from metrics import auc  # noqa: E402

NIH = "nih-chestxray14"
COHEN = "cohen-covid-chestxray-dataset"
ECE_BINS = 15


def roc_auc(scores: np.ndarray, positive: np.ndarray) -> float | None:
    value = auc(scores, positive)
    return None if np.isnan(value) else value


def ece(probs: np.ndarray, y: np.ndarray) -> float | None:
    return expected_calibration_error(probs, y, ECE_BINS) if len(y) else None


def figures(logits: np.ndarray, part: dict, temperature: float = 1.0) -> dict:
    probs = calibrated_probabilities(logits, temperature)
    y, sources = part["y"], part["sources"]
    nih = (sources == NIH) & (y <= 1)
    cohen = sources == COHEN
    nih_auc = roc_auc(probs[nih, 1], y[nih] == 1)
    cohen_auc = roc_auc(probs[cohen, 2], y[cohen] == 2)
    covid_auc = roc_auc(probs[:, 2], y == 2)
    per_source = {}
    for s in sorted(set(sources.tolist())):
        sel = sources == s
        per_source[s] = {"n": int(sel.sum()), "accuracy": float((probs[sel].argmax(1) == y[sel]).mean()),
                         "ece": ece(probs[sel], y[sel]), "mean_confidence": float(probs[sel].max(1).mean())}
    within = [v for v in (nih_auc, cohen_auc) if v is not None]
    return {"selecting_figure": min(within) if within else None, "nih_normal_vs_pneumonia_auc": nih_auc,
            "nih_n": int(nih.sum()), "cohen_covid_vs_other_auc": cohen_auc, "cohen_n": int(cohen.sum()),
            "covid_auc": covid_auc, "accuracy": float((probs.argmax(1) == y).mean()), "ece": ece(probs, y),
            "n": int(len(y)), "per_source": per_source}
