"""v3 data: the split over both manifests, the reader, the crop cache and the batch fill rule.
Run: /usr/bin/python3 -m pytest training/tests -q"""
from __future__ import annotations

import csv
import os
import sys

import numpy as np
import torch

TRAINING_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, TRAINING_DIR)
torch.set_num_threads(1)

import split_v3  # noqa: E402
import train_v3  # noqa: E402
from crops_v3 import square_crop  # noqa: E402
from data import read_split  # noqa: E402

SPLITS = os.path.join(TRAINING_DIR, "splits")
PARTS = ("train_v3", "calib", "val_v3")


def rows_of(name: str, directory: str = SPLITS) -> list[dict]:
    with open(os.path.join(directory, f"{name}.csv"), newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


def test_committed_v3_split_is_what_split_v3_writes(tmp_path):
    for name in ("train", "val"):
        (tmp_path / f"{name}.csv").write_bytes(open(os.path.join(SPLITS, f"{name}.csv"), "rb").read())
    split_v3.make_v3_split(str(tmp_path))
    for name in PARTS:
        ours = open(os.path.join(SPLITS, f"{name}.csv"), encoding="utf-8").read()
        # Same rows; paths differ only by the output folder's depth.
        fresh = [r["group_id"] + r["label"] for r in rows_of(name, str(tmp_path))]
        assert fresh == [r["group_id"] + r["label"] for r in rows_of(name)], name
        assert ours.count("\n") == len(fresh) + 1


def test_no_group_in_two_parts_and_every_film_once():
    seen: dict[str, str] = {}
    files: set[str] = set()
    for name in PARTS:
        for r in rows_of(name):
            assert seen.setdefault(r["group_id"], name) == name, f"{r['group_id']} in {seen[r['group_id']]} and {name}"
            assert r["file"] not in files
            files.add(r["file"])
    extra = rows_of("manifest", os.path.join(TRAINING_DIR, "..", "..", "shared", "data", "cxr-extra"))
    labelled = sum(r["label"] != "abnormal_other" for r in extra)
    in_parts = sum(r["file"].startswith("../../../shared/data/cxr-extra/") for name in PARTS for r in rows_of(name))
    # Every cxr-extra film is used once, except abnormal_other films of validation/calibration groups.
    assert labelled <= in_parts <= len(extra)


def test_v2_validation_patients_stay_in_validation_and_calibration_is_training_patients():
    v2_val = {r["patient_id"] for r in rows_of("val")}
    v2_train = {r["patient_id"] for r in rows_of("train")}
    val_v3 = rows_of("val_v3")
    assert v2_val == {r["patient_id"] for r in val_v3 if not r["file"].startswith("../../../shared/data/cxr-extra/")}
    calib_dev = {r["patient_id"] for r in rows_of("calib") if not r["file"].startswith("../../../shared/data/cxr-extra/")}
    assert calib_dev and calib_dev <= v2_train
    assert all(r["label"] in train_v3.LABELS for name in ("calib", "val_v3") for r in rows_of(name))
    # Held-out groups of every new source are in validation, both RSNA classes among them.
    sources = {(r["source"], r["label"]) for r in val_v3}
    for cell in [("rsna-lungmasked", "normal"), ("rsna-lungmasked", "pneumonia"), ("c19rdb-covid", "COVID-19"),
                 ("c19rdb-rsna-normal", "normal")]:
        assert cell in sources


def test_reader_marks_films_outside_the_three_classes():
    rows = read_split(os.path.join(SPLITS, "train_v3.csv"))
    other = [r for r in rows if r["label"] == "abnormal_other"]
    assert other and all(r["y"] == -1 for r in other)
    assert all(os.path.exists(r["path"]) for r in rows[:: max(1, len(rows) // 50)])
    assert {r["y"] for r in rows if r["label"] != "abnormal_other"} == {0, 1, 2}


def test_fill_rule_hides_a_third_party_mask_and_standardises_every_film():
    rows = [r for r in read_split(os.path.join(SPLITS, "val_v3.csv")) if r["source"] == "rsna-lungmasked"][:2]
    masks_dir = os.path.join(TRAINING_DIR, "cache", "lungmasks")
    mask_files = [os.path.join(masks_dir, os.path.basename(r["file"]) + ".png") for r in rows]
    crops = [square_crop(r["path"], m) if os.path.exists(m) else None for r, m in zip(rows, mask_files)]
    if any(c is None for c in crops):
        # The app's masks are made by training/lung_masks.ts (reproduce.sh); use an all-lung mask instead.
        crops = [(np.asarray(__import__("PIL.Image", fromlist=["Image"]).open(r["path"]).convert("L").resize((224, 224))),
                  np.ones((224, 224), np.uint8)) for r in rows]
    images = np.stack([c[0] for c in crops])
    masks = np.stack([c[1] for c in crops])
    assert (images < 10).mean() > 0.2  # black outside the third party's mask
    x, filled = train_v3.clean_batch(images, masks)
    x = x.numpy()
    keep = ~filled.numpy()
    # The black outside the third party's mask is filled; only a few standardised dark lung pixels remain.
    assert (x[keep] < 10).mean() < 0.005
    for i in range(len(x)):
        inside = x[i][keep[i]]
        assert abs(inside.mean() - train_v3.STANDARDIZE["mean"]) < 3
        assert abs(inside.std() - train_v3.STANDARDIZE["std"]) < 6
        assert np.all(x[i][~keep[i]] == train_v3.FILL)
