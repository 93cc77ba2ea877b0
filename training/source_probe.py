"""Source probe: how well a network's pooled (penultimate) features tell the SOURCE of a film within one
label -- the look a model could use instead of the lungs. Lower is better; chance is 1/k.

  python3 training/source_probe.py --checkpoint training/runs/v3-mobilenet/last.pt --json out.json
  python3 training/source_probe.py --imagenet --crop v2 --json before.json   (ImageNet features, v2 crops)
  python3 training/source_probe.py --checkpoint training/runs/v4-long/last.pt --v4 --json after.json
      (v4: the developer films of training/cache/crops-v4 {calib,val}, the checkpoint's own crop rule)

Films: the calibration and validation parts (never trained on). Per label, sources with >= MIN_FILMS
films; features -> standardised -> top-32 PCA -> multinomial logistic regression (L2), 5-fold
cross-validated balanced accuracy (stratified by source, seeded).
`--crop v2` uses v2's fill rule (outside our mask only: a third party's black mask and each source's
contrast stay visible); the default is v3's (darkOutside + standardize).
"""
from __future__ import annotations

import argparse
import json
import os
import sys

import numpy as np
import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "imagenet"))
import train_v3 as v3  # noqa: E402

MIN_FILMS = 20
FOLDS = 5


def v2_style_batch(images: np.ndarray, masks: np.ndarray) -> torch.Tensor:
    """The app's geometry, v2's fill (outside the dilated mask only), no standardisation."""
    img = torch.from_numpy(images).float()[:, None]
    lungs = torch.from_numpy(masks).float()[:, None]
    z = v3.zoom_to_app_margin(len(images))
    theta = torch.tensor([[z, 0, 0], [0, z, 0]], dtype=torch.float32).expand(len(images), 2, 3)
    grid = F.affine_grid(theta, [len(images), 1, v3.SIZE, v3.SIZE], align_corners=False)
    img = F.grid_sample(img, grid, mode="bilinear", padding_mode="border", align_corners=False)
    lungs = F.grid_sample(lungs, grid, mode="nearest", align_corners=False)
    outside = v3.dilate_batch(lungs, v3.APP_DILATION) == 0
    return torch.where(outside, torch.full_like(img, v3.FILL), img)


@torch.no_grad()
def pooled(model: torch.nn.Module, part: dict, spec: dict, crop: str, batch: int = 48) -> np.ndarray:
    model.eval()
    out = []
    for i in range(0, len(part["images"]), batch):
        imgs, masks = part["images"][i:i + batch], part["masks"][i:i + batch]
        if crop == "v2":
            x = v2_style_batch(imgs, masks)
        elif crop in V4_CROPS:
            x = V4_CROPS[crop](imgs, masks)
        else:
            x = v3.clean_batch(imgs, masks)[0]
        x = v3.to_input(x, spec).contiguous(memory_format=torch.channels_last)
        out.append(model.features(x).mean(dim=(2, 3)).numpy())
    return np.concatenate(out)


def logistic_cv_balanced_accuracy(x: np.ndarray, y: np.ndarray, seed: int = 0) -> float:
    rng = np.random.default_rng(seed)
    folds = np.zeros(len(y), dtype=int)
    for c in np.unique(y):
        idx = rng.permutation(np.flatnonzero(y == c))
        folds[idx] = np.arange(len(idx)) % FOLDS
    k = int(y.max()) + 1
    predictions = np.zeros(len(y), dtype=int)
    for f in range(FOLDS):
        tr, te = folds != f, folds == f
        mu, sd = x[tr].mean(0), x[tr].std(0) + 1e-6
        xt = (x[tr] - mu) / sd
        _, _, vt = np.linalg.svd(xt, full_matrices=False)
        proj = vt[:32].T
        a = torch.from_numpy(xt @ proj).float()
        b = torch.from_numpy(((x[te] - mu) / sd) @ proj).float()
        w = torch.zeros(a.shape[1], k, requires_grad=True)
        bias = torch.zeros(k, requires_grad=True)
        opt = torch.optim.LBFGS([w, bias], max_iter=200)
        target = torch.from_numpy(y[tr])
        weights = torch.from_numpy(1.0 / np.bincount(y[tr], minlength=k)).float()

        def closure():
            opt.zero_grad()
            loss = F.cross_entropy(a @ w + bias, target, weight=weights) + 1e-2 * (w ** 2).sum()
            loss.backward()
            return loss

        opt.step(closure)
        predictions[te] = (b @ w + bias).argmax(1).numpy()
    return float(np.mean([(predictions[y == c] == c).mean() for c in range(k)]))


def v4_crop(rule: str):
    import train_v4

    return lambda imgs, masks: train_v4.clean_batch(imgs, masks, rule)[0]


V4_CROPS = {f"v4-{rule}": v4_crop(rule) for rule in ("tight", "dilated", "box")}


def probe(model: torch.nn.Module, spec: dict, crop: str, v4: bool = False) -> dict:
    if v4:
        import train_v4

        parts = [train_v4.load_part(name) for name in ("calib", "val")]
    else:
        parts = [v3.load_part(name) for name in ("calib", "val_v3")]
    films = {k: np.concatenate([p[k] for p in parts]) for k in ("images", "masks", "sources", "y")}
    feats = pooled(model, films, spec, crop)
    report = {}
    for c, label in enumerate(v3.LABELS):
        sel = films["y"] == c
        sources, counts = np.unique(films["sources"][sel], return_counts=True)
        kept = [s for s, n in zip(sources, counts) if n >= MIN_FILMS]
        if len(kept) < 2:
            continue
        idx = np.flatnonzero(sel & np.isin(films["sources"], kept))
        y = np.asarray([kept.index(s) for s in films["sources"][idx]])
        report[label] = {"sources": {s: int((films["sources"][idx] == s).sum()) for s in kept},
                         "balanced_accuracy": round(logistic_cv_balanced_accuracy(feats[idx], y), 3),
                         "chance": round(1 / len(kept), 3)}
    return report


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--checkpoint")
    ap.add_argument("--imagenet", action="store_true", help="the ImageNet MobileNetV2 before any training")
    ap.add_argument("--crop", choices=["v2", "v3", *V4_CROPS], default=None,
                    help="default: v3, or with --v4 the checkpoint's own crop rule")
    ap.add_argument("--v4", action="store_true", help="the v4 films (training/cache/crops-v4 calib + val)")
    ap.add_argument("--json", required=True)
    args = ap.parse_args(argv)
    torch.set_num_threads(2)
    if args.imagenet:
        arm, model = "mobilenet", v3.build_arm("mobilenet")
        what = "ImageNet MobileNetV2 (nsfwjs), before training"
    else:
        ck = torch.load(args.checkpoint, map_location="cpu")
        arm, model = ck["arm"], v3.build_arm(ck["arm"], imagenet=False)
        model.load_state_dict(ck["model"])
        what = f"{args.checkpoint} (step {ck['step']})"
        if args.v4 and args.crop is None:
            args.crop = f"v4-{ck['crop']}"
    crop = args.crop or "v3"
    model = model.to(memory_format=torch.channels_last)
    report = {"model": what, "crop": crop, "films": "v4 calib + val" if args.v4 else "calib + val_v3",
              "probe": probe(model, v3.input_spec(arm), crop, args.v4)}
    with open(args.json, "w", encoding="utf-8") as f:
        json.dump(report, f, indent=2)
    print(json.dumps(report, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
