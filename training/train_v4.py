"""Train a COVID-Net v4 arm (training/PROTOCOL.md) from the cached lung squares of the developer films.

  python3 training/train_v4.py --config training/configs/v4.json --crop tight --steps 450 --out training/runs/v4-tight

What is new against v3 (training/train_v3.py, whose crop geometry, fill rule and MobileNetV2 start are reused):
- degradation of every training film, independent of its class (training/degrade.py: resolution, JPEG
  quality 30-95, blur, noise), so a file's history is no label cue;
- the crop is an arm: `tight` (outside the lung mask dilated by 8 px -> grey, v3), `dilated` (the mask dilated
  by DILATED_PX), `box` (the lung square, nothing outside the lungs greyed);
- (source, label)-balanced batches: classes equal; within a class every (source, label) cell of >= CELL_FULL
  films is drawn equally, smaller cells in proportion n / CELL_FULL (no film repeats more often than in a
  CELL_FULL-film cell); cells under CELL_MIN films are left out;
- a source-adversarial head: gradient reversal on the pooled features into one source classifier per label
  (the source is predicted within the film's label), weight ramped 0 -> `adversary_weight` (DANN schedule).
The LAST step is kept (nothing chosen on validation). Resumable: <out>/last.pt every CHECKPOINT_STEPS.
`--val-report` writes the arm's figures on the validation cache (the protocol's selecting figure).
"""
from __future__ import annotations

import argparse
import json
import math
import os
import shutil
import sys
import time

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "imagenet"))
import train_v3 as v3  # noqa: E402
from degrade import degrade_batch  # noqa: E402

TRAINING_DIR = os.path.dirname(os.path.abspath(__file__))
CACHE_DIR = os.path.join(TRAINING_DIR, "cache", "crops-v4")
LABELS = v3.LABELS
SIZE = v3.SIZE
TIGHT_PX = 8
DILATED_PX = 24
CROPS = ("tight", "dilated", "box")
CELL_FULL = 40
CELL_MIN = 5
CHECKPOINT_STEPS = int(os.environ.get("V4_CHECKPOINT_STEPS", "50"))


def app_dilation(crop: str) -> int | None:
    """The `outsideLungs.dilation` model.json records for the arm (None = no lung fill)."""
    return {"tight": TIGHT_PX, "dilated": DILATED_PX, "box": None}[crop]


def input_spec(arm: str, crop: str) -> dict:
    spec = v3.input_spec(arm)
    d = app_dilation(crop)
    spec["crop"]["outsideLungs"] = {"dilation": d} if d is not None else None
    return spec


def fill_for_crop(img: torch.Tensor, lungs: torch.Tensor, crop: str, jitter: torch.Tensor | None,
                  holes: torch.Tensor | None) -> tuple[torch.Tensor, torch.Tensor]:
    """The `lung-box-square` fill rule for the arm; `jitter` (training) randomises the dilation +-4 px."""
    d = app_dilation(crop)
    if d is None:
        return v3.apply_fill_rule(img, torch.ones_like(lungs), 0, holes)
    return v3.apply_fill_rule(img, lungs, d if jitter is None else d + jitter, holes)


def geometry(images: np.ndarray, masks: np.ndarray, theta: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    img = torch.from_numpy(images).float()[:, None]
    lungs = torch.from_numpy(masks).float()[:, None]
    grid = F.affine_grid(theta, [len(images), 1, SIZE, SIZE], align_corners=False)
    img = F.grid_sample(img, grid, mode="bilinear", padding_mode="border", align_corners=False)
    lungs = F.grid_sample(lungs, grid, mode="nearest", align_corners=False)
    return img, lungs


def clean_batch(images: np.ndarray, masks: np.ndarray, crop: str) -> tuple[torch.Tensor, torch.Tensor]:
    """No augmentation: the app's margin and the arm's dilation."""
    z = v3.zoom_to_app_margin(len(images))
    theta = torch.tensor([[z, 0, 0], [0, z, 0]], dtype=torch.float32).expand(len(images), 2, 3)
    img, lungs = geometry(images, masks, theta)
    return fill_for_crop(img, lungs, crop, None, None)


def augmented_batch(images: np.ndarray, masks: np.ndarray, crop: str, gen: torch.Generator,
                    rng: np.random.Generator, degrade: bool = True) -> tuple[torch.Tensor, torch.Tensor]:
    b = len(images)

    def u(lo, hi, n=b):
        return lo + (hi - lo) * torch.rand(n, generator=gen)

    if degrade:
        images = degrade_batch(images, rng)
    margin = u(0.0, 0.14)
    zoom = (1 + 2 * margin) / (1 + 2 * v3.CACHE_MARGIN)
    ang = u(-8, 8) * math.pi / 180
    flip = torch.where(torch.rand(b, generator=gen) < 0.5, -1.0, 1.0)
    cos, sin = torch.cos(ang) * zoom, torch.sin(ang) * zoom
    theta = torch.stack([torch.stack([cos * flip, -sin, u(-0.05, 0.05)], 1),
                         torch.stack([sin * flip, cos, u(-0.05, 0.05)], 1)], 1)
    img, lungs = geometry(images, masks, theta)
    gamma = torch.exp(u(-0.35, 0.35))[:, None, None, None]
    img = 255 * (img.clamp(0, 255) / 255) ** gamma
    holes = v3.random_holes(lungs, gen)
    jitter = torch.randint(-4, 5, (b,), generator=gen)
    return fill_for_crop(img.clamp(0, 255), lungs, crop, jitter, holes)


def cell_plan(part: dict) -> list[list[tuple[np.ndarray, float]]]:
    """Per class: [(indices of one (source, label) cell, its draw weight)]."""
    plan = []
    for c in range(len(LABELS)):
        cells = []
        for source in sorted(set(part["sources"].tolist())):
            idx = np.flatnonzero((part["y"] == c) & (part["sources"] == source))
            if len(idx) >= CELL_MIN:
                cells.append((idx, min(len(idx), CELL_FULL) / CELL_FULL))
        plan.append(cells)
    return plan


def draw_batch(plan: list[list[tuple[np.ndarray, float]]], batch_size: int, rng: np.random.Generator) -> np.ndarray:
    picks = []
    for i in range(batch_size):
        cells = plan[i % len(plan)]
        w = np.asarray([wt for _, wt in cells])
        idx, _ = cells[rng.choice(len(cells), p=w / w.sum())]
        picks.append(idx[rng.integers(len(idx))])
    return rng.permutation(np.asarray(picks))


class GradientReversal(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x, weight):
        ctx.weight = weight
        return x.view_as(x)

    @staticmethod
    def backward(ctx, grad):
        return -ctx.weight * grad, None


class SourceAdversary(nn.Module):
    """Predicts the film's source within its label from the pooled features (through gradient reversal)."""

    def __init__(self, features: int, sources: int, labels: int = len(LABELS)):
        super().__init__()
        self.sources = sources
        self.net = nn.Sequential(nn.Linear(features, 128), nn.ReLU(), nn.Linear(128, labels * sources))

    def forward(self, pooled: torch.Tensor, y: torch.Tensor, weight: float) -> torch.Tensor:
        out = self.net(GradientReversal.apply(pooled, weight)).view(len(y), -1, self.sources)
        return out[torch.arange(len(y)), y]


def load_part(name: str, cache_dir: str = CACHE_DIR) -> dict:
    return v3.load_part(name, cache_dir)


@torch.no_grad()
def predict_logits(model: nn.Module, part: dict, spec: dict, crop: str, batch: int = 64) -> np.ndarray:
    model.eval()
    out = []
    for i in range(0, len(part["images"]), batch):
        x, _ = clean_batch(part["images"][i:i + batch], part["masks"][i:i + batch], crop)
        out.append(model(v3.to_input(x, spec).contiguous(memory_format=torch.channels_last)).numpy())
    return np.concatenate(out)


def write_val_report(model: nn.Module, spec: dict, crop: str, cache: str, path: str, extra: dict) -> dict:
    """The protocol's figures (training/v4_figures.py) of a model on the validation cache, as JSON."""
    from v4_figures import figures

    val = load_part("val", cache)
    report = figures(predict_logits(model, val, spec, crop), val)
    report.update({"crop": crop, **extra})
    with open(path, "w", encoding="utf-8") as f:
        json.dump(report, f, indent=1)
    print(json.dumps(report), flush=True)
    return report


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--config", default=os.path.join(TRAINING_DIR, "configs", "v4.json"))
    ap.add_argument("--crop", choices=CROPS, default=None, help="default: the config's")
    ap.add_argument("--steps", type=int, default=None, help="default: the config's")
    ap.add_argument("--adversary-weight", type=float, default=None, help="default: the config's")
    ap.add_argument("--no-degrade", action="store_true", help="ablation only")
    ap.add_argument("--out", required=True)
    ap.add_argument("--seed", type=int, default=None)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--cache", default=CACHE_DIR)
    ap.add_argument("--val-report", default=None, help="write the arm's figures on the validation cache here")
    ap.add_argument("--snapshots", type=int, nargs="*", default=[],
                    help="also keep <out>/step-N.pt at these steps (a snapshot ensemble)")
    args = ap.parse_args(argv)
    with open(args.config, encoding="utf-8") as f:
        cfg = json.load(f)["train"]
    crop = args.crop or cfg["crop"]
    steps = args.steps or cfg["steps"]
    adv_weight = cfg["adversary_weight"] if args.adversary_weight is None else args.adversary_weight
    seed = cfg["seed"] if args.seed is None else args.seed
    arm, lr, batch_size = cfg["arm"], cfg["lr"], cfg["batch_size"]
    torch.set_num_threads(args.threads)
    torch.manual_seed(seed)
    os.makedirs(args.out, exist_ok=True)
    spec = input_spec(arm, crop)
    train = load_part("train", args.cache)
    keep = train["y"] >= 0
    sources = sorted(set(train["sources"][keep].tolist()))
    source_idx = np.asarray([sources.index(s) for s in train["sources"]])
    plan = cell_plan(train)
    model = v3.build_arm(arm).to(memory_format=torch.channels_last)
    n_features = model.classifier.in_features
    adversary = SourceAdversary(n_features, len(sources))
    params = list(model.parameters()) + list(adversary.parameters())
    opt = torch.optim.AdamW(params, lr=lr, weight_decay=1e-4)
    step, history, seconds = 0, [], 0.0
    last = os.path.join(args.out, "last.pt")
    if os.path.exists(last):
        ck = torch.load(last)
        model.load_state_dict(ck["model"])
        adversary.load_state_dict(ck["adversary"])
        opt.load_state_dict(ck["optimizer"])
        step, history, seconds = ck["step"], ck["history"], ck["trainSeconds"]
        print(f"resumed at step {step}", flush=True)
    hparams = {"arm": arm, "crop": crop, "steps": steps, "batch_size": batch_size, "lr": lr, "weight_decay": 1e-4,
               "optimizer": "AdamW", "scheduler": "cosine to 0 over the steps", "label_smoothing": 0.05,
               "cam_neutral_weight": v3.CAM_NEUTRAL_WEIGHT, "seed": seed, "adversary_weight": adv_weight,
               "degradation": not args.no_degrade, "sources": sources, "cell_full": CELL_FULL, "cell_min": CELL_MIN,
               "selection": "last step (no checkpoint chosen on validation)",
               "sampling": f"classes equal; (source, label) cells of >= {CELL_FULL} films equal, smaller in "
                           f"proportion n/{CELL_FULL}, under {CELL_MIN} films left out"}
    window: dict[str, list[float]] = {"loss": [], "acc": [], "adv": [], "adv_acc": []}
    t0 = time.time()
    while step < steps:
        model.train()
        adversary.train()
        for group in opt.param_groups:
            group["lr"] = lr * 0.5 * (1 + math.cos(math.pi * step / steps))
        rng = np.random.default_rng([seed, step])
        gen = torch.Generator().manual_seed(seed * 100_003 + step)
        idx = draw_batch(plan, batch_size, rng)
        x, filled = augmented_batch(train["images"][idx], train["masks"][idx], crop, gen, rng, not args.no_degrade)
        y = torch.from_numpy(train["y"][idx])
        feats = model.features(v3.to_input(x, spec).contiguous(memory_format=torch.channels_last))
        pooled = feats.mean(dim=(2, 3))
        logits = model.classifier(model.dropout(pooled) if hasattr(model, "dropout") else pooled)
        loss = F.cross_entropy(logits, y, label_smoothing=0.05)
        if v3.CAM_NEUTRAL_WEIGHT:
            loss = loss + v3.CAM_NEUTRAL_WEIGHT * v3.cam_neutral_loss(model, feats, filled)
        progress = step / steps
        ramp = adv_weight * (2 / (1 + math.exp(-10 * progress)) - 1)
        s = torch.from_numpy(source_idx[idx])
        adv_logits = adversary(pooled, y, ramp)
        adv_loss = F.cross_entropy(adv_logits, s)
        total = loss + (adv_loss if adv_weight > 0 else 0.0)
        opt.zero_grad()
        total.backward()
        opt.step()
        step += 1
        window["loss"].append(float(loss))
        window["acc"].append(float((logits.argmax(1) == y).float().mean()))
        window["adv"].append(float(adv_loss))
        window["adv_acc"].append(float((adv_logits.argmax(1) == s).float().mean()))
        if step % CHECKPOINT_STEPS == 0 or step == steps:
            seconds += time.time() - t0
            t0 = time.time()
            entry = {"step": step, "loss": float(np.mean(window["loss"])), "train_acc": float(np.mean(window["acc"])),
                     "adversary_loss": float(np.mean(window["adv"])),
                     "adversary_acc": float(np.mean(window["adv_acc"])), "seconds": round(seconds, 1)}
            history.append(entry)
            window = {k: [] for k in window}
            print(json.dumps(entry), flush=True)
            torch.save({"model": model.state_dict(), "adversary": adversary.state_dict(), "optimizer": opt.state_dict(),
                        "step": step, "history": history, "trainSeconds": seconds, "hparams": hparams,
                        "inputSpec": spec, "arm": arm, "crop": crop}, last + ".tmp")
            os.replace(last + ".tmp", last)
            if step in args.snapshots:
                shutil.copyfile(last, os.path.join(args.out, f"step-{step}.pt"))
    print(f"done: {step} steps, {seconds / 60:.1f} min", flush=True)
    if args.val_report:
        write_val_report(model, spec, crop, args.cache, args.val_report,
                         {"steps": steps, "trainSeconds": seconds, "checkpoint": last})
    return 0


if __name__ == "__main__":
    sys.exit(main())
