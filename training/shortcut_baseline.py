"""No-anatomy shortcut baseline: how far can a classifier get without looking at a lung?

It sees only framing and file properties -- image size, aspect ratio, file size, border-strip and
corner statistics and the intensity histogram -- never the image content as such. On the shared
data the sources are tied to the labels (normal/pneumonia mostly NIH, COVID-19 from other
hospitals and paper figures), so this baseline measures how much of a CNN's score a source
shortcut could explain (DeGrave et al., Nature Machine Intelligence 2021).

The features are defined here and re-implemented in TypeScript
(`src/main/features/evaluation/shortcut-features.ts`); a test checks both agree on real files.

  python3 training/shortcut_baseline.py --train training/splits/train.csv \
      --out resources/models/<id>/shortcut_baseline.json

Two multinomial logistic regressions (standardised features, L2, full-batch gradient descent:
deterministic) are trained on the training split: one for the label, one for the source.
"""
from __future__ import annotations

import argparse
import csv
import json
import math
import os
import sys

import numpy as np
from PIL import Image

HIST_BINS = 16
BORDER_FRACTION = 0.05
L2 = 1e-3
STEPS = 3000
LEARNING_RATE = 0.5


def feature_names() -> list[str]:
    names = ["log_width", "log_height", "aspect", "log_file_bytes", "bits_per_pixel"]
    for strip in ("top", "bottom", "left", "right"):
        names += [f"{strip}_mean", f"{strip}_std"]
    names += ["mean", "std", "fraction_black", "fraction_white"]
    names += [f"hist_{i:02d}" for i in range(HIST_BINS)]
    names += [f"corner_{c}_mean" for c in ("tl", "tr", "bl", "br")]
    return names


def _mean_std(values: np.ndarray) -> tuple[float, float]:
    v = values.astype(np.float64)
    mean = float(v.mean())
    return mean / 255.0, float(np.sqrt(((v - mean) ** 2).mean())) / 255.0


def shortcut_features(gray: np.ndarray, file_bytes: int) -> list[float]:
    """gray: HxW uint8 image as decoded (PIL 'L'); file_bytes: size of the file on disk."""
    h, w = gray.shape
    s = max(1, int(math.floor(BORDER_FRACTION * min(h, w))))
    f = [math.log(w), math.log(h), w / h, math.log(max(1, file_bytes)), 8.0 * file_bytes / (w * h)]
    for strip in (gray[:s, :], gray[h - s :, :], gray[:, :s], gray[:, w - s :]):
        f += list(_mean_std(strip))
    f += list(_mean_std(gray))
    f.append(float((gray <= 5).mean()))
    f.append(float((gray >= 250).mean()))
    hist = np.bincount(((gray.astype(np.int64) * HIST_BINS) // 256).ravel(), minlength=HIST_BINS)
    f += [float(c) / gray.size for c in hist]
    for patch in (gray[:s, :s], gray[:s, w - s :], gray[h - s :, :s], gray[h - s :, w - s :]):
        f.append(float(patch.astype(np.float64).mean()) / 255.0)
    return f


def features_for_file(path: str) -> list[float]:
    with Image.open(path) as im:
        im.load()
        gray = np.asarray(im.convert("L") if im.mode != "L" else im, dtype=np.uint8)
    return shortcut_features(gray, os.path.getsize(path))


def read_manifest(path: str) -> list[dict]:
    with open(path, newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    base = os.path.dirname(os.path.abspath(path))
    for r in rows:
        r["abs_path"] = os.path.normpath(os.path.join(base, r["file"]))
    return rows


def train_softmax(x: np.ndarray, y: np.ndarray, n_classes: int) -> tuple[np.ndarray, np.ndarray]:
    """Multinomial logistic regression with class-balanced weights; deterministic GD."""
    n, d = x.shape
    weights = np.zeros((n_classes, d))
    bias = np.zeros(n_classes)
    counts = np.bincount(y, minlength=n_classes).astype(np.float64)
    sample_w = (n / (n_classes * np.maximum(counts, 1)))[y]
    onehot = np.eye(n_classes)[y]
    for _ in range(STEPS):
        logits = x @ weights.T + bias
        logits -= logits.max(axis=1, keepdims=True)
        p = np.exp(logits)
        p /= p.sum(axis=1, keepdims=True)
        g = (p - onehot) * sample_w[:, None] / sample_w.sum()
        weights -= LEARNING_RATE * (g.T @ x + L2 * weights)
        bias -= LEARNING_RATE * g.sum(axis=0)
    return weights, bias


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--train", default="training/splits/train.csv")
    ap.add_argument("--out", required=True)
    args = ap.parse_args(argv)

    rows = read_manifest(args.train)
    x = np.array([features_for_file(r["abs_path"]) for r in rows], dtype=np.float64)
    mean = x.mean(axis=0)
    std = x.std(axis=0)
    std[std < 1e-12] = 1.0
    xs = (x - mean) / std

    labels = ["normal", "pneumonia", "COVID-19"]
    sources = sorted({r["source"] for r in rows})
    y_label = np.array([labels.index(r["label"]) for r in rows])
    y_source = np.array([sources.index(r["source"]) for r in rows])
    wl, bl = train_softmax(xs, y_label, len(labels))
    ws, bs = train_softmax(xs, y_source, len(sources))

    train_acc = float(((xs @ wl.T + bl).argmax(axis=1) == y_label).mean())
    train_src = float(((xs @ ws.T + bs).argmax(axis=1) == y_source).mean())
    out = {
        "schema": "covidnet-workstation/shortcut-baseline@1",
        "description": "Multinomial logistic regressions over no-anatomy features (size, aspect, file size, "
        "border/corner statistics, intensity histogram); see training/shortcut_baseline.py.",
        "command": "python3 training/shortcut_baseline.py --train " + args.train + " --out " + args.out,
        "trained_on": args.train,
        "n_train": len(rows),
        "train_accuracy": train_acc,
        "train_source_accuracy": train_src,
        "hyperparameters": {"l2": L2, "steps": STEPS, "learning_rate": LEARNING_RATE, "border_fraction": BORDER_FRACTION,
                            "hist_bins": HIST_BINS},
        "features": feature_names(),
        "feature_mean": mean.tolist(),
        "feature_std": std.tolist(),
        "labels": labels,
        "label_weights": wl.tolist(),
        "label_bias": bl.tolist(),
        "sources": sources,
        "source_weights": ws.tolist(),
        "source_bias": bs.tolist(),
    }
    os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
    with open(args.out, "w", encoding="utf-8") as f:
        json.dump(out, f, indent=1)
        f.write("\n")
    print(f"trained on {len(rows)} images: label accuracy {train_acc:.3f}, source accuracy {train_src:.3f} -> {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
