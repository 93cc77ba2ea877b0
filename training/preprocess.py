"""Reference model preprocessing (the TypeScript engine re-implements this and is parity-tested).

Steps, exactly as recorded in model.json `input`:
  1. decode with PIL, convert to grayscale 'L' (PIL's RGB -> L luma), float32 0..255;
  2. crop per `crop` (integer arithmetic, see `crop_box`);
  3. resize per `resize`: `area` = torch adaptive_avg_pool2d to (h, w);
     `bilinear` = F.interpolate(bilinear, align_corners=False, antialias=False);
  4. normalise x = (v * scale - mean) / std;  5. layout NCHW [1, C, h, w] (gray replicated if C=3).

CLI (for the parity test):
  python3 training/preprocess.py --manifest-json model.json --out DIR img1.jpg ...
writes DIR/<basename>.f32 (raw little-endian float32, the NCHW tensor of one image, N=1).
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

# Defaults of the bundled model; export.py writes them into model.json.
DEFAULT_INPUT_SPEC = {
    "name": "image",
    "layout": "NCHW",
    "height": 224,
    "width": 224,
    "channels": 1,
    # COVID-Net drops the top 8% of rows (often text/markers), then takes a centred square.
    "crop": {"kind": "top-fraction-then-center-square", "topFraction": 0.08},
    "resize": "area",
    # Gray 0..255 -> 0..1 -> roughly zero-mean, unit-std for CXRs.
    "normalization": {"scale": 1.0 / 255.0, "mean": [0.5], "std": [0.25]},
}


def load_gray(path: str) -> np.ndarray:
    """Decode an image file to a float32 HxW array of gray values 0..255 (PIL 'L')."""
    with Image.open(path) as im:
        im.load()
        if im.mode != "L":
            im = im.convert("L")
        return np.asarray(im, dtype=np.uint8).astype(np.float32)


def crop_box(height: int, width: int, crop: dict) -> tuple[int, int, int, int]:
    """Return (y0, x0, h, w) of the crop in source pixels; integer arithmetic only."""
    kind = crop["kind"]
    if kind == "none":
        return 0, 0, height, width
    if kind == "center-square":
        side = min(height, width)
        return (height - side) // 2, (width - side) // 2, side, side
    if kind == "top-fraction-then-center-square":
        top = int(math.floor(height * float(crop["topFraction"])))
        h2 = height - top
        side = min(h2, width)
        return top + (h2 - side) // 2, (width - side) // 2, side, side
    raise ValueError(f"unknown crop kind {kind!r}")


def apply_crop(gray: np.ndarray, crop: dict) -> np.ndarray:
    y0, x0, h, w = crop_box(gray.shape[0], gray.shape[1], crop)
    return gray[y0 : y0 + h, x0 : x0 + w]


def resize(gray: torch.Tensor, height: int, width: int, mode: str) -> torch.Tensor:
    """gray: [N, C, H, W] float32 -> [N, C, height, width]."""
    if mode == "area":
        return F.adaptive_avg_pool2d(gray, (height, width))
    if mode == "bilinear":
        return F.interpolate(gray, size=(height, width), mode="bilinear", align_corners=False, antialias=False)
    raise ValueError(f"unknown resize mode {mode!r}")


def normalize(x: torch.Tensor, norm: dict, channels: int) -> torch.Tensor:
    mean = torch.tensor(norm["mean"], dtype=torch.float32).view(1, -1, 1, 1)
    std = torch.tensor(norm["std"], dtype=torch.float32).view(1, -1, 1, 1)
    if channels == 3 and x.shape[1] == 1:
        x = x.expand(-1, 3, -1, -1)
    return (x * float(norm["scale"]) - mean) / std


def gray_to_tensor(gray: np.ndarray, spec: dict = DEFAULT_INPUT_SPEC) -> torch.Tensor:
    """Crop + resize + normalise an HxW float32 gray array (0..255) -> [1, C, h, w] (NCHW)."""
    cropped = apply_crop(np.asarray(gray, dtype=np.float32), spec["crop"])
    t = torch.from_numpy(np.ascontiguousarray(cropped)).view(1, 1, *cropped.shape)
    t = resize(t, spec["height"], spec["width"], spec["resize"])
    t = normalize(t, spec["normalization"], spec["channels"])
    if spec.get("layout", "NCHW") == "NHWC":
        t = t.permute(0, 2, 3, 1)
    return t.contiguous()


def preprocess_file(path: str, spec: dict = DEFAULT_INPUT_SPEC) -> torch.Tensor:
    return gray_to_tensor(load_gray(path), spec)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--manifest-json", help="model.json whose `input` spec to use (default: bundled defaults)")
    ap.add_argument("--out", required=True, help="output folder for <basename>.f32 files")
    ap.add_argument("images", nargs="+")
    args = ap.parse_args(argv)
    spec = DEFAULT_INPUT_SPEC
    if args.manifest_json:
        with open(args.manifest_json, encoding="utf-8") as f:
            spec = json.load(f)["input"]
    os.makedirs(args.out, exist_ok=True)
    for path in args.images:
        t = preprocess_file(path, spec)
        out = os.path.join(args.out, os.path.basename(path) + ".f32")
        t.numpy().astype("<f4").tofile(out)
        print(f"{out} {list(t.shape)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
