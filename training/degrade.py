"""Degradation augmentation for v4: every training film, every source, the same way, independent of its class.

Most COVID-19 films in the public sets began as small, heavily compressed figures from papers, while the normal
and pneumonia films began as large lossless originals; v3 learned that (a normal film downscaled and re-compressed
rose by +.18 in P(COVID-19)). Here each film's file history is re-drawn at random on the cached lung square
(uint8, before the crop's geometry and fill rule):

- resolution: resample to 35-150% of the square's side (log-uniform) and back; below 100% = resolution loss,
  above = the JPEG blocks land finer on the lungs (a large film compressed, then downscaled by the crop);
- JPEG re-encoding at quality 30-95 (probability JPEG_PROBABILITY) at that resolution (PIL's libjpeg, baseline);
- mild Gaussian blur (sigma 0.3-1.2, probability BLUR_PROBABILITY) and Gaussian noise (sigma 0-6 grey levels,
  probability NOISE_PROBABILITY).

The function never sees a label: the same draw distribution for every film. Deterministic for a given
numpy Generator state (tests: training/tests/test_degrade.py).
"""
from __future__ import annotations

import io

import numpy as np
from PIL import Image, ImageFilter

SCALE_RANGE = (0.35, 1.5)
JPEG_QUALITY = (30, 95)
JPEG_PROBABILITY = 0.8
BLUR_PROBABILITY = 0.3
BLUR_SIGMA = (0.3, 1.2)
NOISE_PROBABILITY = 0.5
NOISE_SIGMA = (0.0, 6.0)


def degrade_one(image: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """uint8 [h, w] -> uint8 [h, w]: one random file history (the draws come from `rng` in a fixed order)."""
    h, w = image.shape
    scale = float(np.exp(rng.uniform(np.log(SCALE_RANGE[0]), np.log(SCALE_RANGE[1]))))
    use_jpeg = rng.random() < JPEG_PROBABILITY
    quality = int(rng.integers(JPEG_QUALITY[0], JPEG_QUALITY[1] + 1))
    use_blur = rng.random() < BLUR_PROBABILITY
    sigma = float(rng.uniform(*BLUR_SIGMA))
    use_noise = rng.random() < NOISE_PROBABILITY
    noise_sigma = float(rng.uniform(*NOISE_SIGMA))
    noise_seed = int(rng.integers(2**31))

    pil = Image.fromarray(image, mode="L")
    sw, sh = max(16, round(w * scale)), max(16, round(h * scale))
    pil = pil.resize((sw, sh), Image.BOX if scale < 1 else Image.BILINEAR)
    if use_blur:
        pil = pil.filter(ImageFilter.GaussianBlur(sigma))
    if use_jpeg:
        buf = io.BytesIO()
        pil.save(buf, format="JPEG", quality=quality)
        buf.seek(0)
        pil = Image.open(buf).convert("L")
    pil = pil.resize((w, h), Image.BILINEAR)
    out = np.asarray(pil, dtype=np.float32)
    if use_noise:
        out = out + np.random.default_rng(noise_seed).normal(0.0, noise_sigma, out.shape).astype(np.float32)
    return np.clip(np.rint(out), 0, 255).astype(np.uint8)


def degrade_batch(images: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """uint8 [B, h, w] -> uint8 [B, h, w]; film i's history depends only on rng's state and i's position."""
    return np.stack([degrade_one(img, rng) for img in images])
