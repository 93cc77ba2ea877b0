"""Keras/tfjs MobileNetV2 (alpha 1.0, as shipped in nsfwjs@4.3.0) -> torchvision `mobilenet_v2` layout.

The conversion is exact when BatchNorm eps is 1e-3 (Keras) and the five stride-2 3x3 convolutions
pad (0,1,0,1) like Keras "same" (ZeroPadding2D + valid), not torch's symmetric 1.
Only the backbone (`features`, 1280 pooled channels) is used; nsfwjs's dense head is dropped.

  python3 training/imagenet/mobilenet_v2.py --check IMAGE   # pooled features of one image (for the parity test)
"""
from __future__ import annotations

import argparse
import json
import os
import sys

import numpy as np
import torch
import torch.nn as nn
import torchvision

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
DEFAULT_WEIGHTS = os.path.join(REPO_ROOT, "training", "cache", "nsfwjs", "mobilenet_v2")
BN_EPS = 1e-3


class KerasSamePad(nn.Module):
    """Keras 'same' for a stride-2 3x3 convolution on even sizes: one row/column after, none before."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return nn.functional.pad(x, (0, 1, 0, 1))


def keras_layout_backbone() -> nn.Sequential:
    """torchvision's mobilenet_v2().features with Keras's BN eps and stride-2 padding."""
    features = torchvision.models.mobilenet_v2(weights=None).features
    for module in features.modules():
        if isinstance(module, nn.BatchNorm2d):
            module.eps = BN_EPS
    for parent in list(features.modules()):
        for name, child in list(parent.named_children()):
            if isinstance(child, nn.Conv2d) and child.stride == (2, 2) and child.kernel_size == (3, 3):
                child.padding = (0, 0)
                setattr(parent, name, nn.Sequential(KerasSamePad(), child))
    return features


def load_tfjs_weights(prefix: str = DEFAULT_WEIGHTS) -> dict[str, np.ndarray]:
    with open(prefix + ".json", encoding="utf-8") as f:
        index = json.load(f)
    flat = np.fromfile(prefix + ".f32", dtype="<f4")
    return {w["name"]: flat[w["offset"]: w["offset"] + int(np.prod(w["shape"]))].reshape(w["shape"])
            for w in index["weights"]}


def _keras_blocks() -> list[tuple[str | None, str, str]]:
    """(expand, depthwise, project) Keras layer prefixes of torchvision features[1..17]."""
    blocks = [(None, "expanded_conv_depthwise", "expanded_conv_project")]
    blocks += [(f"block_{i}_expand", f"block_{i}_depthwise", f"block_{i}_project") for i in range(1, 17)]
    return blocks


def _convs_and_bns(module: nn.Module) -> tuple[list[nn.Conv2d], list[nn.BatchNorm2d]]:
    convs = [m for m in module.modules() if isinstance(m, nn.Conv2d)]
    bns = [m for m in module.modules() if isinstance(m, nn.BatchNorm2d)]
    return convs, bns


def convert(features: nn.Sequential, weights: dict[str, np.ndarray]) -> list[str]:
    """Copy the Keras weights into `features` in place; returns the Keras tensor names used."""
    used: list[str] = []

    def take(name: str) -> torch.Tensor:
        used.append(name)
        return torch.from_numpy(np.ascontiguousarray(weights[name]))

    def set_conv(conv: nn.Conv2d, layer: str, depthwise: bool = False) -> None:
        if depthwise:  # [kh, kw, in, 1] -> [in, 1, kh, kw]
            w = take(f"{layer}/depthwise_kernel").permute(2, 3, 0, 1)
        else:  # [kh, kw, in, out] -> [out, in, kh, kw]
            w = take(f"{layer}/kernel").permute(3, 2, 0, 1)
        assert tuple(w.shape) == tuple(conv.weight.shape), (layer, w.shape, conv.weight.shape)
        conv.weight.data.copy_(w)

    def set_bn(bn: nn.BatchNorm2d, layer: str) -> None:
        bn.weight.data.copy_(take(f"{layer}/gamma"))
        bn.bias.data.copy_(take(f"{layer}/beta"))
        bn.running_mean.data.copy_(take(f"{layer}/moving_mean"))
        bn.running_var.data.copy_(take(f"{layer}/moving_variance"))

    convs, bns = _convs_and_bns(features[0])
    set_conv(convs[0], "Conv1")
    set_bn(bns[0], "bn_Conv1")
    for index, (expand, depthwise, project) in enumerate(_keras_blocks(), start=1):
        convs, bns = _convs_and_bns(features[index])
        layers = ([expand] if expand else []) + [depthwise, project]
        for conv, bn, layer in zip(convs, bns, layers):
            set_conv(conv, layer, depthwise=layer == depthwise)
            set_bn(bn, f"{layer}_BN")
    convs, bns = _convs_and_bns(features[18])
    set_conv(convs[0], "Conv_1")
    set_bn(bns[0], "Conv_1_bn")
    return used


def imagenet_backbone(prefix: str = DEFAULT_WEIGHTS) -> nn.Sequential:
    features = keras_layout_backbone()
    used = convert(features, load_tfjs_weights(prefix))
    n_params = sum(p.numel() for p in features.parameters())
    assert len(used) == len(set(used)), "a Keras tensor was used twice"
    assert n_params == 2223872, f"unexpected backbone size {n_params}"
    return features.eval()


def pooled_features(features: nn.Sequential, rgb01: np.ndarray) -> np.ndarray:
    """rgb01: [H, W, 3] float in [0, 1] (nsfwjs's input) -> the 1280 pooled features."""
    x = torch.from_numpy(rgb01.astype(np.float32)).permute(2, 0, 1)[None]
    with torch.no_grad():
        return features(x).mean(dim=(2, 3))[0].numpy()


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--weights", default=DEFAULT_WEIGHTS)
    ap.add_argument("--check", required=True, help="raw float32 [224,224,3] image in [0,1]")
    ap.add_argument("--out", required=True, help="raw float32 pooled features")
    args = ap.parse_args(argv)
    image = np.fromfile(args.check, dtype="<f4").reshape(224, 224, 3)
    pooled_features(imagenet_backbone(args.weights), image).astype("<f4").tofile(args.out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
