"""ResNet for 32×32 CIFAR images (He et al. 2016, section 4.2): 6n+2 layers, widths 16/32/64.

Follows Cui et al. 2019's official TensorFlow model (richardaecn/class-balanced-loss
``src/cifar_model.py`` + ``src/model_base.py``, version 'v1'): conv3×3(16)-BN-ReLU stem, post-activation
basic blocks (conv-BN-ReLU-conv-BN, add, ReLU), "plan A" shortcut when the width changes (2×2
average pool with the block's stride, then zero-padding of the channels, no parameters), global
average pooling. No bias in the convolutions. Differences: PyTorch's default initialisation and
BatchNorm momentum/eps (the TF code's decay/epsilon are flags of cifar_main.py) — ours.
"""
from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn


class BasicBlockV1(nn.Module):
    def __init__(self, in_ch: int, out_ch: int, stride: int):
        super().__init__()
        self.conv1 = nn.Conv2d(in_ch, out_ch, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(out_ch)
        self.conv2 = nn.Conv2d(out_ch, out_ch, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(out_ch)
        self.stride, self.pad = stride, (out_ch - in_ch) // 2

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = F.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        if self.pad or self.stride > 1:  # plan A: average pool + zero channels
            x = F.avg_pool2d(x, self.stride, self.stride) if self.stride > 1 else x
            x = F.pad(x, (0, 0, 0, 0, self.pad, self.pad))
        return F.relu(out + x)


class ResNetCifar(nn.Module):
    """``depth`` = 6n+2 (32 → n=5); returns 64-d pooled features."""

    def __init__(self, depth: int = 32, in_channels: int = 3):
        super().__init__()
        if (depth - 2) % 6:
            raise ValueError(f"ResNetCifar: depth must be 6n+2 (20, 32, 44, 56, 110), got {depth}")
        n = (depth - 2) // 6
        self.stem = nn.Sequential(nn.Conv2d(in_channels, 16, 3, 1, 1, bias=False), nn.BatchNorm2d(16), nn.ReLU(inplace=True))
        blocks, in_ch = [], 16
        for out_ch, stride in ((16, 1), (32, 2), (64, 2)):
            for j in range(n):
                blocks.append(BasicBlockV1(in_ch, out_ch, stride if j == 0 else 1))
                in_ch = out_ch
        self.blocks = nn.Sequential(*blocks)
        self.out_channels = 64

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.blocks(self.stem(x)).mean((2, 3))


class ResNet32(ResNetCifar):
    def __init__(self, in_channels: int = 3):
        super().__init__(32, in_channels)
