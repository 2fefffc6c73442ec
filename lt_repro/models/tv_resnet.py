"""torchvision ResNets as feature extractors (the classifier is LTImageClassifier's head).

``ResNet10`` is the ImageNet-LT backbone of OLTR (Liu et al. 2019, ``models/ResNet10Feature.py``:
``ResNet(BasicBlock, [1, 1, 1, 1])``) and classifier-balancing (Kang et al. 2020), 512-d features,
trained from scratch. ``TorchvisionResNet`` wraps torchvision's resnet50/101/152 and
resnext50_32x4d (Seesaw's ImageNet-LT backbone) with randomly initialised weights.
"""
from __future__ import annotations

import torch
from torch import nn
from torchvision import models as tvm
from torchvision.models.resnet import BasicBlock, ResNet

ARCHS = ("resnet50", "resnet101", "resnet152", "resnext50_32x4d")


class _Features(nn.Module):
    def _strip(self, net: ResNet) -> None:
        self.out_channels = net.fc.in_features
        net.fc = nn.Identity()
        self.net = net

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(x)


class ResNet10(_Features):
    def __init__(self):
        super().__init__()
        self._strip(ResNet(BasicBlock, [1, 1, 1, 1]))


class TorchvisionResNet(_Features):
    def __init__(self, arch: str = "resnet50"):
        super().__init__()
        if arch not in ARCHS:
            raise ValueError(f"TorchvisionResNet: arch must be one of {ARCHS}, got {arch!r}")
        self._strip(getattr(tvm, arch)(weights=None))
