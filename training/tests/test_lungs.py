"""Segmenter and lung-crop tests (real shared masks). Run: /usr/bin/python3 -m pytest training/tests -q"""
from __future__ import annotations

import csv
import json
import os
import shutil
import subprocess
import sys

import numpy as np
import pytest
import torch

TRAINING_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
REPO_ROOT = os.path.dirname(TRAINING_DIR)
sys.path.insert(0, TRAINING_DIR)
torch.set_num_threads(2)

import export_segmenter  # noqa: E402
import lung_crop  # noqa: E402
import segmenter  # noqa: E402

HAVE_NODE_ORT = shutil.which("node") and os.path.isdir(os.path.join(REPO_ROOT, "node_modules", "onnxruntime-node"))
VAL_SPLIT = os.path.join(TRAINING_DIR, "splits", "val.csv")
TRAIN_SPLIT = os.path.join(TRAINING_DIR, "splits", "train.csv")


def patients(path: str) -> set[str]:
    with open(path, newline="", encoding="utf-8") as f:
        return {r["patient_id"] for r in csv.DictReader(f)}


def test_mask_split_is_patient_disjoint_and_consistent_with_the_classifier():
    train, val = segmenter.read_masks("train", VAL_SPLIT), segmenter.read_masks("val", VAL_SPLIT)
    assert len(train) + len(val) == 339 and len(val) > 40
    tp, vp = {r["patient_id"] for r in train}, {r["patient_id"] for r in val}
    assert not tp & vp
    # A masked film's patient sits on the same side of the classifier's split.
    assert vp <= patients(VAL_SPLIT)
    assert not tp & patients(VAL_SPLIT)


def test_augmentation_keeps_image_and_mask_registered():
    row = segmenter.read_masks("train", VAL_SPLIT)[0]
    img, mask = segmenter.load_gray(row["image_path"]), segmenter.load_gray(row["mask_path"])
    rng = np.random.default_rng(0)
    x, y = segmenter.augment_pair(img, mask, rng)
    assert x.shape == (1, 256, 256) and y.shape == (1, 256, 256)
    xb, yb = segmenter.augment_batch(x[None].repeat(2, 1, 1, 1), y[None].repeat(2, 1, 1, 1), torch.Generator().manual_seed(0))
    assert set(torch.unique(yb).tolist()) <= {0.0, 1.0} and 0.05 < float(yb.mean()) < 0.8


def test_segmenter_training_smoke_learns_and_resumes(tmp_path):
    out = str(tmp_path / "run")
    assert segmenter.main(["--out", out, "--epochs", "2", "--limit", "12", "--batch-size", "6"]) == 0
    hist = json.load(open(os.path.join(out, "history.json")))
    assert len(hist["history"]) == 2 and 0 <= hist["val"]["dice"] <= 1
    # A rerun with more epochs resumes from last.pt instead of starting over.
    assert segmenter.main(["--out", out, "--epochs", "3", "--limit", "12", "--batch-size", "6"]) == 0
    ck = torch.load(os.path.join(out, "last.pt"), map_location="cpu")
    assert ck["epoch"] == 3 and len(ck["history"]) == 3


@pytest.mark.skipif(not HAVE_NODE_ORT, reason="needs node + onnxruntime-node (npm ci)")
def test_segmenter_onnx_matches_pytorch(tmp_path):
    net = segmenter.LungUNet().eval()
    torch.save({"state_dict": net.state_dict(), "epoch": 0, "params": 1, "hparams": {"seed": 1}}, tmp_path / "ck.pt")
    out = tmp_path / "model"
    assert export_segmenter.main(["--checkpoint", str(tmp_path / "ck.pt"), "--out", str(out)]) == 0
    manifest = json.load(open(out / "model.json"))
    assert manifest["kind"] == "lung-segmenter" and manifest["provenance"]["onnxParityMaxAbs"] < 1e-4
    assert manifest["input"]["crop"] == {"kind": "none"} and manifest["input"]["height"] == 256


def test_bundled_segmenter_reaches_its_dice_on_validation_masks():
    ck_manifest = json.load(open(os.path.join(REPO_ROOT, "resources", "models", "lungseg-unet-v1", "model.json")))
    val = ck_manifest["provenance"]["trainingValidation"]
    assert val["n"] == len(segmenter.read_masks("val", VAL_SPLIT))
    assert val["dice"] >= 0.92


def test_lung_square_integer_rule():
    mask = np.zeros((256, 256), dtype=np.uint8)
    mask[64:192, 40:100] = 1
    mask[64:200, 150:220] = 1
    sx, sy, side = lung_crop.lung_square(mask, 512, 400, 0.1)
    # Box in pixels: x 80..440, y 100..313 (ceil), side = ceil(360 * 1.2) = 432.
    assert side == 432 and sx == (80 + 440 - 432) // 2 and sy == (100 + 313 - 432) // 2
    crop, _ = lung_crop.lung_crop_gray(np.full((400, 512), 200, np.float32), mask, {
        "height": 64, "width": 64, "resize": "area",
        "crop": {"kind": "lung-box-square", "margin": 0.1, "fill": 127.5, "outsideLungs": {"dilation": 2}}})
    values = set(np.unique(crop.numpy()).round(3).tolist())
    assert 127.5 in values and 200.0 in values  # outside the lungs filled, inside kept
