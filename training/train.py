"""Train COVID-Net (PEPX) from scratch on the patient-level split. One command:

  python3 training/train.py --out training/runs/compact-v1

Recipe (paper Sec. 2.4, adapted to training from scratch on CPU): Adam, ReduceLROnPlateau
(factor 0.7, patience 5) on validation loss, class-balanced batches (every batch holds every
class), augmentation (translation, rotation, horizontal flip, intensity shift) plus framing
randomisation against source shortcuts (aspect-ratio crops, thin borders, downscale + JPEG
re-compression, gamma/contrast). The checkpoint with the best validation macro AUC is kept.
Writes <out>/best.pt, <out>/last.pt, <out>/history.json.
"""
from __future__ import annotations

import argparse
import json
import os
import random
import sys
import time

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import numpy as np
import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from data import (TRAINING_DIR, augment_batch, augment_gray, balanced_batches, load_gray_cache,  # noqa: E402
                  load_tensor_cache, normalize_batch, read_split)
from metrics import classification_report  # noqa: E402
from model import build, count_macs, count_params  # noqa: E402
from preprocess import DEFAULT_INPUT_SPEC, gray_to_tensor  # noqa: E402

DEFAULTS = {
    "config": "compact",
    "epochs": 22,
    "batch_size": 24,     # 8 images of each class per batch
    "lr": 1e-3,           # from scratch (the paper's 2e-5 was for fine-tuning ImageNet weights)
    "weight_decay": 1e-4,
    "plateau_factor": 0.7,
    "plateau_patience": 5,
    "label_smoothing": 0.05,
    "seed": 1234,
}


def seed_everything(seed: int) -> None:
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)


@torch.no_grad()
def recalibrate_bn(model: torch.nn.Module, x: torch.Tensor, batch_size: int = 24) -> None:
    """Re-estimate BatchNorm running statistics on clean (reference-preprocessed) training images.
    The running averages collected during training lag the fast-changing weights and describe
    heavily augmented images; clean-image statistics match what the model sees at inference."""
    bns = [m for m in model.modules() if isinstance(m, torch.nn.BatchNorm2d)]
    saved = [m.momentum for m in bns]
    for m in bns:
        m.reset_running_stats()
        m.momentum = None  # cumulative average over the calibration batches
    model.train()
    for i in range(0, len(x), batch_size):
        model(x[i : i + batch_size])
    for m, mom in zip(bns, saved):
        m.momentum = mom
    model.eval()


@torch.no_grad()
def predict(model: torch.nn.Module, x: torch.Tensor, batch_size: int = 64) -> np.ndarray:
    """Logits for preprocessed inputs [N,C,h,w]."""
    model.eval()
    return torch.cat([model(x[i : i + batch_size]) for i in range(0, len(x), batch_size)]).numpy()


def evaluate(model, x, y) -> dict:
    logits = predict(model, x)
    loss = float(F.cross_entropy(torch.from_numpy(logits), torch.from_numpy(y)).item())
    prob = torch.softmax(torch.from_numpy(logits), 1).numpy()
    rep = classification_report(y, prob)
    rep["loss"] = loss
    return rep


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--train", default=os.path.join(TRAINING_DIR, "splits", "train.csv"))
    ap.add_argument("--val", default=os.path.join(TRAINING_DIR, "splits", "val.csv"))
    ap.add_argument("--out", default=os.path.join(TRAINING_DIR, "runs", "compact-v1"))
    ap.add_argument("--config", default=DEFAULTS["config"])
    ap.add_argument("--epochs", type=int, default=DEFAULTS["epochs"])
    ap.add_argument("--batch-size", type=int, default=DEFAULTS["batch_size"])
    ap.add_argument("--lr", type=float, default=DEFAULTS["lr"])
    ap.add_argument("--weight-decay", type=float, default=DEFAULTS["weight_decay"])
    ap.add_argument("--label-smoothing", type=float, default=DEFAULTS["label_smoothing"])
    ap.add_argument("--seed", type=int, default=DEFAULTS["seed"])
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--init", help="start from this checkpoint's weights (fresh optimizer; epochs continue its numbering)")
    ap.add_argument("--cosine", action="store_true",
                    help="cosine learning-rate decay to lr/20 over --epochs instead of ReduceLROnPlateau")
    ap.add_argument("--crop-probability", type=float, default=0.5, help="probability of a random aspect/zoom crop")
    ap.add_argument("--crop-min-area", type=float, default=0.55, help="smallest area fraction of that crop")
    ap.add_argument("--limit", type=int, default=0, help="debug: use only the first N train/val rows")
    ap.add_argument("--max-batches", type=int, default=0, help="debug: stop each epoch after N batches")
    args = ap.parse_args(argv)

    torch.set_num_threads(args.threads)
    seed_everything(args.seed)
    os.makedirs(args.out, exist_ok=True)
    spec = DEFAULT_INPUT_SPEC
    t_start = time.time()

    train_rows, val_rows = read_split(args.train), read_split(args.val)
    if args.limit:
        rng0 = np.random.default_rng(0)
        train_rows = [train_rows[i] for i in sorted(rng0.choice(len(train_rows), args.limit, replace=False))]
        val_rows = [val_rows[i] for i in sorted(rng0.choice(len(val_rows), min(args.limit, len(val_rows)), replace=False))]
    train_imgs = load_gray_cache(train_rows, "train" if not args.limit else f"train{args.limit}")
    x_val = load_tensor_cache(val_rows, "val" if not args.limit else f"val{args.limit}", spec)
    y_train = [r["y"] for r in train_rows]
    # Fixed, class-balanced set of clean training images for BatchNorm recalibration.
    calib_rng = np.random.default_rng(args.seed)
    calib_idx = np.concatenate([calib_rng.permutation(np.flatnonzero(np.asarray(y_train) == c))[:80] for c in range(3)])
    calib_idx = calib_rng.permutation(calib_idx)
    x_calib = torch.cat([gray_to_tensor(train_imgs[i].astype(np.float32), spec) for i in calib_idx])
    y_val = np.array([r["y"] for r in val_rows])
    print(f"data: train {len(train_rows)} val {len(val_rows)} (cache ready in {time.time() - t_start:.0f}s)", flush=True)

    model = build(args.config)
    first_epoch = 1
    if args.init:
        init = torch.load(args.init, map_location="cpu")
        model.load_state_dict(init["state_dict"])
        first_epoch = init["epoch"] + 1
        print(f"init from {args.init} (epoch {init['epoch']})", flush=True)
    print(f"model {args.config}: {count_params(model):,} params, {count_macs(model) / 1e9:.3f} GMACs", flush=True)
    opt = torch.optim.Adam(model.parameters(), lr=args.lr, weight_decay=args.weight_decay)
    if args.cosine:
        sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=args.epochs, eta_min=args.lr / 20)
    else:
        sched = torch.optim.lr_scheduler.ReduceLROnPlateau(opt, mode="min", factor=DEFAULTS["plateau_factor"],
                                                           patience=DEFAULTS["plateau_patience"])
    scheduler_text = ("CosineAnnealingLR(to lr/20)" if args.cosine
                      else "ReduceLROnPlateau(val loss, factor 0.7, patience 5)")
    hparams = {**vars(args), "optimizer": "Adam", "scheduler": scheduler_text,
               "selection": "best validation macro AUC (one-vs-rest), ties -> lower val loss",
               "batchNorm": "running statistics re-estimated each epoch on 240 clean, class-balanced training images"}
    history, best = [], None
    n_seen, train_time = 0, 0.0
    for epoch in range(first_epoch, first_epoch + args.epochs):
        # Deterministic data order and augmentation: generators seeded from (seed, epoch).
        rng = np.random.default_rng([args.seed, epoch])
        gen = torch.Generator().manual_seed(args.seed * 1000 + epoch)
        batches = balanced_batches(y_train, args.batch_size, rng)
        if args.max_batches:
            batches = batches[: args.max_batches]
        model.train()
        t0 = time.time()
        tot_loss, tot_correct, tot_n = 0.0, 0, 0
        for idx in batches:
            xb = torch.stack([augment_gray(train_imgs[i], rng, spec, args.crop_probability, args.crop_min_area)
                              for i in idx])
            xb = normalize_batch(augment_batch(xb, gen), spec)
            yb = torch.tensor([y_train[i] for i in idx])
            logits = model(xb)
            loss = F.cross_entropy(logits, yb, label_smoothing=args.label_smoothing)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            tot_loss += float(loss) * len(idx)
            tot_correct += int((logits.argmax(1) == yb).sum())
            tot_n += len(idx)
        dt = time.time() - t0
        train_time += dt
        n_seen += tot_n
        recalibrate_bn(model, x_calib)
        val = evaluate(model, x_val, y_val)
        if args.cosine:
            sched.step()
        else:
            sched.step(val["loss"])
        cov = val["perClass"]["COVID-19"]
        row = {"epoch": epoch, "lr": opt.param_groups[0]["lr"], "trainLoss": tot_loss / tot_n,
               "trainAcc": tot_correct / tot_n, "valLoss": val["loss"], "valAcc": val["accuracy"],
               "valMacroAuc": val["macroAuc"], "valCovidSens": cov["sensitivity"], "valCovidPpv": cov["ppv"],
               "valCovidF1": cov["f1"], "epochSeconds": dt, "imgPerSec": tot_n / dt}
        history.append(row)
        is_best = best is None or (row["valMacroAuc"], -row["valLoss"]) > (best["valMacroAuc"], -best["valLoss"])
        print(f"epoch {epoch:3d} lr {row['lr']:.2e} train loss {row['trainLoss']:.4f} acc {row['trainAcc']:.3f} | "
              f"val loss {row['valLoss']:.4f} acc {row['valAcc']:.3f} mAUC {row['valMacroAuc']:.4f} "
              f"COVID sens {cov['sensitivity']:.3f} PPV {cov['ppv']:.3f} | {dt:.0f}s {row['imgPerSec']:.1f} img/s"
              + (" *best*" if is_best else ""), flush=True)
        ckpt = {"config": args.config, "state_dict": model.state_dict(), "epoch": epoch, "val": val,
                "hparams": hparams, "inputSpec": spec}
        if is_best:
            best = row
            torch.save(ckpt, os.path.join(args.out, "best.pt"))
        torch.save(ckpt, os.path.join(args.out, "last.pt"))
        with open(os.path.join(args.out, "history.json"), "w") as f:
            json.dump({"hparams": hparams, "history": history, "best": best,
                       "trainSeconds": train_time, "wallSeconds": time.time() - t_start,
                       "trainImgPerSec": n_seen / train_time}, f, indent=1)
    print(f"done: best epoch {best['epoch']} (val macro AUC {best['valMacroAuc']:.4f}); "
          f"wall {time.time() - t_start:.0f}s, train {n_seen / train_time:.1f} img/s", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
