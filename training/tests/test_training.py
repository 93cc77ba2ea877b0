"""Tests for the Python training side. Run: /usr/bin/python3 -m pytest training/tests -q  (a few minutes, 2 cores)."""
from __future__ import annotations

import csv
import hashlib
import json
import os
import shutil
import subprocess
import sys
from collections import defaultdict

import numpy as np
import pytest
import torch
import torch.nn.functional as F

TRAINING_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
REPO_ROOT = os.path.dirname(TRAINING_DIR)
sys.path.insert(0, TRAINING_DIR)
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
torch.set_num_threads(2)

import data  # noqa: E402
import export  # noqa: E402
import preprocess  # noqa: E402
import split  # noqa: E402
from model import LABELS, build, count_macs, count_params  # noqa: E402

SHARED_MANIFEST = os.path.join(REPO_ROOT, "..", "shared", "data", "cxr", "manifest.csv")
HAVE_NODE_ORT = shutil.which("node") and os.path.isdir(os.path.join(REPO_ROOT, "node_modules", "onnxruntime-node"))


def real_rows(per_class: int = 4) -> list[dict]:
    rows = data.read_split(os.path.join(TRAINING_DIR, "splits", "train.csv"))
    out = []
    for lab in LABELS:
        out += [r for r in rows if r["label"] == lab][:per_class]
    return out


# ------------------------------------------------------------------ architecture


def test_paper_config_matches_table1():
    m = build("paper")
    params, macs = count_params(m), count_macs(m)
    assert abs(params - 117.4e6) / 117.4e6 < 0.10, params
    assert abs(macs - 2.26e9) / 2.26e9 < 0.10, macs


def test_compact_config_size():
    m = build("compact")
    assert 0.5e6 <= count_params(m) <= 2e6
    assert count_macs(m) < 0.5e9
    assert m.features(torch.zeros(1, 1, 224, 224)).shape[2:] == (7, 7)


def test_mac_counter_on_known_layers():
    class Tiny(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.cfg = type("C", (), {"in_channels": 1})
            self.conv = torch.nn.Conv2d(1, 4, 3, padding=1)
            self.dw = torch.nn.Conv2d(4, 4, 3, padding=1, groups=4)
            self.fc = torch.nn.Linear(4, 3)

        def forward(self, x):
            return self.fc(self.dw(self.conv(x)).mean((2, 3)))

    # conv: 8*8*4*9 = 2304, depthwise: 8*8*4*9 = 2304, fc: 12
    assert count_macs(Tiny(), 8, 8) == 2304 + 2304 + 12


# ------------------------------------------------------------------ preprocessing


@pytest.mark.parametrize(
    "h,w,f,expected",
    [
        (100, 80, 0.08, (14, 0, 80, 80)),   # top=8, h2=92, side=80, y0=8+(12//2)
        (50, 90, 0.08, (4, 22, 46, 46)),    # top=4, h2=46, side=46, x0=(90-46)//2
        (512, 512, 0.08, (40, 20, 472, 472)),  # top=floor(40.96)=40
        (157, 200, 0.0, (0, 21, 157, 157)),
    ],
)
def test_crop_arithmetic(h, w, f, expected):
    assert preprocess.crop_box(h, w, {"kind": "top-fraction-then-center-square", "topFraction": f}) == expected


def test_crop_and_resize_on_synthetic_image():
    h, w = 125, 100
    img = (np.arange(h)[:, None] * 1000 + np.arange(w)[None, :]).astype(np.float32)  # value encodes (row, col)
    crop = preprocess.apply_crop(img, {"kind": "top-fraction-then-center-square", "topFraction": 0.08})
    # top = floor(10.0) = 10, h2 = 115, side = 100, y0 = 10 + 7 = 17, x0 = 0
    assert crop.shape == (100, 100) and crop[0, 0] == 17000 and crop[-1, -1] == 116099
    assert preprocess.crop_box(h, w, {"kind": "center-square"}) == (12, 0, 100, 100)
    assert preprocess.crop_box(h, w, {"kind": "none"}) == (0, 0, h, w)
    # area resize = adaptive average pooling: an exact 2x shrink is the mean of each 2x2 block
    t = torch.from_numpy(np.random.default_rng(0).uniform(0, 255, (448, 448)).astype(np.float32))[None, None]
    ref = t.view(1, 1, 224, 2, 224, 2).mean(dim=(3, 5))
    assert torch.allclose(preprocess.resize(t, 224, 224, "area"), ref, atol=1e-4)
    spec = dict(preprocess.DEFAULT_INPUT_SPEC)
    x = preprocess.gray_to_tensor(np.full((300, 200), 127.5, np.float32), spec)
    assert x.shape == (1, 1, 224, 224) and torch.allclose(x, torch.zeros_like(x))  # (0.5-0.5)/0.25


def test_preprocess_cli_writes_f32(tmp_path):
    img = real_rows(1)[0]["path"]
    subprocess.run([sys.executable, os.path.join(TRAINING_DIR, "preprocess.py"), "--out", str(tmp_path), img],
                   check=True, capture_output=True)
    got = np.fromfile(tmp_path / (os.path.basename(img) + ".f32"), dtype="<f4")
    assert np.array_equal(got, preprocess.preprocess_file(img).numpy().ravel())


# ------------------------------------------------------------------ split


@pytest.mark.skipif(not os.path.exists(SHARED_MANIFEST), reason="shared data not present")
def test_split_by_patient_and_stratified(tmp_path):
    train, val = split.make_split(SHARED_MANIFEST, str(tmp_path))
    _, rows = split.read_manifest(SHARED_MANIFEST)
    assert len(train) + len(val) == len(rows)
    assert sorted(os.path.basename(r["file"]) for r in train + val) == sorted(os.path.basename(r["file"]) for r in rows)
    tp, vp = {r["patient_id"] for r in train}, {r["patient_id"] for r in val}
    assert not tp & vp
    # merged ids ("a+b") are single ids: no member id may appear on both sides either
    members = lambda ids: {m for pid in ids for m in pid.split("+")}  # noqa: E731
    assert not members(tp) & members(vp)
    # stratification: ~20% of the patients of every (primary label, source) stratum with >= 10 patients
    strata = split.patient_strata(rows)
    by = defaultdict(lambda: [0, 0])
    for pid, key in strata.items():
        by[key][pid in vp] += 1
    for key, (n_train, n_val) in by.items():
        n = n_train + n_val
        if n >= 10:
            assert 0.12 <= n_val / n <= 0.28, (key, n_train, n_val)
    # files resolve relative to the CSV folder
    for r in val[:20]:
        assert os.path.exists(os.path.join(str(tmp_path), r["file"]))
    # the committed split is exactly what the script produces
    for name in ("train.csv", "val.csv"):
        fresh = list(csv.DictReader(open(tmp_path / name)))
        committed = data.read_split(os.path.join(TRAINING_DIR, "splits", name))
        assert [r["patient_id"] for r in fresh] == [r["patient_id"] for r in committed]
        assert all(os.path.exists(r["path"]) for r in committed[:50])


# ------------------------------------------------------------------ training steps


def test_few_training_steps_on_real_images():
    torch.manual_seed(0)
    rows = real_rows(4)
    imgs = [preprocess.load_gray(r["path"]).astype(np.uint8) for r in rows]
    y = torch.tensor([r["y"] for r in rows])
    model = build("compact")
    before = [p.detach().clone() for p in model.parameters()]
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    rng, gen = np.random.default_rng(0), torch.Generator().manual_seed(0)
    # the full augmentation path runs and gives finite losses
    xb = torch.stack([data.augment_gray(im, rng) for im in imgs])
    xb = data.normalize_batch(data.augment_batch(xb, gen))
    assert xb.shape == (12, 1, 224, 224) and torch.isfinite(xb).all()
    # fitting one fixed (un-augmented) batch: loss must go down
    x = torch.cat([preprocess.gray_to_tensor(im.astype(np.float32)) for im in imgs])
    losses = []
    for _ in range(8):
        model.train()
        loss = F.cross_entropy(model(x), y)
        opt.zero_grad()
        loss.backward()
        opt.step()
        losses.append(float(loss))
    assert all(np.isfinite(losses))
    assert min(losses[-3:]) < losses[0]
    assert any(not torch.equal(a, b) for a, b in zip(before, model.parameters()))


def test_balanced_batches_hold_every_class():
    labels = [0] * 50 + [1] * 20 + [2] * 7
    batches = data.balanced_batches(labels, 24, np.random.default_rng(1))
    assert len(batches) == 4
    for b in batches:
        assert sorted({labels[i] for i in b}) == [0, 1, 2] and len(b) == 24
    again = data.balanced_batches(labels, 24, np.random.default_rng(1))
    assert batches == again  # deterministic order


# ------------------------------------------------------------------ export


def check_manifest(m: dict, out_dir: str) -> None:
    for key in ("schema", "id", "name", "version", "file", "sha256", "input", "outputs", "labels", "thresholds",
                "intendedUse", "provenance"):
        assert key in m, key
    assert m["schema"] == "covidnet-workstation/model-manifest@1"
    assert m["labels"] == ["normal", "pneumonia", "COVID-19"]
    assert m["opset"] == 17 and m["heatmap"] == {"kind": "class-activation", "output": "cam"}
    assert m["outputs"] == {"probabilities": "probabilities", "logits": "logits", "features": "features"}
    assert set(m["thresholds"]) == set(m["labels"])
    for key in ("trainedBy", "trainingData", "trainingDataLicence", "command", "split", "seed", "createdAt"):
        assert key in m["provenance"], key
    with open(os.path.join(out_dir, m["file"]), "rb") as f:
        assert hashlib.sha256(f.read()).hexdigest() == m["sha256"]


@pytest.mark.skipif(not HAVE_NODE_ORT, reason="node + onnxruntime-node not installed")
def test_export_compact_matches_onnxruntime_node(tmp_path):
    export.main(["--config", "compact", "--untrained", "--out", str(tmp_path), "--no-verify"])
    with open(tmp_path / "model.json") as f:
        m = json.load(f)
    check_manifest(m, str(tmp_path))
    assert (tmp_path / "model.onnx").stat().st_size < 30 * 2**20
    torch.manual_seed(0)
    model = build("compact").eval()  # same seed-0 weights as the export
    x = torch.cat([preprocess.preprocess_file(r["path"]) for r in real_rows(1)])
    diffs = export.verify(model, str(tmp_path / "model.onnx"), x)  # runs onnxruntime-node, batch 3
    assert diffs["probabilities"] < 1e-4 and diffs["logits"] < 1e-3, diffs
    assert diffs["camMeanVsLogits"] < 1e-4, diffs
    got = export.ort_run(str(tmp_path / "model.onnx"), x[:1].numpy())
    assert list(got["cam"].shape) == [1, 3, 7, 7] and list(got["features"].shape) == [1, 512, 7, 7]
    assert np.allclose(got["probabilities"].sum(1), 1, atol=1e-5)


def test_export_paper_scale(tmp_path):
    export.main(["--config", "paper", "--untrained", "--out", str(tmp_path), "--no-verify"])
    import onnx

    g = onnx.load(str(tmp_path / "model.onnx"), load_external_data=False)
    assert [o.name for o in g.graph.output] == ["probabilities", "logits", "features", "cam"]
    with open(tmp_path / "model.json") as f:
        m = json.load(f)
    assert abs(m["provenance"]["architecture"]["params"] - 117.4e6) / 117.4e6 < 0.10


BUNDLED = os.path.join(REPO_ROOT, "resources", "models", "covidnet-cxr-compact-v1")


@pytest.mark.skipif(not os.path.exists(os.path.join(BUNDLED, "model.json")), reason="bundled model not exported yet")
def test_bundled_model_manifest():
    with open(os.path.join(BUNDLED, "model.json")) as f:
        m = json.load(f)
    check_manifest(m, BUNDLED)
    assert m["id"] == "covidnet-cxr-compact-v1"
    assert os.path.getsize(os.path.join(BUNDLED, m["file"])) <= 30 * 2**20
    assert os.path.exists(os.path.join(BUNDLED, m["modelCard"]))
