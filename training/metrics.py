"""Classification metrics (no sklearn here): confusion matrix, sensitivity/PPV/F1, one-vs-rest AUC."""
from __future__ import annotations

from collections import defaultdict

import numpy as np
from scipy.stats import rankdata

from model import LABELS


def auc(scores: np.ndarray, positive: np.ndarray) -> float:
    """ROC AUC by the Mann-Whitney rank statistic (ties get half credit)."""
    pos = positive.astype(bool)
    n_pos, n_neg = int(pos.sum()), int((~pos).sum())
    if n_pos == 0 or n_neg == 0:
        return float("nan")
    ranks = rankdata(scores)
    return float((ranks[pos].sum() - n_pos * (n_pos + 1) / 2) / (n_pos * n_neg))


def _ratio(a: float, b: float) -> float:
    return float(a / b) if b else float("nan")


def classification_report(y: np.ndarray, prob: np.ndarray, pred: np.ndarray | None = None) -> dict:
    y = np.asarray(y)
    prob = np.asarray(prob)
    pred = prob.argmax(1) if pred is None else np.asarray(pred)
    k = len(LABELS)
    cm = np.zeros((k, k), dtype=int)
    for t, p in zip(y, pred):
        cm[t, p] += 1
    per_class = {}
    for c, name in enumerate(LABELS):
        tp = cm[c, c]
        sens = _ratio(tp, cm[c].sum())
        ppv = _ratio(tp, cm[:, c].sum())
        f1 = _ratio(2 * sens * ppv, sens + ppv) if not (np.isnan(sens) or np.isnan(ppv)) else float("nan")
        per_class[name] = {"sensitivity": sens, "ppv": ppv, "f1": f1, "auc": auc(prob[:, c], y == c),
                           "support": int(cm[c].sum())}
    aucs = [v["auc"] for v in per_class.values() if not np.isnan(v["auc"])]
    return {
        "n": int(len(y)),
        "accuracy": _ratio(np.trace(cm), cm.sum()),
        "macroAuc": float(np.mean(aucs)) if aucs else float("nan"),
        "perClass": per_class,
        "confusion": {"labels": LABELS, "rowsTrueColsPred": cm.tolist()},
    }


def per_source_report(y: np.ndarray, pred: np.ndarray, sources: list[str]) -> dict:
    """Per source: n, accuracy, and per-class sensitivity (only classes present in that source)."""
    out = {}
    groups = defaultdict(list)
    for i, s in enumerate(sources):
        groups[s].append(i)
    for s in sorted(groups):
        idx = np.array(groups[s])
        ys, ps = np.asarray(y)[idx], np.asarray(pred)[idx]
        sens = {}
        for c, name in enumerate(LABELS):
            m = ys == c
            if m.any():
                sens[name] = {"n": int(m.sum()), "sensitivity": float((ps[m] == c).mean())}
        out[s] = {"n": int(len(idx)), "accuracy": float((ys == ps).mean()), "sensitivityByClass": sens}
    return out
