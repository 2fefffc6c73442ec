"""torchvision ResNets as feature extractors (the classifier is LTImageClassifier's head).

``ResNet10`` is the ImageNet-LT backbone of OLTR (Liu et al. 2019, ``models/ResNet10Feature.py``:
``ResNet(BasicBlock, [1, 1, 1, 1])``) and classifier-balancing (Kang et al. 2020), 512-d features,
trained from scratch. ``TorchvisionResNet`` wraps torchvision's resnet50/101/152 and
resnext50_32x4d (Seesaw's ImageNet-LT backbone), randomly initialised unless ``weights`` names
torchvision weights (e.g. ``'IMAGENET1K_V1'``, mmdet's ``torchvision://resnet50``; downloaded to
``$TORCH_HOME`` on first use). ``frozen_stages`` and ``norm_eval`` follow mmdet's ResNet (the DB
backbone, wutong16/DistributionBalancedLoss ``mllt/models/backbones/resnet.py``): stages 0 (stem)
.. k get no gradient and stay in eval mode; ``norm_eval`` keeps every BatchNorm in eval mode
(running statistics frozen, affine parameters still trained).

Initialisation of a randomly initialised net: ``zero_init_residual`` starts the last BatchNorm γ of every
residual block at 0 (torchvision's option); ``conv_init='tf_variance_scaling'`` draws every convolution
from TensorFlow 1's ``tf.variance_scaling_initializer()`` defaults (scale 1, fan_in, truncated normal:
σ = sqrt(1/fan_in) / 0.8796, cut at ±2σ) instead of torchvision's kaiming_normal(fan_out). Both as the
TPU ResNet that Cui et al. 2019 train (richardaecn/class-balanced-loss ``tpu/models/official/resnet/
resnet_model.py``: ``conv2d_fixed_padding``, ``init_zero=True`` on each block's last ``batch_norm_relu``).
"""
from __future__ import annotations

import math

import torch
from torch import nn
from torchvision import models as tvm
from torchvision.models.resnet import BasicBlock, ResNet

ARCHS = ("resnet50", "resnet101", "resnet152", "resnext50_32x4d")
CONV_INITS = ("torchvision", "tf_variance_scaling")
# std of a standard normal truncated at ±2 (TF's variance_scaling divides by it)
_TRUNC2_STD = 0.87962566103423978


def tf_variance_scaling_(weight: torch.Tensor) -> torch.Tensor:
    """In place: TF 1 ``variance_scaling_initializer()`` (scale 1, mode fan_in, truncated normal)."""
    fan_in = weight[0].numel()
    std = math.sqrt(1.0 / fan_in) / _TRUNC2_STD
    return nn.init.trunc_normal_(weight, 0.0, std, -2.0 * std, 2.0 * std)


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
    def __init__(self, arch: str = "resnet50", weights: str | None = None, frozen_stages: int = -1,
                 norm_eval: bool = False, zero_init_residual: bool = False, conv_init: str = "torchvision"):
        super().__init__()
        if arch not in ARCHS:
            raise ValueError(f"TorchvisionResNet: arch must be one of {ARCHS}, got {arch!r}")
        if not -1 <= frozen_stages <= 4:
            raise ValueError(f"TorchvisionResNet: frozen_stages must lie in [-1, 4], got {frozen_stages}")
        if conv_init not in CONV_INITS:
            raise ValueError(f"TorchvisionResNet: conv_init must be one of {CONV_INITS}, got {conv_init!r}")
        if weights is not None and (zero_init_residual or conv_init != "torchvision"):
            raise ValueError("TorchvisionResNet: zero_init_residual / conv_init initialise a net from scratch; "
                             f"they do not apply to pretrained weights={weights!r}")
        self._strip(getattr(tvm, arch)(weights=weights, zero_init_residual=zero_init_residual))
        if conv_init == "tf_variance_scaling":
            for m in self.net.modules():
                if isinstance(m, nn.Conv2d):
                    tf_variance_scaling_(m.weight)
        self.frozen_stages, self.norm_eval = frozen_stages, norm_eval
        for module in self._frozen():
            module.requires_grad_(False)

    def _frozen(self) -> list[nn.Module]:
        net = self.net
        stages = [nn.ModuleList([net.conv1, net.bn1]), net.layer1, net.layer2, net.layer3, net.layer4]
        return stages[:self.frozen_stages + 1]

    def train(self, mode: bool = True):
        super().train(mode)
        for module in self._frozen():
            module.eval()
        if mode and self.norm_eval:
            for m in self.modules():
                if isinstance(m, nn.modules.batchnorm._BatchNorm):
                    m.eval()
        return self
