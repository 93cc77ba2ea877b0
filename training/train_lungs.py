"""Train COVID-Net v2 (PEPX, compact) on lung crops. One command:

  python3 training/train_lungs.py --masks training/cache/lungmasks --out training/runs/lungs-v2

Input: the `lung-box-square` crop (LUNG_INPUT_SPEC below, written to model.json by export.py):
square around the app's lung box with a margin, everything outside the dilated lung fields set to
mid-gray, 192x192. The masks are the app's own (npx tsx training/lung_masks.ts), so training sees
the crops the app makes.

Framing randomisation reaches the lung box: film crops of random aspect that may cut into the lungs
(the mask is cropped with the film, as the segmenter would see it), borders, downscale + JPEG
re-compression, jitter of every box edge and of the margin; then rotation, zoom, flips, gamma,
contrast and brightness (the outside-lung gray stays gray). Recipe: Adam, cosine decay, class-
balanced batches, label smoothing, BatchNorm statistics re-estimated on clean training crops.
The LAST epoch is kept: no checkpoint is chosen on the validation split that is then reported.
Resumable: <out>/last.pt every epoch.
"""
from __future__ import annotations

import argparse
import json
import math
import os
import random
import sys
import time

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import numpy as np
import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from data import (TRAINING_DIR, balanced_batches, load_gray_cache, random_affine_grid,  # noqa: E402
                  random_border, random_downscale_jpeg, read_split)
from lung_crop import lung_box_cells, lung_crop_gray, load_mask  # noqa: E402
from metrics import classification_report  # noqa: E402
from model import build, count_macs, count_params  # noqa: E402
from preprocess import normalize  # noqa: E402
from train import predict, recalibrate_bn  # noqa: E402

FILL = 127.5
FILM_CROP_PROBABILITY = 0.65
# Weight of the loss that keeps the class-activation map neutral (equal for every class) where the
# input is the constant fill: the model sees nothing there, so it must put no evidence there.
CAM_NEUTRAL_WEIGHT = 1.0
LUNG_INPUT_SPEC = {
    "name": "image",
    "layout": "NCHW",
    "height": 192,
    "width": 192,
    "channels": 1,
    "crop": {"kind": "lung-box-square", "margin": 0.06, "fill": FILL, "outsideLungs": {"dilation": 8}},
    "resize": "area",
    "normalization": {"scale": 1.0 / 255.0, "mean": [0.5], "std": [0.25]},
}


def mask_path(masks_dir: str, row: dict) -> str:
    return os.path.join(masks_dir, os.path.basename(row["file"]) + ".png")


def resample_mask(mask_full: np.ndarray, gh: int, gw: int) -> np.ndarray:
    """Full-resolution mask -> gh x gw grid by cell-centre sampling."""
    h, w = mask_full.shape
    ys = np.minimum(h - 1, ((np.arange(gh) + 0.5) * h / gh).astype(int))
    xs = np.minimum(w - 1, ((np.arange(gw) + 0.5) * w / gw).astype(int))
    return mask_full[ys][:, xs]


def full_mask(mask: np.ndarray, h: int, w: int) -> np.ndarray:
    gh, gw = mask.shape
    ys = np.minimum(gh - 1, (np.arange(h) * gh) // h)
    xs = np.minimum(gw - 1, (np.arange(w) * gw) // w)
    return mask[ys][:, xs]


def augment_sample(img: np.ndarray, mask: np.ndarray, rng: np.random.Generator) -> torch.Tensor:
    """uint8 film + its 256-grid lung mask -> framing-randomised lung crop [1, h, w] (0..255)."""
    spec = LUNG_INPUT_SPEC
    gh, gw = mask.shape
    if rng.random() < FILM_CROP_PROBABILITY:
        # Film crop of random aspect, possibly cutting into the lungs.
        h, w = img.shape
        area = rng.uniform(0.5, 1.0) * h * w
        aspect = math.exp(rng.uniform(math.log(0.65), math.log(1.5)))
        ch = int(min(h, round(math.sqrt(area / aspect))))
        cw = int(min(w, round(math.sqrt(area * aspect))))
        y0, x0 = int(rng.integers(0, h - ch + 1)), int(rng.integers(0, w - cw + 1))
        m_full = full_mask(mask, h, w)[y0:y0 + ch, x0:x0 + cw]
        if m_full.sum() > 0.02 * ch * cw:
            img, mask = img[y0:y0 + ch, x0:x0 + cw], resample_mask(m_full, gh, gw)
    if rng.random() < 0.3:
        h, w = img.shape
        framed = random_border(img, rng)
        if framed.shape != img.shape:  # padded: the mask grid grows with the film
            t, l = (framed.shape[0] - h) // 2, (framed.shape[1] - w) // 2
            m_full = np.zeros(framed.shape, dtype=np.uint8)
            m_full[t:t + h, l:l + w] = full_mask(mask, h, w)
            mask = resample_mask(m_full, gh, gw)
        img = framed
    if rng.random() < 0.5:
        img = random_downscale_jpeg(img, rng)  # the mask grid is relative to the film: unchanged
    box = lung_box_cells(mask)
    if box is None:
        box = (0, 0, gw, gh)
        mask = np.ones_like(mask)
    if rng.random() < 0.8:
        bx0, by0, bx1, by1 = box
        bw, bh = bx1 - bx0, by1 - by0
        j = lambda s: int(round(rng.uniform(-0.08, 0.08) * s))  # noqa: E731
        box = (max(0, bx0 + j(bw)), max(0, by0 + j(bh)), min(gw, bx1 + j(bw)), min(gh, by1 + j(bh)))
        if box[2] - box[0] < 4 or box[3] - box[1] < 4:
            box = lung_box_cells(mask)
    # Margin and mask dilation vary, so the exact outline of the lung mask is no cue.
    rule = dict(spec["crop"], margin=float(rng.uniform(0.0, 0.14)),
                outsideLungs={"dilation": int(rng.integers(4, 15))})
    out = lung_crop_gray(img.astype(np.float32), mask, dict(spec, crop=rule), box)
    return out[0][0]


def augment_batch(x: torch.Tensor, gen: torch.Generator) -> torch.Tensor:
    """Geometric + photometric augmentation of [B,1,h,w] in 0..255; outside-lung gray stays gray."""
    b = x.shape[0]

    def u(lo, hi):
        return lo + (hi - lo) * torch.rand(b, generator=gen)

    grid = random_affine_grid(x.shape, gen, degrees=10, scale=(0.9, 1.12), shift=0.06)
    x = F.grid_sample(x - FILL, grid, mode="bilinear", padding_mode="zeros", align_corners=False) + FILL
    outside = (x - FILL).abs() < 1e-3
    v = (x / 255.0).clamp(0, 1)
    v = v.pow(torch.exp(u(math.log(0.7), math.log(1.45))).view(b, 1, 1, 1))
    mean = v.mean(dim=(1, 2, 3), keepdim=True)
    v = mean + (v - mean) * u(0.75, 1.3).view(b, 1, 1, 1) + u(-0.08, 0.08).view(b, 1, 1, 1)
    v = v + torch.randn(v.shape, generator=gen) * u(0, 0.02).view(b, 1, 1, 1)
    v = v.clamp(0, 1) * 255.0
    return torch.where(outside, torch.full_like(v, FILL), v)


def clean_tensor(img: np.ndarray, mask: np.ndarray) -> torch.Tensor:
    out = lung_crop_gray(img.astype(np.float32), mask, LUNG_INPUT_SPEC)
    if out is None:  # empty mask: the app's gate rejects such films; train on the whole film box
        out = lung_crop_gray(img.astype(np.float32), np.ones_like(mask), LUNG_INPUT_SPEC)
    return normalize(out[0], LUNG_INPUT_SPEC["normalization"], 1)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--train", default=os.path.join(TRAINING_DIR, "splits", "train.csv"))
    ap.add_argument("--val", default=os.path.join(TRAINING_DIR, "splits", "val.csv"))
    ap.add_argument("--masks", default=os.path.join(TRAINING_DIR, "cache", "lungmasks"))
    ap.add_argument("--out", default=os.path.join(TRAINING_DIR, "runs", "lungs-v2"))
    ap.add_argument("--epochs", type=int, default=28)
    ap.add_argument("--batch-size", type=int, default=24)
    ap.add_argument("--lr", type=float, default=1e-3)
    ap.add_argument("--weight-decay", type=float, default=1e-4)
    ap.add_argument("--label-smoothing", type=float, default=0.05)
    ap.add_argument("--seed", type=int, default=1234)
    ap.add_argument("--cam-neutral", type=float, default=CAM_NEUTRAL_WEIGHT,
                    help="weight of the neutral-CAM loss on fill regions (0 = off)")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--limit", type=int, default=0, help="debug: first N train/val rows")
    ap.add_argument("--max-batches", type=int, default=0, help="debug: stop each epoch after N batches")
    args = ap.parse_args(argv)
    torch.set_num_threads(args.threads)
    random.seed(args.seed)
    np.random.seed(args.seed)
    torch.manual_seed(args.seed)
    os.makedirs(args.out, exist_ok=True)
    t_start = time.time()

    train_rows, val_rows = read_split(args.train), read_split(args.val)
    if args.limit:
        train_rows, val_rows = train_rows[:: max(1, len(train_rows) // args.limit)][: args.limit], val_rows[: args.limit]
    tag = f"{args.limit}" if args.limit else ""
    train_imgs = load_gray_cache(train_rows, "train" + tag)
    val_imgs = load_gray_cache(val_rows, "val" + tag)
    train_masks = [load_mask(mask_path(args.masks, r)) for r in train_rows]
    val_masks = [load_mask(mask_path(args.masks, r)) for r in val_rows]
    y_train = [r["y"] for r in train_rows]
    y_val = np.array([r["y"] for r in val_rows])
    x_val = torch.cat([clean_tensor(im, m) for im, m in zip(val_imgs, val_masks)])
    calib_rng = np.random.default_rng(args.seed)
    calib_idx = np.concatenate([calib_rng.permutation(np.flatnonzero(np.asarray(y_train) == c))[:80] for c in range(3)])
    x_calib = torch.cat([clean_tensor(train_imgs[i], train_masks[i]) for i in calib_rng.permutation(calib_idx)])
    print(f"data: train {len(train_rows)} val {len(val_rows)} ({time.time() - t_start:.0f}s)", flush=True)

    model = build("compact")
    h, w = LUNG_INPUT_SPEC["height"], LUNG_INPUT_SPEC["width"]
    print(f"model compact: {count_params(model):,} params, {count_macs(model, h, w) / 1e9:.3f} GMACs at {h}x{w}", flush=True)
    opt = torch.optim.Adam(model.parameters(), lr=args.lr, weight_decay=args.weight_decay)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=args.epochs, eta_min=args.lr / 20)
    hparams = {**vars(args), "optimizer": "Adam", "scheduler": "CosineAnnealingLR(to lr/20)",
               "selection": "last epoch (fixed schedule; no selection on validation)",
               "inputSpec": LUNG_INPUT_SPEC,
               "batchNorm": "running statistics re-estimated each epoch on 240 clean, class-balanced training crops"}
    history, first, train_time, n_seen = [], 1, 0.0, 0
    last_path = os.path.join(args.out, "last.pt")
    if os.path.exists(last_path):
        ck = torch.load(last_path, map_location="cpu")
        model.load_state_dict(ck["state_dict"])
        opt.load_state_dict(ck["optimizer"])
        sched.load_state_dict(ck["scheduler"])
        history, first = ck["history"], ck["epoch"] + 1
        train_time, n_seen = ck.get("trainSeconds", 0.0), ck.get("seen", 0)
        print(f"resumed after epoch {ck['epoch']}", flush=True)
    for epoch in range(first, args.epochs + 1):
        rng = np.random.default_rng([args.seed, epoch])
        gen = torch.Generator().manual_seed(args.seed * 1000 + epoch)
        batches = balanced_batches(y_train, args.batch_size, rng)
        if args.max_batches:
            batches = batches[: args.max_batches]
        model.train()
        t0, tot_loss, tot_correct, tot_n = time.time(), 0.0, 0, 0
        for idx in batches:
            xb = torch.stack([augment_sample(train_imgs[i], train_masks[i], rng) for i in idx])
            xb = normalize(augment_batch(xb, gen), LUNG_INPUT_SPEC["normalization"], 1)
            yb = torch.tensor([y_train[i] for i in idx])
            feats = model.features(xb)
            logits = model.classifier(feats.mean(dim=(2, 3)))
            loss = F.cross_entropy(logits, yb, label_smoothing=args.label_smoothing)
            if args.cam_neutral > 0:
                cam = F.conv2d(feats, model.classifier.weight[:, :, None, None])
                centred = cam - cam.mean(dim=1, keepdim=True)
                # CAM cells whose input window is (almost) all fill.
                fill = (xb.abs() < 1e-4).float()
                fill_cells = (F.adaptive_avg_pool2d(fill, cam.shape[-2:]) > 0.9).float()
                loss = loss + args.cam_neutral * (centred.pow(2) * fill_cells).sum() / (
                    fill_cells.sum() * cam.shape[1] + 1e-6)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            tot_loss += float(loss) * len(idx)
            tot_correct += int((logits.argmax(1) == yb).sum())
            tot_n += len(idx)
        dt = time.time() - t0
        train_time += dt
        n_seen += tot_n
        sched.step()
        recalibrate_bn(model, x_calib)
        logits = predict(model, x_val)
        prob = torch.softmax(torch.from_numpy(logits), 1).numpy()
        val = classification_report(y_val, prob)
        cov = val["perClass"]["COVID-19"]
        row = {"epoch": epoch, "lr": opt.param_groups[0]["lr"], "trainLoss": tot_loss / tot_n,
               "trainAcc": tot_correct / tot_n, "valAcc": val["accuracy"], "valMacroAuc": val["macroAuc"],
               "valCovidSens": cov["sensitivity"], "valCovidPpv": cov["ppv"], "valCovidAuc": cov["auc"],
               "epochSeconds": dt, "imgPerSec": tot_n / dt}
        history.append(row)
        print(f"epoch {epoch:3d} lr {row['lr']:.2e} train loss {row['trainLoss']:.4f} acc {row['trainAcc']:.3f} | "
              f"val acc {row['valAcc']:.3f} mAUC {row['valMacroAuc']:.4f} COVID sens {cov['sensitivity']:.3f} "
              f"PPV {cov['ppv']:.3f} AUC {cov['auc']:.3f} | {dt:.0f}s {row['imgPerSec']:.1f} img/s (log only)",
              flush=True)
        ck = {"config": "compact", "state_dict": model.state_dict(), "optimizer": opt.state_dict(),
              "scheduler": sched.state_dict(), "epoch": epoch, "history": history, "hparams": hparams,
              "inputSpec": LUNG_INPUT_SPEC, "val": val, "trainSeconds": train_time, "seen": n_seen}
        torch.save(ck, last_path + ".tmp")
        os.replace(last_path + ".tmp", last_path)
        with open(os.path.join(args.out, "history.json"), "w") as f:
            json.dump({"hparams": hparams, "history": history, "trainSeconds": train_time,
                       "wallSeconds": time.time() - t_start, "trainImgPerSec": n_seen / max(train_time, 1e-9)},
                      f, indent=1)
    print(f"done: last epoch kept; wall {time.time() - t_start:.0f}s", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
