"""Split CSV reading, decoded-image cache, augmentation and balanced batching for training."""
from __future__ import annotations

import csv
import hashlib
import io
import math
import os

import numpy as np
import torch
import torch.nn.functional as F
from PIL import Image

from model import LABELS
from preprocess import DEFAULT_INPUT_SPEC, apply_crop, gray_to_tensor, load_gray

TRAINING_DIR = os.path.dirname(os.path.abspath(__file__))
CACHE_DIR = os.path.join(TRAINING_DIR, "cache")


def read_split(csv_path: str) -> list[dict]:
    """Rows of a split CSV with `path` = absolute image path (file is relative to the CSV folder)."""
    base = os.path.dirname(os.path.abspath(csv_path))
    with open(csv_path, newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    for r in rows:
        r["path"] = os.path.normpath(os.path.join(base, r["file"]))
        # -1: not one of the three classes (cxr-extra `abnormal_other`, unlabelled for them).
        r["y"] = LABELS.index(r["label"]) if r["label"] in LABELS else -1
    return rows


def _cache_key(rows: list[dict], extra: str) -> str:
    h = hashlib.sha1(extra.encode())
    for r in rows:
        h.update(r["file"].encode())
        h.update(str(os.path.getsize(r["path"])).encode())
    return h.hexdigest()[:16]


def load_gray_cache(rows: list[dict], name: str) -> list[np.ndarray]:
    """Decoded uint8 gray images (PIL 'L', full stored resolution), cached as one .npz."""
    os.makedirs(CACHE_DIR, exist_ok=True)
    path = os.path.join(CACHE_DIR, f"{name}-gray-{_cache_key(rows, 'gray-v1')}.npz")
    if os.path.exists(path):
        z = np.load(path)
        flat, shapes, offsets = z["flat"], z["shapes"], z["offsets"]
        return [flat[o : o + h * w].reshape(h, w) for o, (h, w) in zip(offsets, shapes)]
    imgs = [load_gray(r["path"]).astype(np.uint8) for r in rows]
    shapes = np.array([im.shape for im in imgs], dtype=np.int64)
    offsets = np.concatenate([[0], np.cumsum(shapes[:, 0] * shapes[:, 1])[:-1]]).astype(np.int64)
    np.savez(path, flat=np.concatenate([im.ravel() for im in imgs]), shapes=shapes, offsets=offsets)
    return imgs


def load_tensor_cache(rows: list[dict], name: str, spec: dict = DEFAULT_INPUT_SPEC) -> torch.Tensor:
    """Exact reference-preprocessed model inputs [N, C, h, w] (used for validation)."""
    import json

    os.makedirs(CACHE_DIR, exist_ok=True)
    path = os.path.join(CACHE_DIR, f"{name}-tensor-{_cache_key(rows, json.dumps(spec, sort_keys=True))}.npy")
    if os.path.exists(path):
        return torch.from_numpy(np.load(path))
    x = torch.cat([gray_to_tensor(load_gray(r["path"]), spec) for r in rows]).numpy()
    np.save(path, x)
    return torch.from_numpy(x)


# ---------------------------------------------------------------- augmentation
# Framing randomisation: normal/pneumonia are mostly NIH (512x512 square, clean borders, one JPEG
# history) while COVID-19 comes from other hospitals and paper figures (odd aspect ratios, borders,
# small/blurry, heavy JPEG). Randomising these cues in every class makes them useless to the model.


def random_aspect_crop(img: np.ndarray, rng: np.random.Generator, min_area: float = 0.55) -> np.ndarray:
    h, w = img.shape
    area = rng.uniform(min_area, 1.0) * h * w
    aspect = math.exp(rng.uniform(math.log(0.7), math.log(1.45)))  # width / height
    ch = int(min(h, round(math.sqrt(area / aspect))))
    cw = int(min(w, round(math.sqrt(area * aspect))))
    y0 = int(rng.integers(0, h - ch + 1))
    x0 = int(rng.integers(0, w - cw + 1))
    return img[y0 : y0 + ch, x0 : x0 + cw]


def random_border(img: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Thin black/white/gray frame on random sides, either padded on or painted over the edge."""
    h, w = img.shape
    value = int(rng.choice([0, 255, int(rng.integers(0, 256))]))
    tmax = max(2, int(0.05 * min(h, w)))
    t = [int(rng.integers(1, tmax + 1)) if rng.random() < 0.6 else 0 for _ in range(4)]  # top, bottom, left, right
    if rng.random() < 0.5:
        return np.pad(img, ((t[0], t[1]), (t[2], t[3])), constant_values=value)
    out = img.copy()
    if t[0]:
        out[: t[0]] = value
    if t[1]:
        out[h - t[1] :] = value
    if t[2]:
        out[:, : t[2]] = value
    if t[3]:
        out[:, w - t[3] :] = value
    return out


def random_downscale_jpeg(img: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Downscale (never below 128 px short side) and JPEG re-compress at a random quality."""
    h, w = img.shape
    im = Image.fromarray(img)
    s = rng.uniform(0.3, 1.0)
    s = max(s, 128.0 / min(h, w)) if min(h, w) > 128 else 1.0
    if s < 0.98:
        im = im.resize((max(1, round(w * s)), max(1, round(h * s))),
                       [Image.BILINEAR, Image.BOX, Image.LANCZOS][int(rng.integers(0, 3))])
    buf = io.BytesIO()
    im.save(buf, format="JPEG", quality=int(rng.integers(25, 96)))
    buf.seek(0)
    with Image.open(buf) as dec:
        return np.asarray(dec.convert("L"), dtype=np.uint8)


def augment_gray(img: np.ndarray, rng: np.random.Generator, spec: dict = DEFAULT_INPUT_SPEC,
                 crop_probability: float = 0.5, crop_min_area: float = 0.55) -> torch.Tensor:
    """uint8 HxW -> framing-randomised, cropped (crop rule) and area-resized [1, h, w] in 0..255.
    Phase 3 widens the aspect crops (more often, down to 35% of the area) because the framing probe
    showed the model reading field of view (zoom) as a COVID-19 cue."""
    if rng.random() < crop_probability:
        img = random_aspect_crop(img, rng, crop_min_area)
    if rng.random() < 0.3:
        img = random_border(img, rng)
    if rng.random() < 0.5:
        img = random_downscale_jpeg(img, rng)
    cropped = apply_crop(img.astype(np.float32), spec["crop"])
    t = torch.from_numpy(np.ascontiguousarray(cropped))[None, None]
    return F.adaptive_avg_pool2d(t, (spec["height"], spec["width"]))[0]


def random_affine_grid(shape, gen: torch.Generator, degrees: float, scale: tuple[float, float],
                       shift: float) -> torch.Tensor:
    """Sampling grid of a random rotation (+-degrees), zoom, horizontal flip and shift (fraction of
    the size) per image of a [B, C, h, w] batch; draws in a fixed order, so seeded runs repeat."""
    b = shape[0]

    def u(lo, hi):
        return lo + (hi - lo) * torch.rand(b, generator=gen)

    ang = u(-degrees, degrees) * math.pi / 180
    zoom = u(*scale)
    flip = torch.where(torch.rand(b, generator=gen) < 0.5, -1.0, 1.0)
    cos, sin = torch.cos(ang) / zoom, torch.sin(ang) / zoom
    theta = torch.stack([torch.stack([cos * flip, -sin, u(-shift, shift)], 1),
                         torch.stack([sin * flip, cos, u(-shift, shift)], 1)], 1)
    return F.affine_grid(theta, list(shape), align_corners=False)


def augment_batch(x: torch.Tensor, gen: torch.Generator) -> torch.Tensor:
    """Photometric + geometric augmentation of a [B,1,h,w] batch in 0..255 (before normalisation)."""
    b = x.shape[0]

    def u(lo, hi, n=b):
        return lo + (hi - lo) * torch.rand(n, generator=gen)

    # Geometric: rotation +-10 deg, translation +-8%, zoom 0.9..1.1, horizontal flip.
    grid = random_affine_grid(x.shape, gen, degrees=10, scale=(0.9, 1.1), shift=0.08)
    x = F.grid_sample(x, grid, mode="bilinear", padding_mode="zeros", align_corners=False)
    # Photometric: gamma 0.7..1.5, contrast 0.75..1.25, intensity shift +-20 grey levels.
    v = (x / 255.0).clamp(0, 1)
    gamma = torch.exp(u(math.log(0.7), math.log(1.5))).view(b, 1, 1, 1)
    v = v.pow(gamma)
    mean = v.mean(dim=(1, 2, 3), keepdim=True)
    v = mean + (v - mean) * u(0.75, 1.25).view(b, 1, 1, 1)
    v = v + u(-20, 20).view(b, 1, 1, 1) / 255.0
    return (v.clamp(0, 1) * 255.0)


def normalize_batch(x: torch.Tensor, spec: dict = DEFAULT_INPUT_SPEC) -> torch.Tensor:
    n = spec["normalization"]
    return (x * float(n["scale"]) - n["mean"][0]) / n["std"][0]


def balanced_batches(labels: list[int], batch_size: int, rng: np.random.Generator, num_classes: int = 3) -> list[list[int]]:
    """Batch re-balancing: every batch holds batch_size/num_classes images of each class
    (smaller classes are re-shuffled and cycled). Epoch length = ceil(N / batch_size) batches."""
    per = batch_size // num_classes
    n_batches = math.ceil(len(labels) / batch_size)
    pools = []
    for c in range(num_classes):
        idx = np.flatnonzero(np.asarray(labels) == c)
        reps = math.ceil(n_batches * per / len(idx))
        pools.append(np.concatenate([rng.permutation(idx) for _ in range(reps)]))
    batches = []
    for i in range(n_batches):
        b = np.concatenate([p[i * per : (i + 1) * per] for p in pools])
        batches.append(rng.permutation(b).tolist())
    return batches
