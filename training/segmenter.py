"""Lung-field segmenter: a small U-Net trained from scratch on the shared V7 lung masks.

  python3 training/segmenter.py --out training/runs/lungseg-v1

Input: the whole film as gray 0..255, `area`-resized to 256x256 (no crop; aspect ratio is not kept,
exactly as the app does it), normalised (v/255 - 0.5)/0.25. Output: P(lung) per pixel [N,1,256,256].
Split: by patient, consistent with the classifier (a masked image whose patient is in
`training/splits/val.csv` is a validation mask, otherwise a training mask; no patient is on both
sides of either split). Augmentation: random framing crops (aspect 0.7..1.45, 55..100% of the area),
borders, rotation +-12 deg, scale 0.85..1.2, translation +-8%, horizontal flip (masks flip with the
image), gamma, contrast, brightness, blur, noise, and random "white-out" of lung regions, so dense
bilateral opacities (the sickest films) still segment. Loss: BCE + soft Dice. Adam, cosine decay.
The last epoch is kept (fixed schedule; no checkpoint selection on validation masks).
Resumable: <out>/last.pt is written every epoch and picked up by a rerun.
"""
from __future__ import annotations

import argparse
import csv
import json
import math
import os
import random
import sys
import time

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
from PIL import Image

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from data import random_affine_grid  # noqa: E402

TRAINING_DIR = os.path.dirname(os.path.abspath(__file__))
REPO_ROOT = os.path.dirname(TRAINING_DIR)
LUNGS_DIR = os.path.join(REPO_ROOT, "..", "shared", "data", "lungs")
CXR_DIR = os.path.join(REPO_ROOT, "..", "shared", "data", "cxr")
SIZE = 256
NORMALIZATION = {"scale": 1.0 / 255.0, "mean": [0.5], "std": [0.25]}
INPUT_SPEC = {"name": "image", "layout": "NCHW", "height": SIZE, "width": SIZE, "channels": 1,
              "crop": {"kind": "none"}, "resize": "area", "normalization": NORMALIZATION}


# ---------------------------------------------------------------- model
def block(cin: int, cout: int) -> nn.Sequential:
    return nn.Sequential(
        nn.Conv2d(cin, cout, 3, padding=1, bias=False), nn.BatchNorm2d(cout), nn.ReLU(inplace=True),
        nn.Conv2d(cout, cout, 3, padding=1, bias=False), nn.BatchNorm2d(cout), nn.ReLU(inplace=True))


class LungUNet(nn.Module):
    """U-Net on a half-resolution stem (stride-2 conv: 256 -> 128; lung fields are smooth, and
    full-resolution levels cost most of the CPU time), 4 levels (widths 16/32/64/128, bottleneck
    160), bilinear upsampling, logits upsampled back to the 256x256 input in the graph."""

    def __init__(self, widths=(16, 32, 64, 128), bottleneck=160):
        super().__init__()
        self.stem = nn.Sequential(nn.Conv2d(1, widths[0], 3, stride=2, padding=1, bias=False),
                                  nn.BatchNorm2d(widths[0]), nn.ReLU(inplace=True))
        self.down = nn.ModuleList()
        cin = widths[0]
        for w in widths:
            self.down.append(block(cin, w))
            cin = w
        self.mid = block(cin, bottleneck)
        self.up = nn.ModuleList()
        cin = bottleneck
        for w in reversed(widths):
            self.up.append(block(cin + w, w))
            cin = w
        self.head = nn.Conv2d(cin, 1, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        size = x.shape[-2:]
        x = self.stem(x)
        skips = []
        for d in self.down:
            x = d(x)
            skips.append(x)
            x = F.max_pool2d(x, 2)
        x = self.mid(x)
        for u, s in zip(self.up, reversed(skips)):
            x = F.interpolate(x, size=s.shape[-2:], mode="bilinear", align_corners=False)
            x = u(torch.cat([x, s], 1))
        return F.interpolate(self.head(x), size=size, mode="bilinear", align_corners=False)  # logits


class ExportWrapper(nn.Module):
    def __init__(self, net: nn.Module):
        super().__init__()
        self.net = net

    def forward(self, x):
        return torch.sigmoid(self.net(x))


# ---------------------------------------------------------------- data
def load_gray(path: str) -> np.ndarray:
    with Image.open(path) as im:
        return np.asarray(im.convert("L"), dtype=np.uint8)


def read_masks(split: str, val_csv: str) -> list[dict]:
    """Mask rows of one side of the split (train/val), with absolute image and mask paths."""
    with open(val_csv, newline="", encoding="utf-8") as f:
        val_patients = {r["patient_id"] for r in csv.DictReader(f)}
    with open(os.path.join(LUNGS_DIR, "manifest.csv"), newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    out = []
    for r in rows:
        side = "val" if r["patient_id"] in val_patients else "train"
        if side == split:
            r["image_path"] = os.path.normpath(os.path.join(CXR_DIR, r["image"]))
            r["mask_path"] = os.path.normpath(os.path.join(LUNGS_DIR, r["mask"]))
            out.append(r)
    return out


def write_validation_masks_csv(rows: list[dict], path: str) -> None:
    """The validation masks as a CSV for the app's `evaluate --lung-masks` (paths relative to the CSV)."""
    base = os.path.dirname(os.path.abspath(path))
    with open(path, "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["image", "mask", "patient_id", "source"])
        for r in rows:
            w.writerow([os.path.basename(r["image"]), os.path.relpath(r["mask_path"], base), r["patient_id"], r["source"]])


def area_resize(a: np.ndarray, size: int = SIZE) -> torch.Tensor:
    t = torch.from_numpy(np.ascontiguousarray(a, dtype=np.float32))[None, None]
    return F.adaptive_avg_pool2d(t, (size, size))[0]


def normalize(x: torch.Tensor) -> torch.Tensor:
    return (x * NORMALIZATION["scale"] - NORMALIZATION["mean"][0]) / NORMALIZATION["std"][0]


def augment_pair(img: np.ndarray, mask: np.ndarray, rng: np.random.Generator) -> tuple[torch.Tensor, torch.Tensor]:
    """Framing augmentation in source pixels, then the app's area resize to 256."""
    h, w = img.shape
    if rng.random() < 0.6:
        area = rng.uniform(0.55, 1.0) * h * w
        aspect = math.exp(rng.uniform(math.log(0.7), math.log(1.45)))
        ch = int(min(h, round(math.sqrt(area / aspect))))
        cw = int(min(w, round(math.sqrt(area * aspect))))
        y0, x0 = int(rng.integers(0, h - ch + 1)), int(rng.integers(0, w - cw + 1))
        img, mask = img[y0:y0 + ch, x0:x0 + cw], mask[y0:y0 + ch, x0:x0 + cw]
    if rng.random() < 0.25:
        t = [int(rng.integers(1, max(2, int(0.06 * min(img.shape))) + 1)) if rng.random() < 0.6 else 0 for _ in range(4)]
        value = int(rng.choice([0, 255, int(rng.integers(0, 256))]))
        img = np.pad(img, ((t[0], t[1]), (t[2], t[3])), constant_values=value)
        mask = np.pad(mask, ((t[0], t[1]), (t[2], t[3])), constant_values=0)
    img = img.astype(np.float32)
    if rng.random() < 0.25:
        # White-out: raise the density of part of the lungs (dense bilateral opacities).
        m = mask > 127
        ys, xs = np.nonzero(m)
        if len(ys):
            cy, cx = ys[int(rng.integers(len(ys)))], xs[int(rng.integers(len(xs)))]
            yy, xx = np.ogrid[: img.shape[0], : img.shape[1]]
            r = rng.uniform(0.15, 0.45) * min(img.shape)
            blob = np.exp(-(((yy - cy) ** 2 + (xx - cx) ** 2) / (2 * r * r))) * m
            img = img + blob * rng.uniform(60, 160)
    return area_resize(np.clip(img, 0, 255)), area_resize(mask.astype(np.float32) / 255.0)


def augment_batch(x: torch.Tensor, y: torch.Tensor, gen: torch.Generator) -> tuple[torch.Tensor, torch.Tensor]:
    b = x.shape[0]

    def u(lo, hi):
        return lo + (hi - lo) * torch.rand(b, generator=gen)

    grid = random_affine_grid(x.shape, gen, degrees=12, scale=(0.85, 1.2), shift=0.08)
    x = F.grid_sample(x, grid, mode="bilinear", padding_mode="zeros", align_corners=False)
    y = F.grid_sample(y, grid, mode="bilinear", padding_mode="zeros", align_corners=False)
    v = (x / 255.0).clamp(0, 1)
    v = v.pow(torch.exp(u(math.log(0.6), math.log(1.6))).view(b, 1, 1, 1))
    mean = v.mean(dim=(1, 2, 3), keepdim=True)
    v = mean + (v - mean) * u(0.7, 1.3).view(b, 1, 1, 1) + u(-0.1, 0.1).view(b, 1, 1, 1)
    blur = torch.rand(b, generator=gen) < 0.3
    if blur.any():
        k = torch.tensor([1.0, 4.0, 6.0, 4.0, 1.0]) / 16
        k2 = (k[:, None] * k[None, :]).view(1, 1, 5, 5)
        v[blur] = F.conv2d(F.pad(v[blur], (2, 2, 2, 2), mode="replicate"), k2)
    v = v + torch.randn(v.shape, generator=gen) * u(0, 0.03).view(b, 1, 1, 1)
    return v.clamp(0, 1) * 255.0, (y > 0.5).float()


def dice_loss(logits: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    p = torch.sigmoid(logits)
    inter = (p * target).sum((1, 2, 3))
    return (1 - (2 * inter + 1) / (p.sum((1, 2, 3)) + target.sum((1, 2, 3)) + 1)).mean()


def dice_iou(pred: np.ndarray, truth: np.ndarray) -> tuple[float, float]:
    inter = float(np.logical_and(pred, truth).sum())
    s = float(pred.sum() + truth.sum())
    union = float(np.logical_or(pred, truth).sum())
    return (2 * inter / s if s else 1.0), (inter / union if union else 1.0)


@torch.no_grad()
def evaluate(model: nn.Module, rows: list[dict], imgs: list[np.ndarray], masks: list[np.ndarray]) -> dict:
    """Dice/IoU at the masks' own resolution (probabilities upsampled bilinearly, threshold 0.5;
    raw network output — the app's post-processing is measured by the app's evaluate)."""
    model.eval()
    per_source: dict[str, list[tuple[float, float]]] = {}
    for r, img, m in zip(rows, imgs, masks):
        x = normalize(area_resize(img)[None])
        p = torch.sigmoid(model(x))
        p = F.interpolate(p, size=img.shape, mode="bilinear", align_corners=False)[0, 0].numpy()
        per_source.setdefault(r["source"], []).append(dice_iou(p > 0.5, m > 127))
    allv = [v for vs in per_source.values() for v in vs]
    return {"dice": float(np.mean([d for d, _ in allv])), "iou": float(np.mean([i for _, i in allv])), "n": len(allv),
            "perSource": {s: {"n": len(v), "dice": float(np.mean([d for d, _ in v])),
                              "iou": float(np.mean([i for _, i in v]))} for s, v in sorted(per_source.items())}}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", default=os.path.join(TRAINING_DIR, "runs", "lungseg-v1"))
    ap.add_argument("--val-split", default=os.path.join(TRAINING_DIR, "splits", "val.csv"))
    ap.add_argument("--epochs", type=int, default=60)
    ap.add_argument("--batch-size", type=int, default=12)
    ap.add_argument("--lr", type=float, default=2e-3)
    ap.add_argument("--seed", type=int, default=4321)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--limit", type=int, default=0, help="debug: first N train/val masks")
    args = ap.parse_args(argv)
    torch.set_num_threads(args.threads)
    random.seed(args.seed)
    np.random.seed(args.seed)
    torch.manual_seed(args.seed)
    os.makedirs(args.out, exist_ok=True)
    t_start = time.time()
    train_rows, val_rows = read_masks("train", args.val_split), read_masks("val", args.val_split)
    if not args.limit:
        write_validation_masks_csv(val_rows, os.path.join(TRAINING_DIR, "splits", "lungs_val.csv"))
    if args.limit:
        train_rows, val_rows = train_rows[: args.limit], val_rows[: max(2, args.limit // 4)]
    tr_img = [load_gray(r["image_path"]) for r in train_rows]
    tr_mask = [load_gray(r["mask_path"]) for r in train_rows]
    va_img = [load_gray(r["image_path"]) for r in val_rows]
    va_mask = [load_gray(r["mask_path"]) for r in val_rows]
    model = LungUNet()
    n_params = sum(p.numel() for p in model.parameters())
    print(f"data: {len(train_rows)} train / {len(val_rows)} val masks; model {n_params:,} params", flush=True)
    opt = torch.optim.Adam(model.parameters(), lr=args.lr, weight_decay=1e-5)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=args.epochs, eta_min=args.lr / 50)
    history, first = [], 1
    last_path = os.path.join(args.out, "last.pt")
    if os.path.exists(last_path):
        ck = torch.load(last_path, map_location="cpu")
        model.load_state_dict(ck["state_dict"])
        opt.load_state_dict(ck["optimizer"])
        sched.load_state_dict(ck["scheduler"])
        history, first = ck["history"], ck["epoch"] + 1
        # A rerun may shorten the schedule: the cosine then anneals over the epochs that are left.
        sched.T_max = args.epochs
        print(f"resumed after epoch {ck['epoch']} (schedule: {args.epochs} epochs)", flush=True)
    for epoch in range(first, args.epochs + 1):
        rng = np.random.default_rng([args.seed, epoch])
        gen = torch.Generator().manual_seed(args.seed * 1000 + epoch)
        order = rng.permutation(len(train_rows))
        model.train()
        t0, tot, n = time.time(), 0.0, 0
        for i in range(0, len(order), args.batch_size):
            idx = order[i:i + args.batch_size]
            if len(idx) < 2:
                continue
            pairs = [augment_pair(tr_img[j], tr_mask[j], rng) for j in idx]
            xb, yb = augment_batch(torch.stack([p[0] for p in pairs]), torch.stack([p[1] for p in pairs]), gen)
            logits = model(normalize(xb))
            loss = F.binary_cross_entropy_with_logits(logits, yb) + dice_loss(logits, yb)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            tot += float(loss) * len(idx)
            n += len(idx)
        sched.step()
        row = {"epoch": epoch, "lr": opt.param_groups[0]["lr"], "trainLoss": tot / n, "seconds": time.time() - t0}
        if epoch % 5 == 0 or epoch == args.epochs:
            row["val"] = evaluate(model, val_rows, va_img, va_mask)
        history.append(row)
        print(f"epoch {epoch:3d} loss {row['trainLoss']:.4f} {row['seconds']:.0f}s"
              + (f" | val dice {row['val']['dice']:.4f} iou {row['val']['iou']:.4f}" if "val" in row else ""), flush=True)
        torch.save({"state_dict": model.state_dict(), "optimizer": opt.state_dict(), "scheduler": sched.state_dict(),
                    "epoch": epoch, "history": history, "params": n_params, "hparams": vars(args),
                    "inputSpec": INPUT_SPEC}, last_path + ".tmp")
        os.replace(last_path + ".tmp", last_path)
    final = evaluate(model, val_rows, va_img, va_mask)
    with open(os.path.join(args.out, "history.json"), "w") as f:
        json.dump({"hparams": vars(args), "params": n_params, "history": history, "val": final,
                   "wallSeconds": time.time() - t_start}, f, indent=1)
    print(f"done: val dice {final['dice']:.4f} iou {final['iou']:.4f}; wall {time.time() - t_start:.0f}s", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
