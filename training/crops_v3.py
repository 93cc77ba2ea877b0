"""Precompute, once, every v3 film's lung square (wider than the app's, so training can jitter it).

  python3 training/crops_v3.py   -> training/cache/crops-v3/{train_v3,calib,val_v3}.npz
  python3 training/crops_v3.py --splits training/splits/v4 --parts train calib val --out training/cache/crops-v4

Per film: the lung square of the app's own mask (training/lung_masks.ts) with margin CACHE_MARGIN,
area-resized to CACHE_SIZE (uint8), and the undilated lung mask on the same grid. Training then
zooms to the app's margin with jitter, resizes to the model size and applies the crop's fill rule
(src/shared/model-manifest.ts `lung-box-square`: outside lungs, darkOutside, standardize) per batch.
Films whose mask is empty are listed and left out. Resumable: a part already written is skipped.
"""
from __future__ import annotations

import argparse
import os
import sys
import time

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from data import read_split  # noqa: E402
from lung_crop import extract_square, load_mask, lung_square, mask_on_model_grid  # noqa: E402
from preprocess import load_gray, resize  # noqa: E402

TRAINING_DIR = os.path.dirname(os.path.abspath(__file__))
CACHE_DIR = os.path.join(TRAINING_DIR, "cache", "crops-v3")
MASKS_DIR = os.path.join(TRAINING_DIR, "cache", "lungmasks")
CACHE_MARGIN = 0.20
CACHE_SIZE = 224
FILL = 127.5
PARTS = ("train_v3", "calib", "val_v3")


def square_crop(path: str, mask_png: str) -> tuple[np.ndarray, np.ndarray] | None:
    gray = load_gray(path)
    mask = load_mask(mask_png)
    h, w = gray.shape
    sq = lung_square(mask, w, h, CACHE_MARGIN)
    if sq is None:
        return None
    sx, sy, side = sq
    region = extract_square(gray, sx, sy, side, FILL)
    img = resize(torch.from_numpy(region)[None, None], CACHE_SIZE, CACHE_SIZE, "area")[0, 0].numpy()
    lungs = mask_on_model_grid(mask, sx, sy, side, w, h, CACHE_SIZE, CACHE_SIZE)
    return np.clip(np.rint(img), 0, 255).astype(np.uint8), lungs.astype(np.uint8)


def build_part(name: str, masks_dir: str = MASKS_DIR, out_dir: str = CACHE_DIR,
               splits_dir: str = os.path.join(TRAINING_DIR, "splits")) -> str:
    out = os.path.join(out_dir, f"{name}.npz")
    if os.path.exists(out):
        return out
    rows = read_split(os.path.join(splits_dir, f"{name}.csv"))
    images, masks, kept, skipped = [], [], [], []
    t0 = time.time()
    for i, r in enumerate(rows):
        crop = square_crop(r["path"], os.path.join(masks_dir, os.path.basename(r["file"]) + ".png"))
        if crop is None:
            skipped.append(r["file"])
            continue
        images.append(crop[0])
        masks.append(crop[1])
        kept.append(i)
        if (i + 1) % 1000 == 0:
            print(f"{name}: {i + 1}/{len(rows)} ({time.time() - t0:.0f} s)", flush=True)
    os.makedirs(out_dir, exist_ok=True)
    np.savez(out + ".tmp.npz", images=np.stack(images), masks=np.stack(masks), rows=np.asarray(kept),
             files=np.asarray([rows[i]["file"] for i in kept]), labels=np.asarray([rows[i]["label"] for i in kept]),
             sources=np.asarray([rows[i]["source"] for i in kept]), skipped=np.asarray(skipped, dtype=str))
    os.replace(out + ".tmp.npz", out)
    print(f"{name}: {len(kept)} crops, {len(skipped)} empty masks skipped -> {out}")
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--masks", default=MASKS_DIR)
    ap.add_argument("--out", default=CACHE_DIR)
    ap.add_argument("--splits", default=os.path.join(TRAINING_DIR, "splits"), help="folder of <part>.csv")
    ap.add_argument("--parts", nargs="+", default=list(PARTS))
    args = ap.parse_args(argv)
    torch.set_num_threads(1)
    for name in args.parts:
        build_part(name, args.masks, args.out, args.splits)
    return 0


if __name__ == "__main__":
    sys.exit(main())
