"""Export the lung segmenter to ONNX and write its model folder (model.json; card via segmenter_card.py).

  python3 training/export_segmenter.py --checkpoint training/runs/lungseg-v1/last.pt \
      --out resources/models/lungseg-unet-v1

The gate limits in model.json start permissive; `training/choose_gate.py` sets them from the
segmenter's measures on the shared films (written by `npx tsx training/lung_masks.ts`).
"""
from __future__ import annotations

import argparse
import datetime
import json
import os
import subprocess
import sys
import tempfile

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from export import sha256  # noqa: E402
from segmenter import INPUT_SPEC, TRAINING_DIR, ExportWrapper, LungUNet  # noqa: E402

SEGMENTER_ID = "lungseg-unet-v1"


def ort_parity(onnx_path: str, model: torch.nn.Module) -> float:
    x = torch.randn(2, 1, 256, 256, generator=torch.Generator().manual_seed(0))
    with torch.no_grad():
        want = model(x).numpy()
    with tempfile.TemporaryDirectory() as tmp:
        inp = os.path.join(tmp, "x.f32")
        x.numpy().astype("<f4").tofile(inp)
        subprocess.run(["node", os.path.join(TRAINING_DIR, "ort_run.cjs"), onnx_path, inp, "2,1,256,256", tmp],
                       check=True)
        got = np.fromfile(os.path.join(tmp, "lung_probability.f32"), dtype="<f4").reshape(want.shape)
    return float(np.abs(got - want).max())


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--checkpoint", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--command", default="bash training/reproduce.sh")
    args = ap.parse_args(argv)
    ck = torch.load(args.checkpoint, map_location="cpu")
    net = LungUNet()
    net.load_state_dict(ck["state_dict"])
    net.eval()
    model = ExportWrapper(net).eval()
    os.makedirs(args.out, exist_ok=True)
    onnx_path = os.path.join(args.out, "model.onnx")
    torch.onnx.export(model, torch.zeros(1, 1, 256, 256), onnx_path, opset_version=17,
                      input_names=["image"], output_names=["lung_probability"],
                      dynamic_axes={"image": {0: "N"}, "lung_probability": {0: "N"}})
    diff = ort_parity(onnx_path, model)
    print(f"onnxruntime-node vs PyTorch: max |dp| = {diff:.2e}")
    if diff > 1e-4:
        raise SystemExit("ONNX export does not match PyTorch")
    manifest_path = os.path.join(args.out, "model.json")
    old = {}
    if os.path.exists(manifest_path):
        with open(manifest_path, encoding="utf-8") as f:
            old = json.load(f)
    history_path = os.path.join(os.path.dirname(args.checkpoint), "history.json")
    history = json.load(open(history_path)) if os.path.exists(history_path) else {}
    manifest = {
        "schema": "covidnet-workstation/model-manifest@1",
        "kind": "lung-segmenter",
        "id": SEGMENTER_ID,
        "name": "Lung-field segmenter (small U-Net, trained from scratch)",
        "version": "1.0.0",
        "file": "model.onnx",
        "sha256": sha256(onnx_path),
        "opset": 17,
        "input": INPUT_SPEC,
        "outputs": {"lungProbability": "lung_probability"},
        "postprocess": {"threshold": 0.5, "minComponentFraction": 0.004},
        "gate": old.get("gate", {
            "minLungFraction": 0.02, "maxLungFraction": 0.8, "minLungAreaRatio": 0.05,
            "centroidRowRange": [0.1, 0.9], "boxAspectRange": [0.3, 3.0], "minMeanProbability": 0.5,
            "chosenOn": "permissive defaults (not yet chosen on data)"}),
        "modelCard": "MODEL_CARD.md",
        "intendedUse": ("Finds the lung fields of a frontal chest radiograph so the classifier reads the lungs and "
                        "the chest gate can turn away films that are not frontal chest X-rays. Research and triage "
                        "support only; not a diagnostic device."),
        "provenance": {
            "trainedBy": "covidnet-workstation training/segmenter.py (CPU, from scratch; no pretrained weights)",
            "trainingData": ("339 human-drawn lung-field masks (V7 Labs COVID-19 X-ray annotations, CC BY 4.0) on "
                             "shared Cohen and Hannover COVID-19 films; training side of the patient split only"),
            "trainingDataLicence": ("masks CC BY 4.0 (V7 Labs); images per their sources (Cohen per-image licences, "
                                    "Hannover CC BY 3.0). Only the trained weights ship."),
            "command": args.command,
            "checkpoint": os.path.relpath(args.checkpoint, os.path.dirname(TRAINING_DIR)),
            "split": ("by patient_id, consistent with the classifier: a masked film whose patient is in "
                      "training/splits/val.csv is a validation mask"),
            "seed": int(ck["hparams"]["seed"]),
            "createdAt": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "architecture": {"kind": "U-Net", "params": int(ck["params"]), "widths": [16, 32, 64, 128],
                             "bottleneck": 160, "stem": "3x3 stride-2 (internal 128x128)"},
            "epochs": int(ck["epoch"]),
            "trainingValidation": history.get("val"),
            "onnxParityMaxAbs": diff,
        },
    }
    with open(manifest_path, "w", encoding="utf-8") as f:
        json.dump(manifest, f, indent=2)
        f.write("\n")
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
