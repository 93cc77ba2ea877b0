"""Export a v3 / v4 arm (training/train_v3.py or train_v4.py checkpoint) to ONNX and write model.json.

  python3 training/export_v3.py --checkpoint training/runs/v3-mobilenet/last.pt \
      --out resources/models/covidnet-cxr-lungs-v3 --id covidnet-cxr-lungs-v3
  python3 training/export_v3.py --config training/configs/v4.json --checkpoint training/runs/v4-long/last.pt \
      --out resources/models/covidnet-cxr-lungs-v4

The id, version, name, training-data and split words and the parity films come from the config's `export`
block (one config per bundled model: training/configs/v3.json by default, v4.json for v4).

Thresholds are 0.5 (not tuned). Calibration (temperature) and the feature statistics for "unfamiliar"
are fitted afterwards through the app's own pipeline on training/splits/calib.csv (training/fit_trust.ts),
never on validation. The card is written by training/v3_card.py from the app's own evaluation.
"""
from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import sys

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from data import read_split  # noqa: E402
from export import INTENDED_USE, LABELS, OPSET, SCHEMA, export_onnx, json_safe, sha256, verify  # noqa: E402
from export_segmenter import SEGMENTER_ID  # noqa: E402
from lung_crop import load_mask, lung_crop_tensor  # noqa: E402
from model import count_macs, count_params  # noqa: E402
from preprocess import load_gray  # noqa: E402
from train_v3 import build_arm  # noqa: E402

TRAINING_DIR = os.path.dirname(os.path.abspath(__file__))

ARMS = {
    "mobilenet": {
        "name": "COVID-Net CXR v3 (MobileNetV2 from an ImageNet start, lung crops, all data)",
        "trainedBy": ("covidnet-workstation training/train_v3.py --arm mobilenet (CPU). Initial weights: the Keras "
                      "MobileNetV2 (alpha 1.0) shipped inside the npm package nsfwjs@4.3.0 (MIT), fetched at training "
                      "time with `npm pack` (training/imagenet/fetch_nsfwjs.sh), converted to torchvision's layout "
                      "(training/imagenet/mobilenet_v2.py, parity-tested against tfjs). Its blocks up to block_10 are "
                      "ImageNet weights; later blocks were fine-tuned by nsfwjs for an unrelated image task. Every "
                      "block is kept (none re-initialised); nsfwjs's dense head is dropped and a new 3-class linear "
                      "head is trained; the whole network is fine-tuned."),
        "family": "MobileNetV2 (alpha 1.0) backbone, GAP + linear head (not a COVID-Net PEPX network)",
    },
    "pepx": {
        "name": "COVID-Net CXR v3 (compact PEPX, from scratch, lung crops, all data)",
        "trainedBy": "covidnet-workstation training/train_v3.py --arm pepx (CPU, from scratch; no pretrained weights)",
        "family": "COVID-Net (PEPX, densely connected), GAP + linear head",
    },
}


V3_CONFIG = os.path.join(TRAINING_DIR, "configs", "v3.json")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--checkpoint", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--config", default=V3_CONFIG, help="the model's config (training/configs/*.json), export block")
    ap.add_argument("--id", default=None)
    ap.add_argument("--version", default=None)
    ap.add_argument("--masks", default=os.path.join(TRAINING_DIR, "cache", "lungmasks"))
    ap.add_argument("--command", default="bash training/reproduce.sh")
    args = ap.parse_args(argv)
    with open(args.config, encoding="utf-8") as f:
        config = json.load(f)
    words = config["export"]
    model_id = args.id or config.get("id")
    if not model_id:
        raise SystemExit("--id or a --config with an id is required")
    version = args.version or words["version"]
    torch.set_num_threads(2)
    ck = torch.load(args.checkpoint, map_location="cpu")
    arm, spec, hp = ck["arm"], ck["inputSpec"], ck["hparams"]
    model = build_arm(arm, imagenet=False)
    model.load_state_dict(ck["model"])
    model = model.to(memory_format=torch.contiguous_format).eval()
    os.makedirs(args.out, exist_ok=True)
    onnx_path = os.path.join(args.out, "model.onnx")
    export_onnx(model, onnx_path, spec)
    rows = read_split(os.path.join(TRAINING_DIR, words["parityFrom"]))
    picked = [next(r for r in rows if r["label"] == lab and r["source"] == src) for lab, src in words["parityFilms"]]
    x = torch.cat([lung_crop_tensor(load_gray(r["path"]),
                                    load_mask(os.path.join(args.masks, os.path.basename(r["file"]) + ".png")), spec)
                   for r in picked])
    diffs = verify(model, onnx_path, x)
    print("onnxruntime-node vs PyTorch:", json.dumps(diffs))
    if diffs["probabilities"] >= 1e-4:
        raise SystemExit("parity check failed")
    about = {**ARMS[arm], **{k: words[k] for k in ("name", "trainedBy") if k in words}}
    manifest = {
        "schema": SCHEMA,
        "kind": "classifier",
        "id": model_id,
        "name": about["name"],
        "version": version,
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
            "trainedBy": about["trainedBy"],
            "trainingData": (words["trainingData"]
                             + (f", without {', '.join(hp['exclude_source'])}" if hp.get("exclude_source") else "")
                             + "; lung crops from the app's own segmenter masks"),
            "trainingDataLicence": words["trainingDataLicence"],
            "command": args.command,
            "split": words["split"],
            "seed": hp["seed"],
            "createdAt": dt.datetime.now(dt.timezone.utc).replace(microsecond=0).isoformat().replace("+00:00", "Z"),
            "architecture": {"family": about["family"], "arm": arm, "params": count_params(model),
                             "macs": count_macs(model, spec["height"], spec["width"]) if arm == "pepx" else None,
                             "inputSize": [spec["height"], spec["width"]]},
            "hyperparameters": hp,
            "stepsRun": ck["step"],
            "thresholds": "0.5 for every class, not tuned (argmax decides the label)",
            "trainSeconds": ck.get("trainSeconds"),
            "lastLog": ck["history"][-1] if ck["history"] else None,
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
