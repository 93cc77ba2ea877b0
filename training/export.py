"""Export a trained checkpoint (or an untrained config) to ONNX + model.json (+ MODEL_CARD.md).

Bundled model:
  python3 training/export.py --checkpoint training/runs/compact-v1/best.pt \
      --out resources/models/covidnet-cxr-compact-v1
Paper-scale architecture, random weights (benchmarks only; never committed):
  python3 training/export.py --config paper --untrained --out /tmp/covidnet-paper

Graph: input `image` [N,1,224,224] (dynamic N), outputs
  probabilities [N,3] softmax over labels ["normal","pneumonia","COVID-19"],
  logits [N,3], features [N,K,h,w] (last PEPX feature map, after ReLU),
  cam [N,3,h,w] class activation maps: cam[c] = sum_k W[c,k] * features[k] + b[c], i.e. the
  linear classifier applied as a 1x1 conv at every position, so mean over (h,w) of cam[c] ==
  logits[c] exactly (GAP and the linear layer commute). Units: logits (not probabilities).
The graph is verified against PyTorch with onnxruntime-node on real images.
"""
from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import json
import os
import subprocess
import sys
import tempfile

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from model import LABELS, build, count_macs, count_params  # noqa: E402
from preprocess import DEFAULT_INPUT_SPEC, preprocess_file  # noqa: E402

TRAINING_DIR = os.path.dirname(os.path.abspath(__file__))
REPO_ROOT = os.path.dirname(TRAINING_DIR)
OPSET = 17
SCHEMA = "covidnet-workstation/model-manifest@1"
INTENDED_USE = (
    "Research and triage support only: ranks frontal chest X-rays for review by a qualified reader and "
    "shows where the model looked. Not a diagnostic device; not validated clinically; must not be used to "
    "diagnose, exclude or treat COVID-19 or pneumonia."
)


class ExportGraph(nn.Module):
    """Wraps the classifier so the graph also emits logits, features and in-graph CAMs."""

    def __init__(self, model: nn.Module):
        super().__init__()
        self.model = model

    def forward(self, image: torch.Tensor):
        feats = self.model.features(image)
        logits = self.model.classifier(feats.mean(dim=(2, 3)))
        w = self.model.classifier.weight[:, :, None, None]
        cam = F.conv2d(feats, w, self.model.classifier.bias)
        return torch.softmax(logits, dim=1), logits, feats, cam


OUTPUT_NAMES = ["probabilities", "logits", "features", "cam"]


def export_onnx(model: nn.Module, path: str, spec: dict = DEFAULT_INPUT_SPEC) -> None:
    model.eval()
    graph = ExportGraph(model).eval()
    dummy = torch.zeros(1, spec["channels"], spec["height"], spec["width"])
    dyn = {name: {0: "N"} for name in ["image", *OUTPUT_NAMES]}
    with torch.no_grad():
        torch.onnx.export(graph, dummy, path, input_names=["image"], output_names=OUTPUT_NAMES,
                          dynamic_axes=dyn, opset_version=OPSET, do_constant_folding=True)
    import onnx

    onnx.checker.check_model(path)


def ort_run(onnx_path: str, x: np.ndarray) -> dict[str, np.ndarray]:
    """Run the graph with onnxruntime-node (training/ort_run.cjs); returns outputs by name."""
    with tempfile.TemporaryDirectory() as tmp:
        inp = os.path.join(tmp, "input.f32")
        np.ascontiguousarray(x, dtype="<f4").tofile(inp)
        outdir = os.path.join(tmp, "out")
        subprocess.run(["node", os.path.join(TRAINING_DIR, "ort_run.cjs"), onnx_path, inp,
                        ",".join(str(d) for d in x.shape), outdir], check=True, cwd=REPO_ROOT)
        with open(os.path.join(outdir, "meta.json")) as f:
            meta = json.load(f)
        return {k: np.fromfile(os.path.join(outdir, f"{k}.f32"), dtype="<f4").reshape(dims) for k, dims in meta.items()}


@torch.no_grad()
def verify(model: nn.Module, onnx_path: str, x: torch.Tensor) -> dict:
    """Max abs differences PyTorch vs onnxruntime-node, plus the CAM/logit identity."""
    ref = [t.numpy() for t in ExportGraph(model).eval()(x)]
    got = ort_run(onnx_path, x.numpy())
    diffs = {name: float(np.abs(ref[i] - got[name]).max()) for i, name in enumerate(OUTPUT_NAMES)}
    diffs["camMeanVsLogits"] = float(np.abs(got["cam"].mean(axis=(2, 3)) - got["logits"]).max())
    return diffs


def json_safe(obj):
    """NaN/inf -> None: JSON.parse in the app rejects NaN."""
    if isinstance(obj, float):
        return obj if np.isfinite(obj) else None
    if isinstance(obj, dict):
        return {k: json_safe(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [json_safe(v) for v in obj]
    return obj


def sha256(path: str) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def sample_images(n: int = 6) -> list[str]:
    """A few real validation images (one or two per class) for the parity check."""
    from data import read_split

    rows = read_split(os.path.join(TRAINING_DIR, "splits", "val.csv"))
    picked = []
    for lab in LABELS:
        picked += [r["path"] for r in rows if r["label"] == lab][: max(1, n // len(LABELS))]
    return picked


def build_manifest(model_id: str, config: str, model: nn.Module, onnx_file: str, thresholds: dict,
                   provenance: dict, name: str, version: str, spec: dict = DEFAULT_INPUT_SPEC) -> dict:
    return {
        "schema": SCHEMA,
        "id": model_id,
        "name": name,
        "version": version,
        "file": os.path.basename(onnx_file),
        "sha256": sha256(onnx_file),
        "opset": OPSET,
        "input": spec,
        "outputs": {"probabilities": "probabilities", "logits": "logits", "features": "features"},
        "labels": list(LABELS),
        "heatmap": {"kind": "class-activation", "output": "cam"},
        "thresholds": thresholds,
        "modelCard": "MODEL_CARD.md",
        "intendedUse": INTENDED_USE,
        "provenance": provenance,
    }


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--checkpoint", help="trained checkpoint (best.pt)")
    ap.add_argument("--config", default="compact", help="with --untrained: compact | paper")
    ap.add_argument("--untrained", action="store_true", help="export randomly initialised weights (seed 0)")
    ap.add_argument("--out", required=True, help="output folder (model.onnx, model.json[, MODEL_CARD.md])")
    ap.add_argument("--model-id", help="default: covidnet-cxr-<config>-v1 (trained) or -untrained")
    ap.add_argument("--report", help="val report JSON from evaluate_val.py (default: computed now)")
    ap.add_argument("--train-log", help="history.json of the training run (for the card)")
    ap.add_argument("--command", default="bash training/reproduce.sh", help="command recorded in provenance")
    ap.add_argument("--no-verify", action="store_true")
    args = ap.parse_args(argv)
    torch.set_num_threads(2)
    os.makedirs(args.out, exist_ok=True)
    onnx_path = os.path.join(args.out, "model.onnx")
    created = dt.datetime.now(dt.timezone.utc).replace(microsecond=0).isoformat().replace("+00:00", "Z")

    if args.untrained:
        torch.manual_seed(0)
        config = args.config
        model = build(config).eval()
        ckpt = None
    else:
        if not args.checkpoint:
            ap.error("--checkpoint is required unless --untrained")
        from evaluate_val import load_checkpoint

        model, ckpt = load_checkpoint(args.checkpoint)
        config = ckpt["config"]
    model_id = args.model_id or (f"covidnet-cxr-{config}-untrained" if args.untrained else f"covidnet-cxr-{config}-v1")
    architecture = {"family": "COVID-Net (PEPX, densely connected), GAP + linear head", "config": config,
                    "params": count_params(model), "macs": count_macs(model),
                    "inputSize": [DEFAULT_INPUT_SPEC["height"], DEFAULT_INPUT_SPEC["width"]],
                    "featureShape": list(model.features(torch.zeros(1, 1, 224, 224)).shape[1:])}

    export_onnx(model, onnx_path)
    size_mb = os.path.getsize(onnx_path) / 2**20
    print(f"wrote {onnx_path} ({size_mb:.1f} MiB), params {architecture['params']:,}, MACs {architecture['macs'] / 1e9:.3f} G")

    diffs = None
    if not args.no_verify:
        imgs = sample_images()
        x = torch.cat([preprocess_file(p) for p in imgs])
        diffs = verify(model, onnx_path, x)
        print(f"onnxruntime-node vs PyTorch on {len(imgs)} real images: " + json.dumps(diffs))
        if diffs["probabilities"] >= 1e-4:
            raise SystemExit(f"parity check failed: max |dp| = {diffs['probabilities']}")

    if args.untrained:
        thresholds = {lab: 0.5 for lab in LABELS}
        provenance = {"trainedBy": "nobody (random initialisation, seed 0; benchmark use only)",
                      "trainingData": "none", "trainingDataLicence": "n/a",
                      "command": f"python3 training/export.py --config {config} --untrained --out {args.out}",
                      "split": "n/a", "seed": 0, "createdAt": created, "architecture": architecture,
                      "parity": diffs}
        manifest = build_manifest(model_id, config, model, onnx_path, thresholds, provenance,
                                  name=f"COVID-Net {config} (UNTRAINED, benchmark only)", version="0.0.0")
        manifest.pop("modelCard")
    else:
        from evaluate_val import evaluate_checkpoint, format_report

        if args.report:
            with open(args.report) as f:
                report = json.load(f)
        else:
            report = evaluate_checkpoint(args.checkpoint, os.path.join(TRAINING_DIR, "splits", "val.csv"))
        print(format_report(report))
        history = None
        if args.train_log:
            with open(args.train_log) as f:
                history = json.load(f)
        thresholds = {k: v["threshold"] for k, v in report["thresholds"].items()}
        hp = ckpt["hparams"]
        provenance = {
            "trainedBy": "covidnet-workstation training/train.py (CPU, from scratch; no pretrained weights)",
            "trainingData": ("shared/data/cxr developer set (1,449 frontal CXRs / 883 patients): Cohen COVID-19 image "
                             "data collection, Figure1 and Actualmed COVID-19 CXR datasets, Hannover MHH COVID-19 image "
                             "repository, NIH ChestX-ray14 normal/pneumonia subset; training split only"),
            "trainingDataLicence": ("mixed, partly research-only / non-commercial: Cohen per-image licences (CC BY, "
                                    "CC BY-NC-SA, CC BY-NC-ND, unspecified), Figure1 and Actualmed 'research purposes "
                                    "only', Hannover CC BY 3.0, NIH ChestX-ray14 unrestricted with citation. Only the "
                                    "trained weights ship; no training images are distributed."),
            "command": args.command,
            # The PyTorch weights this graph was exported from (git-ignored; the benchmark compares against them).
            "checkpoint": (os.path.relpath(os.path.abspath(args.checkpoint), os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
                           if args.checkpoint else None),
            "split": ("training/splits/{train,val}.csv: by patient_id, stratified by (primary label, source), "
                      "80/20, seed 20260 (training/split.py)"),
            "seed": hp["seed"],
            "createdAt": created,
            "architecture": architecture,
            "hyperparameters": {k: hp.get(k) for k in ("epochs", "batch_size", "lr", "weight_decay", "label_smoothing",
                                                       "optimizer", "scheduler", "selection", "init", "batchNorm",
                                                       "cosine", "crop_probability", "crop_min_area")},
            "phases": (([{"epochs": "1-22", "lr": 1e-3, "init": "random (kaiming), seed 1234"},
                         {"epochs": "23-30", "lr": 2e-4, "init": "phase 1 last.pt"}]
                        + ([{"epochs": "31-46", "lr": f"{hp['lr']} cosine to lr/20", "init": hp["init"],
                             "crops": f"p={hp.get('crop_probability')}, min area {hp.get('crop_min_area')}"}]
                           if hp.get("cosine") else []))
                       if hp.get("init") else None),
            "epochsRun": (history["history"][-1]["epoch"] if history else None),
            "selectedEpoch": ckpt["epoch"],
            "metrics": {"split": "validation (training/splits/val.csv)", "accuracy": report["accuracy"],
                        "macroAuc": report["macroAuc"], "perClass": report["perClass"],
                        "confusion": report["confusion"], "perSource": report["perSource"],
                        "thresholds": report["thresholds"]},
            "parity": diffs,
        }
        manifest = build_manifest(model_id, config, model, onnx_path, thresholds, provenance,
                                  name=f"COVID-Net CXR ({config}, trained from scratch)", version="1.0.0")
        from model_card import write_model_card

        write_model_card(os.path.join(args.out, "MODEL_CARD.md"), manifest, report, history)
    with open(os.path.join(args.out, "model.json"), "w", encoding="utf-8") as f:
        json.dump(json_safe(manifest), f, indent=2, allow_nan=False)
        f.write("\n")
    print(f"wrote {os.path.join(args.out, 'model.json')}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
