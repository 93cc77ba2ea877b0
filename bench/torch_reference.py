"""PyTorch eager reference for bench/inference.bench.ts: the same weights and the same input as
the ONNX graph timed in onnxruntime-node, on CPU.

  /usr/bin/python3 bench/torch_reference.py (--checkpoint best.pt | --config compact --untrained)
      --input x.f32 [--iters 30] [--threads 2] --out result.json

Builds the network exactly as training/export.py does (untrained: torch.manual_seed(0)), wraps it
in export.py's ExportGraph (so eager computes the same four outputs as the graph), and writes
p50/p95 latency in ms plus the probabilities, which the caller compares with onnxruntime's to
show the weights are the same.
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import time

import numpy as np
import torch

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "training"))
from export import ExportGraph  # noqa: E402
from model import build  # noqa: E402


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--checkpoint")
    ap.add_argument("--config", default="compact")
    ap.add_argument("--untrained", action="store_true")
    ap.add_argument("--input", required=True)
    ap.add_argument("--iters", type=int, default=30)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--out", required=True)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    if args.untrained:
        torch.manual_seed(0)
        model = build(args.config).eval()
    else:
        from evaluate_val import load_checkpoint

        model, _ = load_checkpoint(args.checkpoint)
    graph = ExportGraph(model).eval()
    x = torch.from_numpy(np.fromfile(args.input, dtype="<f4").reshape(1, 1, 224, 224))
    times = []
    with torch.no_grad():
        for _ in range(3):
            probabilities = graph(x)[0]
        for _ in range(args.iters):
            started = time.perf_counter()
            probabilities = graph(x)[0]
            times.append((time.perf_counter() - started) * 1000)
    times.sort()
    result = {
        "threads": args.threads,
        "iters": args.iters,
        "p50_ms": times[len(times) // 2],
        "p95_ms": times[min(len(times) - 1, int(len(times) * 0.95))],
        "probabilities": probabilities[0].tolist(),
        "torch": torch.__version__,
    }
    with open(args.out, "w", encoding="utf-8") as f:
        json.dump(result, f)
    return 0


if __name__ == "__main__":
    sys.exit(main())
