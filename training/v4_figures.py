"""The protocol's figures of an arm on a cached part (training/PROTOCOL.md), in Python, for choosing arms.

The selecting figure is the WORST within-source figure: min(NIH normal-vs-pneumonia AUC, Cohen COVID-19-vs-other
AUC), the same definitions as the app's `evaluate` (src/main/evaluation/lung-probes.ts withinSourceFigures).
Per source: n, accuracy, ECE (15 equal-width bins of the top-class probability, as src/main/evaluation/calibration.ts).
"""
from __future__ import annotations

import numpy as np

NIH = "nih-chestxray14"
COHEN = "cohen-covid-chestxray-dataset"
ECE_BINS = 15


def softmax(logits: np.ndarray, temperature: float = 1.0) -> np.ndarray:
    z = logits / temperature
    z = z - z.max(axis=1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=1, keepdims=True)


def roc_auc(scores: np.ndarray, positive: np.ndarray) -> float | None:
    """Mann-Whitney AUC with ties counted half."""
    pos, neg = scores[positive], scores[~positive]
    if len(pos) == 0 or len(neg) == 0:
        return None
    order = np.argsort(np.concatenate([pos, neg]), kind="mergesort")
    values = np.concatenate([pos, neg])[order]
    ranks = np.empty(len(values))
    i = 0
    while i < len(values):
        j = i
        while j + 1 < len(values) and values[j + 1] == values[i]:
            j += 1
        ranks[i:j + 1] = (i + j) / 2 + 1
        i = j + 1
    r = np.empty(len(values))
    r[order] = ranks
    return float((r[:len(pos)].sum() - len(pos) * (len(pos) + 1) / 2) / (len(pos) * len(neg)))


def ece(probs: np.ndarray, y: np.ndarray, bins: int = ECE_BINS) -> float | None:
    if len(y) == 0:
        return None
    conf = probs.max(axis=1)
    right = (probs.argmax(axis=1) == y).astype(float)
    idx = np.minimum((conf * bins).astype(int), bins - 1)
    total = 0.0
    for b in range(bins):
        sel = idx == b
        if sel.any():
            total += sel.sum() / len(y) * abs(right[sel].mean() - conf[sel].mean())
    return float(total)


def figures(logits: np.ndarray, part: dict, temperature: float = 1.0) -> dict:
    probs = softmax(logits, temperature)
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
