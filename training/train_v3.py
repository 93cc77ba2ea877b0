"""Train COVID-Net v3 arms on all the data (developer set + cxr-extra) from the precomputed lung squares.

  python3 training/train_v3.py --arm mobilenet --out training/runs/v3-mobilenet [--steps 3000]
  python3 training/train_v3.py --arm pepx      --out training/runs/v3-pepx      [--steps 3000]
  ... --exclude-source rsna-lungmasked   (source ablation: the same recipe without one extra source)

Arms, one recipe: (a) `pepx` = the COVID-Net PEPX classifier (training/model.py, compact) from scratch,
1 channel; (b) `mobilenet` = MobileNetV2 initialised from the ImageNet weights shipped in nsfwjs@4.3.0
(training/imagenet/, every block kept, none re-initialised; a new 3-class linear head), gray repeated
to 3 channels, fine-tuned end to end.

Making each source's look useless as a cue (every film, every source, the same way):
- the crop's fill rule (model.json `lung-box-square`): outside our dilated lung mask -> mid-grey; near-black
  pixels (a third party's lung mask, holes where its opacity was) -> the same grey (`darkOutside`);
  one intensity normalisation inside the lungs (`standardize`);
- the outline is randomised for every film: random mask dilation (4-12 px; the app uses 8) and, with
  probability HOLE_PROBABILITY, 1-3 random grey ellipses inside the lungs, so a grey hole is no label cue;
- resolution history: random downscaling (to 35-100% then back) of every film, so the 224-px sources
  are not recognisable by blur;
- sampling: each batch draws classes equally, then a source within the class with weight sqrt(n), so no
  (source, label) cell dominates; `abnormal_other` films are not used for the hard labels.
Loss: cross-entropy (label smoothing 0.05) + CAM-neutral term on filled cells (as v2). AdamW, cosine decay.
The LAST step is kept (no checkpoint chosen on validation). Resumable: <out>/last.pt every CHECKPOINT_STEPS.
"""
from __future__ import annotations

import argparse
import json
import math
import os
import sys
import time

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "imagenet"))
from crops_v3 import CACHE_DIR, CACHE_MARGIN  # noqa: E402
from lung_crop import dilate_square  # noqa: E402,F401  (the rule's reference; the batch version is below)
from model import build  # noqa: E402

LABELS = ("normal", "pneumonia", "COVID-19")
SIZE = 160
APP_MARGIN = 0.06
FILL = 127.5
DARK_BELOW = 10.0
DARK_DILATION = 2
APP_DILATION = 8
STANDARDIZE = {"mean": 127.5, "std": 48.0}
HOLE_PROBABILITY = 0.3
DOWNSCALE_PROBABILITY = 0.6
CAM_NEUTRAL_WEIGHT = 0.5
CHECKPOINT_STEPS = 100


def input_spec(arm: str) -> dict:
    """What model.json records; the app applies exactly this (src/shared/model-manifest.ts)."""
    crop = {"kind": "lung-box-square", "margin": APP_MARGIN, "fill": FILL, "outsideLungs": {"dilation": APP_DILATION},
            "darkOutside": {"below": DARK_BELOW, "dilation": DARK_DILATION}, "standardize": dict(STANDARDIZE)}
    if arm == "mobilenet":  # nsfwjs's MobileNetV2 reads RGB in [0, 1]
        norm = {"scale": 1.0 / 255.0, "mean": [0.0, 0.0, 0.0], "std": [1.0, 1.0, 1.0]}
        channels = 3
    else:
        norm = {"scale": 1.0 / 255.0, "mean": [0.5], "std": [0.25]}
        channels = 1
    return {"name": "image", "layout": "NCHW", "height": SIZE, "width": SIZE, "channels": channels, "crop": crop,
            "resize": "area", "normalization": norm}


class MobileNetClassifier(nn.Module):
    """`features` + GAP + linear `classifier`: the layout export.py's CAM graph expects."""

    def __init__(self, features: nn.Module, num_classes: int = 3, dropout: float = 0.2):
        super().__init__()
        self.features = features
        self.dropout = nn.Dropout(dropout)
        self.classifier = nn.Linear(1280, num_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.classifier(self.dropout(self.features(x).mean(dim=(2, 3))))


def build_arm(arm: str, imagenet: bool = True) -> nn.Module:
    if arm == "pepx":
        return build("compact")
    from mobilenet_v2 import imagenet_backbone, keras_layout_backbone

    return MobileNetClassifier(imagenet_backbone() if imagenet else keras_layout_backbone())


def load_part(name: str, cache_dir: str = CACHE_DIR) -> dict:
    with np.load(os.path.join(cache_dir, f"{name}.npz")) as z:
        part = {k: z[k] for k in z.files}
    part["y"] = np.asarray([LABELS.index(lab) if lab in LABELS else -1 for lab in part["labels"]])
    return part


def dilate_batch(mask: torch.Tensor, radius: torch.Tensor | int) -> torch.Tensor:
    """[B,1,h,w] {0,1} -> square-window dilation, per-image radius."""
    if isinstance(radius, int):
        if radius <= 0:
            return mask
        # A square window is a row window then a column window: the same maximum, O(r) not O(r^2) per pixel.
        rows = F.max_pool2d(mask, (1, 2 * radius + 1), stride=1, padding=(0, radius))
        return F.max_pool2d(rows, (2 * radius + 1, 1), stride=1, padding=(radius, 0))
    out = torch.empty_like(mask)
    for r in radius.unique().tolist():
        sel = radius == r
        out[sel] = dilate_batch(mask[sel], int(r))
    return out


def apply_fill_rule(img: torch.Tensor, lungs: torch.Tensor, dilation: torch.Tensor | int,
                    holes: torch.Tensor | None = None) -> tuple[torch.Tensor, torch.Tensor]:
    """The `lung-box-square` steps 4-6 on a [B,1,h,w] batch (0..255): returns (image, filled)."""
    dark = (img < DARK_BELOW).float()
    filled = dilate_batch(dark, DARK_DILATION) > 0
    filled |= dilate_batch(lungs, dilation) == 0
    if holes is not None:
        filled |= holes
    keep = (~filled).float()
    n = keep.sum(dim=(2, 3), keepdim=True).clamp_min(1)
    mean = (img * keep).sum(dim=(2, 3), keepdim=True) / n
    std = (((img - mean) ** 2 * keep).sum(dim=(2, 3), keepdim=True) / n).sqrt().clamp_min(1)
    out = (STANDARDIZE["mean"] + STANDARDIZE["std"] * (img - mean) / std).clamp(0, 255)
    return torch.where(filled, torch.full_like(out, FILL), out), filled


def zoom_to_app_margin(n: int) -> float:
    return (1 + 2 * APP_MARGIN) / (1 + 2 * CACHE_MARGIN)


def clean_batch(images: np.ndarray, masks: np.ndarray) -> tuple[torch.Tensor, torch.Tensor]:
    """No augmentation: the app's margin, dilation 8 (for calibration checks and probes)."""
    img = torch.from_numpy(images).float()[:, None]
    lungs = torch.from_numpy(masks).float()[:, None]
    z = zoom_to_app_margin(len(images))
    theta = torch.tensor([[z, 0, 0], [0, z, 0]], dtype=torch.float32).expand(len(images), 2, 3)
    grid = F.affine_grid(theta, [len(images), 1, SIZE, SIZE], align_corners=False)
    img = F.grid_sample(img, grid, mode="bilinear", padding_mode="border", align_corners=False)
    lungs = F.grid_sample(lungs, grid, mode="nearest", align_corners=False)
    return apply_fill_rule(img, lungs, APP_DILATION)


def augmented_batch(images: np.ndarray, masks: np.ndarray, gen: torch.Generator) -> tuple[torch.Tensor, torch.Tensor]:
    b = len(images)

    def u(lo, hi, n=b):
        return lo + (hi - lo) * torch.rand(n, generator=gen)

    img = torch.from_numpy(images).float()[:, None]
    lungs = torch.from_numpy(masks).float()[:, None]
    # Geometry: the app's margin with jitter (0.0-0.14), rotation, shift, horizontal flip.
    margin = u(0.0, 0.14)
    zoom = (1 + 2 * margin) / (1 + 2 * CACHE_MARGIN)
    ang = u(-8, 8) * math.pi / 180
    flip = torch.where(torch.rand(b, generator=gen) < 0.5, -1.0, 1.0)
    cos, sin = torch.cos(ang) * zoom, torch.sin(ang) * zoom
    theta = torch.stack([torch.stack([cos * flip, -sin, u(-0.05, 0.05)], 1),
                         torch.stack([sin * flip, cos, u(-0.05, 0.05)], 1)], 1)
    grid = F.affine_grid(theta, [b, 1, SIZE, SIZE], align_corners=False)
    img = F.grid_sample(img, grid, mode="bilinear", padding_mode="border", align_corners=False)
    lungs = F.grid_sample(lungs, grid, mode="nearest", align_corners=False)
    # Resolution history: every source, random downscale and back.
    down = torch.rand(b, generator=gen) < DOWNSCALE_PROBABILITY
    scale = u(0.35, 1.0)
    for i in torch.nonzero(down).flatten().tolist():
        s = max(24, int(SIZE * float(scale[i])))
        small = F.interpolate(img[i:i + 1], size=(s, s), mode="area")
        img[i:i + 1] = F.interpolate(small, size=(SIZE, SIZE), mode="bilinear", align_corners=False)
    # Photometric: gamma, noise (standardisation later removes brightness/contrast).
    gamma = torch.exp(u(-0.35, 0.35))[:, None, None, None]
    img = 255 * (img.clamp(0, 255) / 255) ** gamma
    img = img + torch.randn(img.shape, generator=gen) * u(0, 4)[:, None, None, None]
    # Outline randomised for every film: grey holes inside the lungs, random dilation.
    holes = random_holes(lungs, gen)
    dilation = torch.randint(4, 13, (b,), generator=gen)
    return apply_fill_rule(img.clamp(0, 255), lungs, dilation, holes)


def random_holes(lungs: torch.Tensor, gen: torch.Generator) -> torch.Tensor:
    """[B,1,S,S] lungs -> bool holes: with HOLE_PROBABILITY, 1-3 random grey ellipses inside a film's lungs."""
    b = len(lungs)
    holes = torch.zeros_like(lungs, dtype=torch.bool)
    yy, xx = torch.meshgrid(torch.arange(lungs.shape[-2]), torch.arange(lungs.shape[-1]), indexing="ij")
    for i in torch.nonzero(torch.rand(b, generator=gen) < HOLE_PROBABILITY).flatten().tolist():
        inside = torch.nonzero(lungs[i, 0] > 0)
        if len(inside) == 0:
            continue
        for _ in range(int(torch.randint(1, 4, (1,), generator=gen))):
            cy, cx = inside[int(torch.randint(len(inside), (1,), generator=gen))].tolist()
            ry, rx = [float(6 + 22 * torch.rand(1, generator=gen)) for _ in range(2)]
            holes[i, 0] |= ((yy - cy) / ry) ** 2 + ((xx - cx) / rx) ** 2 <= 1
    return holes


def to_input(x: torch.Tensor, spec: dict) -> torch.Tensor:
    norm = spec["normalization"]
    mean = torch.tensor(norm["mean"], dtype=torch.float32).view(1, -1, 1, 1)
    std = torch.tensor(norm["std"], dtype=torch.float32).view(1, -1, 1, 1)
    if spec["channels"] == 3:
        x = x.expand(-1, 3, -1, -1)
    return (x * norm["scale"] - mean) / std


EQUAL_MIN_FILMS = 40


def sampling_plan(part: dict, exclude: set[str], weighting: str = "sqrt") -> list[list[np.ndarray]]:
    """Per class: the (source, label) cells' indices. `sqrt`: a cell is drawn with weight sqrt(n);
    `equal`: every cell of >= EQUAL_MIN_FILMS films equally (smaller cells are left out)."""
    plan = []
    for c in range(len(LABELS)):
        cells = []
        for source in sorted(set(part["sources"].tolist()) - exclude):
            idx = np.flatnonzero((part["y"] == c) & (part["sources"] == source))
            if len(idx) and (weighting == "sqrt" or len(idx) >= EQUAL_MIN_FILMS):
                cells.append(idx)
        plan.append(cells)
    return plan


def draw_batch(plan: list[list[np.ndarray]], batch_size: int, rng: np.random.Generator,
               weighting: str = "sqrt") -> np.ndarray:
    picks = []
    for i in range(batch_size):
        cells = plan[i % len(plan)]
        w = np.sqrt([len(c) for c in cells]) if weighting == "sqrt" else np.ones(len(cells))
        cell = cells[rng.choice(len(cells), p=w / w.sum())]
        picks.append(cell[rng.integers(len(cell))])
    return rng.permutation(np.asarray(picks))


def cam_neutral_loss(model: nn.Module, feats: torch.Tensor, filled: torch.Tensor) -> torch.Tensor:
    cam = F.conv2d(feats, model.classifier.weight[:, :, None, None])
    centred = cam - cam.mean(dim=1, keepdim=True)
    cells = (F.adaptive_avg_pool2d(filled.float(), cam.shape[-2:]) > 0.9).float()
    return (centred ** 2 * cells).sum() / (cells.sum() * cam.shape[1] + 1e-6)


@torch.no_grad()
def predict_logits(model: nn.Module, part: dict, spec: dict, batch: int = 64) -> np.ndarray:
    model.eval()
    out = []
    for i in range(0, len(part["images"]), batch):
        x, _ = clean_batch(part["images"][i:i + batch], part["masks"][i:i + batch])
        out.append(model(to_input(x, spec).contiguous(memory_format=torch.channels_last)).numpy())
    return np.concatenate(out)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--arm", choices=["mobilenet", "pepx"], required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--steps", type=int, default=3000)
    ap.add_argument("--batch-size", type=int, default=24)
    ap.add_argument("--lr", type=float, default=None, help="default: 4e-4 (mobilenet), 1.5e-3 (pepx)")
    ap.add_argument("--exclude-source", action="append", default=[])
    ap.add_argument("--seed", type=int, default=3131)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--source-weighting", choices=["sqrt", "equal"], default="sqrt")
    ap.add_argument("--init", default=None, help="start from this run's weights (a second phase; fresh optimizer)")
    args = ap.parse_args(argv)
    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    os.makedirs(args.out, exist_ok=True)
    spec = input_spec(args.arm)
    lr = args.lr or (4e-4 if args.arm == "mobilenet" else 1.5e-3)
    train = load_part("train_v3")
    plan = sampling_plan(train, set(args.exclude_source), args.source_weighting)
    # channels_last: Debian's torch has no optimised BLAS; mkldnn's channels-last kernels are 3-8x faster here.
    model = build_arm(args.arm).to(memory_format=torch.channels_last)
    opt = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=1e-4)
    step, history, seconds = 0, [], 0.0
    last = os.path.join(args.out, "last.pt")
    if args.init and not os.path.exists(last):
        init = torch.load(args.init)
        model.load_state_dict(init["model"])
        print(f"initialised from {args.init} (step {init['step']})", flush=True)
    if os.path.exists(last):
        ck = torch.load(last)
        model.load_state_dict(ck["model"])
        opt.load_state_dict(ck["optimizer"])
        step, history, seconds = ck["step"], ck["history"], ck["trainSeconds"]
        print(f"resumed at step {step}", flush=True)
    hparams = {"arm": args.arm, "steps": args.steps, "batch_size": args.batch_size, "lr": lr, "weight_decay": 1e-4,
               "optimizer": "AdamW", "scheduler": "cosine to 0 over the steps", "label_smoothing": 0.05,
               "cam_neutral_weight": CAM_NEUTRAL_WEIGHT, "seed": args.seed, "exclude_source": args.exclude_source,
               "selection": "last step (no checkpoint chosen on validation)",
               "sampling": "classes equal per batch; source within class with weight "
                           + ("sqrt(n)" if args.source_weighting == "sqrt" else f"1 (cells of >= {EQUAL_MIN_FILMS} films)"),
               "init": args.init}
    window_loss, window_acc, t0 = [], [], time.time()
    while step < args.steps:
        model.train()
        for group in opt.param_groups:
            group["lr"] = lr * 0.5 * (1 + math.cos(math.pi * step / args.steps))
        rng = np.random.default_rng([args.seed, step])
        gen = torch.Generator().manual_seed(args.seed * 100_003 + step)
        idx = draw_batch(plan, args.batch_size, rng, args.source_weighting)
        x, filled = augmented_batch(train["images"][idx], train["masks"][idx], gen)
        y = torch.from_numpy(train["y"][idx])
        feats = model.features(to_input(x, spec).contiguous(memory_format=torch.channels_last))
        pooled = feats.mean(dim=(2, 3))
        logits = model.classifier(model.dropout(pooled) if hasattr(model, "dropout") else pooled)
        loss = F.cross_entropy(logits, y, label_smoothing=0.05)
        if CAM_NEUTRAL_WEIGHT:
            loss = loss + CAM_NEUTRAL_WEIGHT * cam_neutral_loss(model, feats, filled)
        opt.zero_grad()
        loss.backward()
        opt.step()
        step += 1
        window_loss.append(float(loss))
        window_acc.append(float((logits.argmax(1) == y).float().mean()))
        if step % CHECKPOINT_STEPS == 0 or step == args.steps:
            seconds += time.time() - t0
            t0 = time.time()
            entry = {"step": step, "loss": float(np.mean(window_loss)), "train_acc": float(np.mean(window_acc)),
                     "seconds": round(seconds, 1)}
            history.append(entry)
            window_loss, window_acc = [], []
            print(json.dumps(entry), flush=True)
            torch.save({"model": model.state_dict(), "optimizer": opt.state_dict(), "step": step, "history": history,
                        "trainSeconds": seconds, "hparams": hparams, "inputSpec": spec, "arm": args.arm},
                       last + ".tmp")
            os.replace(last + ".tmp", last)
    print(f"done: {step} steps, {seconds / 60:.1f} min")
    return 0


if __name__ == "__main__":
    sys.exit(main())
