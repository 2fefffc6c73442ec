"""ResNet for 32×32 CIFAR images (He et al. 2016, section 4.2): 6n+2 layers, widths 16/32/64.

Both variants: conv3×3(16)-BN-ReLU stem, post-activation basic blocks (conv-BN-ReLU-conv-BN, add,
ReLU), a parameter-free "option A" shortcut when the width changes (spatial subsampling, then
zero-padding of the channels), global average pooling, no bias in the convolutions. ``variant``:

``'cb'`` (default) -- Cui et al. 2019's official TensorFlow model (richardaecn/class-balanced-loss
``src/cifar_model.py`` + ``src/model_base.py``, version 'v1'): the shortcut subsamples by a 2×2
average pool; every convolution is initialised as ``tf.layers.conv2d`` does without a
kernel_initializer (TF 1's glorot_uniform: U(±sqrt(6 / (fan_in + fan_out))), ``xavier_uniform_``).
BatchNorm (both variants): torch's momentum 0.1 / eps 1e-5, which are the TF code's decay 0.9 /
epsilon 1e-5 (cifar_main.py --batch-norm-decay, --batch-norm-epsilon).

``'idelbayev'`` -- Y. Idelbayev's ``resnet.py`` (akamaster/pytorch_resnet_cifar10), the network of the
CDB paper's official code (hitachi-rd-cv/CDB-loss ``CIFAR-LT/models/resnet.py``, an identical copy):
the shortcut keeps every second pixel (``x[:, :, ::2, ::2]``), and every convolution is initialised
with ``kaiming_normal_`` (fan-in, gain √2). The classifier is not part of this module: CDB's
``cifar_train.py`` replaces the network's ``linear`` after that initialisation, so it keeps PyTorch's
default ``nn.Linear`` init (LTImageClassifier's head) and the bias prior −log(C−1) (``prior_bias``).
"""
from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

VARIANTS = ("cb", "idelbayev")


class BasicBlockV1(nn.Module):
    def __init__(self, in_ch: int, out_ch: int, stride: int, subsample: str = "avg"):
        super().__init__()
        self.conv1 = nn.Conv2d(in_ch, out_ch, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(out_ch)
        self.conv2 = nn.Conv2d(out_ch, out_ch, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(out_ch)
        self.stride, self.pad, self.subsample = stride, (out_ch - in_ch) // 2, subsample

    def shortcut(self, x: torch.Tensor) -> torch.Tensor:
        """Option A: identity, or subsample (average pool or every ``stride``-th pixel) and zero channels."""
        if not (self.pad or self.stride > 1):
            return x
        if self.stride > 1:
            s = self.stride
            x = F.avg_pool2d(x, s, s) if self.subsample == "avg" else x[:, :, ::s, ::s]
        return F.pad(x, (0, 0, 0, 0, self.pad, self.pad))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = F.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        return F.relu(out + self.shortcut(x))


class ResNetCifar(nn.Module):
    """``depth`` = 6n+2 (32 → n=5); returns 64-d pooled features. ``variant``: see the module doc."""

    def __init__(self, depth: int = 32, in_channels: int = 3, variant: str = "cb"):
        super().__init__()
        if (depth - 2) % 6:
            raise ValueError(f"ResNetCifar: depth must be 6n+2 (20, 32, 44, 56, 110), got {depth}")
        if variant not in VARIANTS:
            raise ValueError(f"ResNetCifar: variant must be one of {VARIANTS}, got {variant!r}")
        n = (depth - 2) // 6
        subsample = "avg" if variant == "cb" else "stride"
        self.variant = variant
        self.stem = nn.Sequential(nn.Conv2d(in_channels, 16, 3, 1, 1, bias=False), nn.BatchNorm2d(16),
                                  nn.ReLU(inplace=True))
        blocks, in_ch = [], 16
        for out_ch, stride in ((16, 1), (32, 2), (64, 2)):
            for j in range(n):
                blocks.append(BasicBlockV1(in_ch, out_ch, stride if j == 0 else 1, subsample))
                in_ch = out_ch
        self.blocks = nn.Sequential(*blocks)
        self.out_channels = 64
        # cb: model_base.py _conv, tf.layers.conv2d's default glorot_uniform;
        # idelbayev: resnet.py _weights_init, kaiming_normal_ on every Conv2d
        conv_init = nn.init.xavier_uniform_ if variant == "cb" else nn.init.kaiming_normal_
        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                conv_init(m.weight)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.blocks(self.stem(x)).mean((2, 3))


class ResNet32(ResNetCifar):
    def __init__(self, in_channels: int = 3, variant: str = "cb"):
        super().__init__(32, in_channels, variant)
