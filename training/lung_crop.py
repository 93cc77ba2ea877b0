"""Reference `lung-box-square` crop (src/shared/model-manifest.ts defines it; the TypeScript app's
src/main/platform/inference/lungs/lung-crop.ts is parity-tested against this file).

The lung mask is the app's post-processed segmenter mask on the segmenter grid (gw x gh cells laid
over the whole image), as written by `npm run covidnet -- lung-masks` (PNG, 255 = lung).

CLI (parity test): python3 training/lung_crop.py --manifest-json model.json --out DIR \
    --mask m1.png img1.jpg [--mask m2.png img2.jpg ...]   -> DIR/<image basename>.f32
"""
from __future__ import annotations

import argparse
import json
import math
import os
import sys

import numpy as np
import torch
import torch.nn.functional as F
from PIL import Image

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from preprocess import load_gray, normalize, resize  # noqa: E402


def lung_box_cells(mask: np.ndarray) -> tuple[int, int, int, int] | None:
    """[x0, x1) x [y0, y1) of the lung cells, or None when the mask is empty."""
    ys, xs = np.nonzero(mask)
    if len(ys) == 0:
        return None
    return int(xs.min()), int(ys.min()), int(xs.max()) + 1, int(ys.max()) + 1


def lung_square(mask: np.ndarray, width: int, height: int, margin: float,
                box: tuple[int, int, int, int] | None = None) -> tuple[int, int, int] | None:
    """(sx, sy, side) in source pixels; `box` (cells) overrides the mask's own (augmentation)."""
    gh, gw = mask.shape
    box = box or lung_box_cells(mask)
    if box is None:
        return None
    bx0, by0, bx1, by1 = box
    x0 = (bx0 * width) // gw
    x1 = -((-bx1 * width) // gw)
    y0 = (by0 * height) // gh
    y1 = -((-by1 * height) // gh)
    side = math.ceil(max(x1 - x0, y1 - y0) * (1 + 2 * margin))
    return (x0 + x1 - side) // 2, (y0 + y1 - side) // 2, side


def extract_square(gray: np.ndarray, sx: int, sy: int, side: int, fill: float) -> np.ndarray:
    h, w = gray.shape
    out = np.full((side, side), fill, dtype=np.float32)
    ys0, ys1 = max(0, -sy), min(side, h - sy)
    xs0, xs1 = max(0, -sx), min(side, w - sx)
    if ys1 > ys0 and xs1 > xs0:
        out[ys0:ys1, xs0:xs1] = gray[sy + ys0:sy + ys1, sx + xs0:sx + xs1]
    return out


def mask_on_model_grid(mask: np.ndarray, sx: int, sy: int, side: int, width: int, height: int,
                       out_w: int, out_h: int) -> np.ndarray:
    """Same float64 arithmetic, in the same order, as the TypeScript `lungMaskOnModelGrid`."""
    gh, gw = mask.shape
    px = sx + ((np.arange(out_w, dtype=np.float64) + 0.5) * side) / out_w
    py = sy + ((np.arange(out_h, dtype=np.float64) + 0.5) * side) / out_h
    col_ok = (px >= 0) & (px < width)
    row_ok = (py >= 0) & (py < height)
    cx = np.floor((np.where(col_ok, px, 0) * gw) / width).astype(np.int64)
    cy = np.floor((np.where(row_ok, py, 0) * gh) / height).astype(np.int64)
    out = mask[cy][:, cx].astype(np.uint8)
    out[~row_ok, :] = 0
    out[:, ~col_ok] = 0
    return out


def dilate_square(mask: np.ndarray, radius: int) -> np.ndarray:
    if radius <= 0:
        return mask.copy()
    t = torch.from_numpy(mask.astype(np.float32))[None, None]
    return (F.max_pool2d(t, 2 * radius + 1, stride=1, padding=radius)[0, 0].numpy() > 0).astype(np.uint8)


def lung_crop_gray(gray: np.ndarray, mask: np.ndarray, spec: dict,
                   box: tuple[int, int, int, int] | None = None) -> tuple[torch.Tensor, tuple[int, int, int]] | None:
    """Gray HxW (0..255) + mask (gh x gw, 1 = lung) -> resized, outside-filled [1,1,h,w] in 0..255."""
    rule = spec["crop"]
    h, w = gray.shape
    sq = lung_square(mask, w, h, float(rule["margin"]), box)
    if sq is None:
        return None
    sx, sy, side = sq
    region = extract_square(np.asarray(gray, dtype=np.float32), sx, sy, side, float(rule["fill"]))
    t = resize(torch.from_numpy(region)[None, None], spec["height"], spec["width"], spec["resize"])
    filled = np.zeros((spec["height"], spec["width"]), dtype=bool)
    if rule.get("darkOutside"):
        dark = (t[0, 0].numpy() < float(rule["darkOutside"]["below"])).astype(np.uint8)
        filled |= dilate_square(dark, int(rule["darkOutside"]["dilation"])) > 0
    if rule.get("outsideLungs"):
        on_grid = mask_on_model_grid(mask, sx, sy, side, w, h, spec["width"], spec["height"])
        filled |= dilate_square(on_grid, int(rule["outsideLungs"]["dilation"])) == 0
    t[0, 0][torch.from_numpy(filled)] = float(rule["fill"])
    if rule.get("standardize"):
        standardize_unfilled(t[0, 0], filled, rule["standardize"])
    return t, sq


def standardize_unfilled(plane: torch.Tensor, filled: np.ndarray, target: dict) -> None:
    """Step 6 of the rule (in place): float64 mean/std over unfilled pixels, row-major, as the TypeScript."""
    values = plane.numpy()
    keep = ~filled
    if not keep.any():
        return
    inside = values[keep].astype(np.float64)
    mean = math.fsum(inside) / inside.size
    spread = max(math.sqrt(math.fsum((inside - mean) ** 2) / inside.size), 1.0)
    out = np.clip(float(target["mean"]) + float(target["std"]) * (inside - mean) / spread, 0, 255)
    values[keep] = out.astype(np.float32)


def lung_crop_tensor(gray: np.ndarray, mask: np.ndarray, spec: dict) -> torch.Tensor | None:
    out = lung_crop_gray(gray, mask, spec)
    if out is None:
        return None
    return normalize(out[0], spec["normalization"], spec["channels"]).contiguous()


def load_mask(path: str) -> np.ndarray:
    with Image.open(path) as im:
        return (np.asarray(im.convert("L")) > 127).astype(np.uint8)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--manifest-json", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--mask", action="append", required=True)
    ap.add_argument("images", nargs="+")
    args = ap.parse_args(argv)
    if len(args.mask) != len(args.images):
        ap.error("one --mask per image")
    with open(args.manifest_json, encoding="utf-8") as f:
        spec = json.load(f)["input"]
    os.makedirs(args.out, exist_ok=True)
    for mask_path, path in zip(args.mask, args.images):
        t = lung_crop_tensor(load_gray(path), load_mask(mask_path), spec)
        if t is None:
            print(f"{path}: empty lung mask", file=sys.stderr)
            return 1
        out = os.path.join(args.out, os.path.basename(path) + ".f32")
        t.numpy().astype("<f4").tofile(out)
        print(out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
