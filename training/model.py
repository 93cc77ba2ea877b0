"""COVID-Net style network built from PEPX modules (Wang, Lin & Wong 2020, Sec. 2.1.3, Fig. 2).

PEPX = 1x1 first-stage projection -> 1x1 expansion -> 3x3 depthwise -> 1x1 second-stage
projection -> 1x1 extension (each conv + BatchNorm + ReLU).

Long-range (dense) connectivity, as in Fig. 2: inside a stage, the input of PEPX module j is the
sum of the stage input and the outputs of ALL earlier modules of that stage; across stages, the
next stage's input is a strided 1x1 projection of the previous stage's aggregate (stage input +
all module outputs), so every module reaches every later stage.

Head: global average pooling + one linear layer, so the class activation map
CAM_c = sum_k W[c,k] * F_k + b_c averages (over h, w) exactly to the logit c. This deviates from the
paper's flatten + FC stack (see MODEL_CARD.md); the `paper` config keeps GAP+linear as well.

Configs:
  compact: small widths for CPU training (~1M params);
  paper:   widths/depths tuned so params ~ 117M and MACs ~ 2.26G at 224x224 (Table 1), see
           `describe()`; because a GAP head has almost no parameters, the paper's parameter count
           (mostly in its flatten-FC head) is reached with a wide, low-resolution last stage.
"""
from __future__ import annotations

from dataclasses import dataclass, asdict

import torch
import torch.nn as nn
import torch.nn.functional as F

LABELS = ["normal", "pneumonia", "COVID-19"]


@dataclass(frozen=True)
class NetConfig:
    name: str
    stem: int                 # channels of the 7x7 stride-2 stem conv
    widths: tuple             # output channels of each stage
    depths: tuple             # number of PEPX modules per stage
    strides: tuple            # spatial stride at the start of each stage (after the stem + maxpool)
    proj_ratio: float = 0.25  # first/second-stage projection width = ratio * stage width
    expand_ratio: float = 2.0  # expansion width = ratio * projection width
    num_classes: int = 3
    in_channels: int = 1


CONFIGS = {
    # 4 stages at 56/28/14/7 px like the paper's 224 input; small widths for CPU training.
    "compact": NetConfig("compact", stem=32, widths=(64, 128, 256, 512), depths=(2, 3, 5, 2),
                         strides=(1, 2, 2, 2), proj_ratio=0.25, expand_ratio=2.0),
    # Paper scale: 3/4/6/3 PEPX modules (official COVID-Net stage depths) at 56/28/14/7 px, plus a
    # wide 5th stage at 4x4 px so params/MACs match Table 1 (117.4M / 2.26G) without an FC stack:
    # measured 113.8M params, 2.34 GMACs at 224x224 (count_params / count_macs below).
    "paper": NetConfig("paper", stem=64, widths=(64, 128, 256, 768, 5120), depths=(3, 4, 6, 3, 2),
                       strides=(1, 2, 2, 2, 2), proj_ratio=0.5, expand_ratio=2.0),
}


def conv_bn_relu(cin: int, cout: int, k: int = 1, stride: int = 1, groups: int = 1) -> nn.Sequential:
    return nn.Sequential(
        nn.Conv2d(cin, cout, k, stride=stride, padding=k // 2, groups=groups, bias=False),
        nn.BatchNorm2d(cout),
        nn.ReLU(inplace=True),
    )


class PEPX(nn.Module):
    def __init__(self, cin: int, cout: int, proj: int, expand: int):
        super().__init__()
        self.body = nn.Sequential(
            conv_bn_relu(cin, proj, 1),                   # first-stage projection
            conv_bn_relu(proj, expand, 1),                # expansion
            conv_bn_relu(expand, expand, 3, groups=expand),  # depthwise 3x3
            conv_bn_relu(expand, proj, 1),                # second-stage projection
            conv_bn_relu(proj, cout, 1),                  # extension
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.body(x)


class Stage(nn.Module):
    """Densely connected PEPX stage: module j sees stage input + outputs of modules < j."""

    def __init__(self, cin: int, width: int, depth: int, stride: int, proj_ratio: float, expand_ratio: float):
        super().__init__()
        self.stride = stride
        # Cross-stage long-range connection: projection of the previous aggregate.
        self.entry = conv_bn_relu(cin, width, 1)
        proj = max(8, int(round(width * proj_ratio)))
        expand = max(8, int(round(proj * expand_ratio)))
        self.blocks = nn.ModuleList(PEPX(width, width, proj, expand) for _ in range(depth))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.stride > 1:
            x = F.max_pool2d(x, kernel_size=self.stride, stride=self.stride, ceil_mode=True)
        agg = self.entry(x)
        for block in self.blocks:
            agg = agg + block(agg)  # running sum == stage input + all earlier module outputs
        return agg


class CovidNet(nn.Module):
    def __init__(self, cfg: NetConfig):
        super().__init__()
        self.cfg = cfg
        self.stem = nn.Sequential(conv_bn_relu(cfg.in_channels, cfg.stem, 7, stride=2), nn.MaxPool2d(3, 2, 1))
        stages, cin = [], cfg.stem
        for w, d, s in zip(cfg.widths, cfg.depths, cfg.strides):
            stages.append(Stage(cin, w, d, s, cfg.proj_ratio, cfg.expand_ratio))
            cin = w
        self.stages = nn.Sequential(*stages)
        self.num_features = cin
        self.classifier = nn.Linear(cin, cfg.num_classes)
        self._init_weights()

    def _init_weights(self) -> None:
        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")
            elif isinstance(m, nn.BatchNorm2d):
                nn.init.ones_(m.weight)
                nn.init.zeros_(m.bias)
            elif isinstance(m, nn.Linear):
                nn.init.normal_(m.weight, std=0.01)
                nn.init.zeros_(m.bias)
        # Zero-init the last BN of each PEPX so a deep dense stage starts near identity
        # (stabilises training from scratch; the sum of many module outputs otherwise explodes).
        for m in self.modules():
            if isinstance(m, PEPX):
                nn.init.zeros_(m.body[-1][1].weight)

    def features(self, x: torch.Tensor) -> torch.Tensor:
        return self.stages(self.stem(x))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.classifier(self.features(x).mean(dim=(2, 3)))


def build(config: str = "compact") -> CovidNet:
    return CovidNet(CONFIGS[config])


def count_params(model: nn.Module) -> int:
    return sum(p.numel() for p in model.parameters())


@torch.no_grad()
def count_macs(model: nn.Module, height: int = 224, width: int = 224) -> int:
    """Multiply-accumulates of conv and linear layers for one image (hooks; BN/ReLU/pool ignored)."""
    total = 0

    def conv_hook(m: nn.Conv2d, inp, out):
        nonlocal total
        k = m.kernel_size[0] * m.kernel_size[1] * (m.in_channels // m.groups)
        total += out.shape[1] * out.shape[2] * out.shape[3] * k

    def linear_hook(m: nn.Linear, inp, out):
        nonlocal total
        total += m.in_features * m.out_features

    hooks = []
    for m in model.modules():
        if isinstance(m, nn.Conv2d):
            hooks.append(m.register_forward_hook(conv_hook))
        elif isinstance(m, nn.Linear):
            hooks.append(m.register_forward_hook(linear_hook))
    was_training = model.training
    model.eval()
    try:
        model(torch.zeros(1, model.cfg.in_channels, height, width))
    finally:
        model.train(was_training)
        for h in hooks:
            h.remove()
    return total


def describe(config: str) -> dict:
    m = build(config)
    feat = m.features(torch.zeros(1, 1, 224, 224)).shape
    return {"config": config, "params": count_params(m), "macs": count_macs(m),
            "featureShape": list(feat[1:]), **{"netConfig": asdict(m.cfg)}}


if __name__ == "__main__":
    import json
    import sys

    for name in sys.argv[1:] or list(CONFIGS):
        print(json.dumps(describe(name)))
