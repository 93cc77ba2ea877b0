"""Temperature calibration as the app applies it (src/main/platform/inference/trust.ts `calibratedProbabilities`):
probabilities = softmax(logits / T), float64, max-subtracted. Used by the Python-side checks of the v3
arms (source probe, calibration figures) so Python and the app report the same probabilities.

  python3 training/calibration.py --temperature T --logits logits.f64 --classes 3 --out probs.f64
"""
from __future__ import annotations

import argparse
import sys

import numpy as np


def calibrated_probabilities(logits: np.ndarray, temperature: float) -> np.ndarray:
    """[N, C] logits -> [N, C] probabilities (float64)."""
    if not temperature > 0:
        raise ValueError(f"temperature must be > 0, got {temperature}")
    z = np.asarray(logits, dtype=np.float64) / temperature
    z = z - z.max(axis=1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=1, keepdims=True)


def expected_calibration_error(probabilities: np.ndarray, truth: np.ndarray, bins: int = 15) -> float:
    """Top-class confidence in `bins` equal-width bins (upper edge inclusive): sum_b n_b/N |acc_b - conf_b|."""
    conf = probabilities.max(axis=1)
    correct = probabilities.argmax(axis=1) == truth
    # As the app: (lower, upper] bins, the epsilon keeps b/bins in bin b-1 despite rounding.
    edges = np.clip(np.ceil(conf * bins - 1e-9).astype(int) - 1, 0, bins - 1)
    total = 0.0
    for b in range(bins):
        sel = edges == b
        if sel.any():
            total += sel.sum() / len(conf) * abs(correct[sel].mean() - conf[sel].mean())
    return float(total)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--temperature", type=float, required=True)
    ap.add_argument("--logits", required=True, help="raw little-endian float64 [N, classes]")
    ap.add_argument("--classes", type=int, required=True)
    ap.add_argument("--out", required=True)
    args = ap.parse_args(argv)
    logits = np.fromfile(args.logits, dtype="<f8").reshape(-1, args.classes)
    calibrated_probabilities(logits, args.temperature).astype("<f8").tofile(args.out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
