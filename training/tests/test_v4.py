"""v4: degradation augmentation (deterministic, class-blind, really degrading), (source, label) balancing,
gradient reversal, the data stage and the protocol's figures. Real developer films; a few seconds."""
from __future__ import annotations

import csv
import inspect
import json
import os
import sys

import numpy as np
import pytest
import torch
from PIL import Image

TRAINING_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
REPO_ROOT = os.path.dirname(TRAINING_DIR)
sys.path.insert(0, TRAINING_DIR)
sys.path.insert(0, os.path.join(TRAINING_DIR, "imagenet"))

import data_stage  # noqa: E402
import degrade  # noqa: E402
import train_v4  # noqa: E402
import v4_figures  # noqa: E402

CXR = os.path.join(REPO_ROOT, "..", "shared", "data", "cxr")


def real_films(n: int = 6, size: int = 224) -> np.ndarray:
    with open(os.path.join(CXR, "manifest.csv"), newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))[::200][:n]
    out = []
    for r in rows:
        img = Image.open(os.path.join(CXR, r["file"])).convert("L").resize((size, size), Image.BOX)
        out.append(np.asarray(img, dtype=np.uint8))
    return np.stack(out)


def test_degradation_is_deterministic_under_a_seed_and_differs_across_seeds():
    films = real_films()
    a = degrade.degrade_batch(films, np.random.default_rng([4040, 7]))
    b = degrade.degrade_batch(films, np.random.default_rng([4040, 7]))
    c = degrade.degrade_batch(films, np.random.default_rng([4040, 8]))
    assert a.dtype == np.uint8 and a.shape == films.shape
    assert np.array_equal(a, b)
    assert not np.array_equal(a, c)


def test_degradation_really_degrades_and_never_sees_a_label():
    films = real_films()
    rng = np.random.default_rng(1)
    out = np.stack([degrade.degrade_one(films[0], rng) for _ in range(40)])
    diffs = np.abs(out.astype(float) - films[0]).mean(axis=(1, 2))
    assert (diffs > 0.5).mean() > 0.8  # nearly every draw changes the film visibly
    assert diffs.max() < 25  # mild: the lungs stay recognisable
    # Class-blind by construction: neither function takes a label, and train_v4 calls it on the batch's
    # images before looking at y.
    assert set(inspect.signature(degrade.degrade_batch).parameters) == {"images", "rng"}
    assert set(inspect.signature(degrade.degrade_one).parameters) == {"image", "rng"}


def test_jpeg_branch_leaves_8x8_block_edges():
    film = real_films(1)[0]
    saved = degrade.JPEG_PROBABILITY, degrade.SCALE_RANGE, degrade.BLUR_PROBABILITY, degrade.NOISE_PROBABILITY
    try:
        degrade.JPEG_PROBABILITY, degrade.SCALE_RANGE = 1.0, (1.0, 1.0)
        degrade.BLUR_PROBABILITY = degrade.NOISE_PROBABILITY = 0.0
        out = degrade.degrade_one(film, np.random.default_rng(3))
    finally:
        degrade.JPEG_PROBABILITY, degrade.SCALE_RANGE, degrade.BLUR_PROBABILITY, degrade.NOISE_PROBABILITY = saved
    assert not np.array_equal(out, film)
    step = np.abs(np.diff(out.astype(float) - film.astype(float), axis=1)).mean(axis=0)
    # the re-encoding error jumps more across block boundaries (columns 7|8, 15|16, ...) than inside blocks
    boundary = step[7::8].mean()
    inside = np.delete(step, np.arange(7, len(step), 8)).mean()
    assert boundary > inside


def test_cell_plan_balances_source_and_label_and_caps_small_cells():
    sources = np.asarray(["nih"] * 300 + ["cohen"] * 50 + ["actualmed"] * 10 + ["figure1"] * 2 + ["nih"] * 100)
    y = np.asarray([0] * 300 + [1] * 50 + [0] * 10 + [0] * 2 + [1] * 100)
    plan = train_v4.cell_plan({"sources": sources, "y": y})
    weights = {(c, sources[idx[0]]): w for c, cells in enumerate(plan) for idx, w in cells}
    assert weights == {(0, "actualmed"): 10 / 40, (0, "nih"): 1.0, (1, "cohen"): 1.0, (1, "nih"): 1.0}
    plan[2] = plan[1]  # no COVID-19 cells in this toy set
    picks = np.concatenate([train_v4.draw_batch(plan, 24, np.random.default_rng(s)) for s in range(200)])
    pneumonia = picks[y[picks] == 1]
    share_cohen = (sources[pneumonia] == "cohen").mean()
    assert 0.45 < share_cohen < 0.55  # 50 Cohen films drawn as often as 100 NIH films
    assert np.array_equal(train_v4.draw_batch(plan, 24, np.random.default_rng(5)),
                          train_v4.draw_batch(plan, 24, np.random.default_rng(5)))


def test_gradient_reversal_flips_and_scales_the_gradient_and_the_adversary_reads_within_label():
    x = torch.randn(4, 8, requires_grad=True)
    train_v4.GradientReversal.apply(x, 0.5).sum().backward()
    assert torch.allclose(x.grad, torch.full_like(x, -0.5))
    adversary = train_v4.SourceAdversary(8, sources=3)
    y = torch.tensor([0, 1, 2, 0])
    out = adversary(torch.randn(4, 8), y, 1.0)
    assert out.shape == (4, 3)
    full = adversary.net(torch.zeros(1, 8)).view(3, 3)
    per_label = adversary(torch.zeros(3, 8), torch.tensor([0, 1, 2]), 1.0)
    assert torch.allclose(per_label, full)  # row = the label's own source classifier


def test_data_stage_from_a_manifest_keeps_splits_and_refuses_a_shared_patient(tmp_path):
    # `covidnet dataset build` parts: train / val (calibration) / test (held out -> our validation)
    rows = [("a.jpg", "normal", "p1", "g1", "nih-chestxray14", "train"),
            ("b.jpg", "COVID-19", "p2", "g2", "cohen-covid-chestxray-dataset", "test"),
            (str(tmp_path / "abs" / "c.jpg"), "pneumonia", "p3", "g3", "nih-chestxray14", "val"),
            ("d.jpg", "pneumonia", "p4", "g4", "rsna", "val")]
    manifest = tmp_path / "manifest.csv"

    def write(rs):
        with open(manifest, "w", newline="", encoding="utf-8") as f:
            w = csv.writer(f)
            w.writerow(["file", "label", "patient_id", "group_id", "source", "split", "view", "licence",
                        "original_path"])
            for r in rs:
                w.writerow([*r, "PA", "x", "y"])

    write(rows)
    config = {"data": {"sources": ["nih-chestxray14", "cohen-covid-chestxray-dataset"]}}
    counts = data_stage.build(config, str(manifest), str(tmp_path / "out"))
    assert counts == {"train": 1, "calib": 1, "val": 1}
    with open(tmp_path / "out" / "val.csv", encoding="utf-8") as f:
        val = list(csv.DictReader(f))
    assert val[0]["file"] == "../b.jpg" and val[0]["label"] == "COVID-19"
    with open(tmp_path / "out" / "calib.csv", encoding="utf-8") as f:
        assert list(csv.DictReader(f))[0]["file"] == "../abs/c.jpg"  # an absolute path, made relative
    # Built with --part-names train,calib,val: the names are ours.
    write([(*r[:5], {"train": "train", "val": "calib", "test": "val"}[r[5]]) for r in rows])
    assert data_stage.build(config, str(manifest), str(tmp_path / "ours")) == counts
    with open(tmp_path / "ours" / "val.csv", encoding="utf-8") as f:
        assert list(csv.DictReader(f))[0]["file"] == "../b.jpg"
    write(rows + [("e.jpg", "normal", "p1", "g9", "nih-chestxray14", "test")])
    with pytest.raises(SystemExit, match="p1"):
        data_stage.build(config, str(manifest), str(tmp_path / "out"))


def test_v4_splits_are_the_developer_films_of_v3s_parts():
    with open(os.path.join(TRAINING_DIR, "configs", "v4.json"), encoding="utf-8") as f:
        config = json.load(f)
    keep = set(config["data"]["sources"])
    for part, source in config["data"]["from_splits"].items():
        with open(os.path.join(TRAINING_DIR, source), encoding="utf-8") as f:
            expected = sorted(os.path.basename(r["file"]) for r in csv.DictReader(f) if r["source"] in keep)
        with open(os.path.join(TRAINING_DIR, "splits", "v4", f"{part}.csv"), encoding="utf-8") as f:
            got = sorted(os.path.basename(r["file"]) for r in csv.DictReader(f))
        assert got == expected, part


def test_figures_match_hand_computed_auc_and_per_source_ece():
    logits = np.log(np.asarray([[0.8, 0.1, 0.1], [0.3, 0.6, 0.1], [0.6, 0.3, 0.1], [0.1, 0.2, 0.7],
                                [0.2, 0.3, 0.5], [0.1, 0.8, 0.1]]))
    part = {"y": np.asarray([0, 1, 1, 2, 1, 2]),
            "sources": np.asarray([v4_figures.NIH] * 3 + [v4_figures.COHEN] * 3)}
    f = v4_figures.figures(logits, part)
    assert f["nih_normal_vs_pneumonia_auc"] == 1.0  # P(pneumonia) .1 < .3, .6
    assert f["cohen_covid_vs_other_auc"] == 0.5  # COVID .7 and .1 against other .5
    assert f["selecting_figure"] == 0.5
    # NIH: confidences .8, .6, .6 (right, right, wrong) -> bins 12 (.8) and 9 (.6, .6): 1/3*.2 + 2/3*|.5-.6|
    assert f["per_source"][v4_figures.NIH]["ece"] == pytest.approx(0.2 / 3 + 2 / 3 * 0.1)


def test_student_distils_from_a_teacher_and_its_onnx_matches_onnxruntime_node(tmp_path):
    import distill_v4
    import export
    import train_v3

    films = np.concatenate([real_films(8), real_films(8)[:, ::-1]])[:15]  # 5 films per (source, label) cell
    part = {"images": np.ascontiguousarray(films), "masks": np.ones_like(films), "y": np.arange(15) % 3,
            "sources": np.asarray(["nih-chestxray14"] * 15)}
    teacher = train_v3.build_arm("mobilenet", imagenet=False).to(memory_format=torch.channels_last).eval()
    result = distill_v4.distil(teacher, train_v4.input_spec("mobilenet", "dilated"), "dilated", part,
                               str(tmp_path / "run"), steps=2, batch_size=4)
    ck = torch.load(result["checkpoint"])
    assert ck["step"] == 2 and ck["arm"] == "pepx" and ck["inputSpec"]["channels"] == 1
    assert ck["inputSpec"]["crop"]["outsideLungs"] == {"dilation": train_v4.DILATED_PX}
    assert np.isfinite(ck["history"][-1]["loss"])
    student = train_v3.build_arm("pepx")
    student.load_state_dict(ck["model"])
    student.eval()
    onnx_path = str(tmp_path / "student.onnx")
    spec = ck["inputSpec"]
    export.export_onnx(student, onnx_path, spec)
    x, _ = train_v4.clean_batch(films[:3], np.ones_like(films[:3]), "dilated")
    diffs = export.verify(student, onnx_path, train_v3.to_input(x, spec).contiguous())
    assert diffs["probabilities"] < 1e-4
    assert diffs["logits"] < 1e-3
    assert diffs["camMeanVsLogits"] < 1e-4


@pytest.mark.parametrize("version", ["v3", "v4"])
def test_one_config_per_bundled_model_reproduces_its_manifest_fields(version):
    with open(os.path.join(TRAINING_DIR, "configs", f"{version}.json"), encoding="utf-8") as f:
        config = json.load(f)
    with open(os.path.join(REPO_ROOT, "resources", "models", config["id"], "model.json"), encoding="utf-8") as f:
        manifest = json.load(f)
    words, provenance = config["export"], manifest["provenance"]
    assert manifest["version"] == words["version"]
    assert provenance["trainingData"].startswith(words["trainingData"])
    assert provenance["split"] == words["split"]
    assert provenance["trainingDataLicence"] == words["trainingDataLicence"]
    if "name" in words:
        assert manifest["name"] == words["name"]
    if version == "v4":  # the trained crop is the config's arm
        assert manifest["input"]["crop"]["outsideLungs"] == {"dilation": train_v4.app_dilation(config["train"]["crop"])}
