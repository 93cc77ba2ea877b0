"""Export COVID-Net v2 (lung crops) to ONNX and write its model folder's model.json.

  python3 training/export_lungs.py --checkpoint training/runs/lungs-v2/last.pt \
      --out resources/models/covidnet-cxr-lungs-v2

The manifest names the segmenter its crop needs (pipeline.segmenter) and records the crop rule the
network was trained with. Thresholds are 0.5 for every class: not tuned, because the only labelled
data left to tune them on is the validation split the card reports. The card is written afterwards
by training/lungs_card.py from the app's own evaluation.
"""
from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import sys

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from data import read_split  # noqa: E402
from evaluate_val import load_checkpoint  # noqa: E402
from export import INTENDED_USE, LABELS, SCHEMA, OPSET, export_onnx, json_safe, sha256, verify  # noqa: E402
from export_segmenter import SEGMENTER_ID  # noqa: E402
from lung_crop import load_mask, lung_crop_tensor  # noqa: E402
from model import count_macs, count_params  # noqa: E402
from preprocess import load_gray  # noqa: E402

TRAINING_DIR = os.path.dirname(os.path.abspath(__file__))
MODEL_ID = "covidnet-cxr-lungs-v2"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--checkpoint", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--masks", default=os.path.join(TRAINING_DIR, "cache", "lungmasks"))
    ap.add_argument("--command", default="bash training/reproduce.sh")
    args = ap.parse_args(argv)
    torch.set_num_threads(2)
    model, ck = load_checkpoint(args.checkpoint)
    spec = ck["inputSpec"]
    os.makedirs(args.out, exist_ok=True)
    onnx_path = os.path.join(args.out, "model.onnx")
    export_onnx(model, onnx_path, spec)
    rows = read_split(os.path.join(TRAINING_DIR, "splits", "val.csv"))
    picked = [next(r for r in rows if r["label"] == lab) for lab in LABELS]
    x = torch.cat([lung_crop_tensor(load_gray(r["path"]),
                                    load_mask(os.path.join(args.masks, os.path.basename(r["file"]) + ".png")), spec)
                   for r in picked])
    diffs = verify(model, onnx_path, x)
    print("onnxruntime-node vs PyTorch:", json.dumps(diffs))
    if diffs["probabilities"] >= 1e-4:
        raise SystemExit("parity check failed")
    hp = ck["hparams"]
    history = ck["history"]
    manifest = {
        "schema": SCHEMA,
        "kind": "classifier",
        "id": MODEL_ID,
        "name": "COVID-Net CXR v2 (compact, lung crops, trained from scratch)",
        "version": "2.0.0",
        "file": "model.onnx",
        "sha256": sha256(onnx_path),
        "opset": OPSET,
        "input": spec,
        "outputs": {"probabilities": "probabilities", "logits": "logits", "features": "features"},
        "labels": list(LABELS),
        "heatmap": {"kind": "class-activation", "output": "cam"},
        "thresholds": {lab: 0.5 for lab in LABELS},
        "modelCard": "MODEL_CARD.md",
        "intendedUse": INTENDED_USE,
        "pipeline": {"segmenter": SEGMENTER_ID},
        "provenance": {
            "trainedBy": "covidnet-workstation training/train_lungs.py (CPU, from scratch; no pretrained weights)",
            "trainingData": ("shared/data/cxr developer set (1,449 frontal CXRs / 883 patients), training split only, "
                             "as lung crops made with the app's own segmenter masks"),
            "trainingDataLicence": ("mixed, partly research-only / non-commercial (Cohen per-image licences, Figure1 "
                                    "and Actualmed research only, Hannover CC BY 3.0, NIH unrestricted). Only the "
                                    "trained weights ship."),
            "command": args.command,
            "checkpoint": os.path.relpath(os.path.abspath(args.checkpoint), os.path.dirname(TRAINING_DIR)),
            "split": ("training/splits/{train,val}.csv: by patient_id, stratified by (primary label, source), 80/20, "
                      "seed 20260 (training/split.py)"),
            "seed": hp["seed"],
            "createdAt": dt.datetime.now(dt.timezone.utc).replace(microsecond=0).isoformat().replace("+00:00", "Z"),
            "architecture": {"family": "COVID-Net (PEPX, densely connected), GAP + linear head", "config": "compact",
                             "params": count_params(model), "macs": count_macs(model, spec["height"], spec["width"]),
                             "inputSize": [spec["height"], spec["width"]]},
            "hyperparameters": {k: hp.get(k) for k in ("epochs", "batch_size", "lr", "weight_decay",
                                                       "label_smoothing", "optimizer", "scheduler", "selection",
                                                       "batchNorm")},
            "epochsRun": ck["epoch"],
            "selectedEpoch": ck["epoch"],
            "thresholds": "0.5 for every class, not tuned (argmax decides the label)",
            "trainSeconds": ck.get("trainSeconds"),
            "lastEpochLog": history[-1] if history else None,
            "parity": diffs,
        },
    }
    with open(os.path.join(args.out, "model.json"), "w", encoding="utf-8") as f:
        json.dump(json_safe(manifest), f, indent=2, allow_nan=False)
        f.write("\n")
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
