"""3D ResNeXt (Hara, Kataoka, Satoh, CVPR 2018), as kenshohara/3D-ResNets-PyTorch ``models/resnext.py`` and its
copy in hitachi-rd-cv/CDB-loss ``EGTEA/models/resnext.py``, which the CDB paper's EGTEA runs use:
``resnet101(shortcut_type='B', cardinality=32, sample_size=224, sample_duration=10)``.

- stem: Conv3d(3, 64, 7, stride (1, 2, 2), padding 3) -> BN -> ReLU -> MaxPool3d(3, stride 2, padding 1);
- four stages of bottlenecks (blocks [3, 4, 23, 3] for 101), planes 128, 256, 512, 1024, expansion 2;
  bottleneck 1x1x1 -> grouped 3x3x3 (``cardinality`` groups, stride on this conv) -> 1x1x1, width
  ``cardinality * int(planes / 32)``; shortcut 'B': a 1x1x1 conv + BN where the shape changes;
- AvgPool3d((ceil(T / 16), ceil(S / 32), ceil(S / 32)), stride 1) for clips of T frames of S x S pixels;
- initialisation: kaiming_normal_(fan_out) convolutions, BN weight 1 and bias 0.

The fc layer is left to the classifier (``LTImageClassifier``'s head, nn.Linear(2048, C) as the official
``model.module.fc = nn.Linear(2048, 19)``); ``forward`` returns the pooled 2048-d feature.
``pretrained``: kenshohara's Kinetics checkpoint (``resnext-101-kinetics.pth``, a dict with ``state_dict``
saved from nn.DataParallel: keys prefixed ``module.``), loaded with ``torch.load(weights_only=True)``; its
``fc`` is dropped (replaced, as in ``EGTEA_train.py``), BatchNorm's ``num_batches_tracked`` (absent from
checkpoints saved before torch 0.4.1) starts at 0 as torch fills it, and any other missing or unexpected key or
shape is an error.
"""
from __future__ import annotations

import math
from pathlib import Path

import torch
from torch import nn

DEPTHS = {50: (3, 4, 6, 3), 101: (3, 4, 23, 3), 152: (3, 8, 36, 3)}
PLANES = (128, 256, 512, 1024)
KINETICS_LAYOUT = ("a dict with 'state_dict' whose keys are 'module.conv1.weight', 'module.layer1.0.conv1.weight', "
                   "..., 'module.fc.weight' (kenshohara/3D-ResNets-PyTorch resnext-101-kinetics.pth)")


class ResNeXtBottleneck3d(nn.Module):
    expansion = 2

    def __init__(self, inplanes: int, planes: int, cardinality: int, stride: int = 1,
                 downsample: nn.Module | None = None):
        super().__init__()
        mid = cardinality * int(planes / 32)
        self.conv1 = nn.Conv3d(inplanes, mid, kernel_size=1, bias=False)
        self.bn1 = nn.BatchNorm3d(mid)
        self.conv2 = nn.Conv3d(mid, mid, kernel_size=3, stride=stride, padding=1, groups=cardinality, bias=False)
        self.bn2 = nn.BatchNorm3d(mid)
        self.conv3 = nn.Conv3d(mid, planes * self.expansion, kernel_size=1, bias=False)
        self.bn3 = nn.BatchNorm3d(planes * self.expansion)
        self.relu = nn.ReLU(inplace=True)
        self.downsample = downsample

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        residual = x if self.downsample is None else self.downsample(x)
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.relu(self.bn2(self.conv2(out)))
        out = self.bn3(self.conv3(out))
        return self.relu(out + residual)


class ResNeXt3D(nn.Module):
    """3D ResNeXt feature extractor (module docstring). ``planes``/``stem_channels`` other than the defaults
    only make small test networks; the architecture is the same."""

    def __init__(self, depth: int = 101, cardinality: int = 32, sample_size: int = 224, sample_duration: int = 10,
                 pretrained: str | None = None, layers: tuple[int, ...] | None = None,
                 planes: tuple[int, ...] = PLANES, stem_channels: int = 64):
        super().__init__()
        layers = tuple(layers) if layers is not None else DEPTHS[depth]
        self.inplanes = stem_channels
        self.conv1 = nn.Conv3d(3, stem_channels, kernel_size=7, stride=(1, 2, 2), padding=(3, 3, 3), bias=False)
        self.bn1 = nn.BatchNorm3d(stem_channels)
        self.relu = nn.ReLU(inplace=True)
        self.maxpool = nn.MaxPool3d(kernel_size=(3, 3, 3), stride=2, padding=1)
        self.layer1 = self._make_layer(planes[0], layers[0], cardinality)
        self.layer2 = self._make_layer(planes[1], layers[1], cardinality, stride=2)
        self.layer3 = self._make_layer(planes[2], layers[2], cardinality, stride=2)
        self.layer4 = self._make_layer(planes[3], layers[3], cardinality, stride=2)
        self.avgpool = nn.AvgPool3d((math.ceil(sample_duration / 16), math.ceil(sample_size / 32),
                                     math.ceil(sample_size / 32)), stride=1)
        self.out_channels = planes[3] * ResNeXtBottleneck3d.expansion
        for m in self.modules():
            if isinstance(m, nn.Conv3d):
                nn.init.kaiming_normal_(m.weight, mode="fan_out")
            elif isinstance(m, nn.BatchNorm3d):
                m.weight.data.fill_(1)
                m.bias.data.zero_()
        if pretrained:
            load_kinetics_weights(self, pretrained)

    def _make_layer(self, planes: int, blocks: int, cardinality: int, stride: int = 1) -> nn.Sequential:
        out = planes * ResNeXtBottleneck3d.expansion
        downsample = None
        if stride != 1 or self.inplanes != out:  # shortcut type 'B'
            downsample = nn.Sequential(nn.Conv3d(self.inplanes, out, kernel_size=1, stride=stride, bias=False),
                                       nn.BatchNorm3d(out))
        layers = [ResNeXtBottleneck3d(self.inplanes, planes, cardinality, stride, downsample)]
        self.inplanes = out
        layers += [ResNeXtBottleneck3d(out, planes, cardinality) for _ in range(1, blocks)]
        return nn.Sequential(*layers)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """(N, 3, T, S, S) clips -> (N, out_channels) features."""
        x = self.maxpool(self.relu(self.bn1(self.conv1(x))))
        x = self.layer4(self.layer3(self.layer2(self.layer1(x))))
        x = self.avgpool(x)
        if x.shape[2:] != (1, 1, 1):
            raise ValueError(f"pooled feature map is {tuple(x.shape[2:])}, not (1, 1, 1): the clip size does not "
                             "match sample_size / sample_duration of the model config")
        return x.flatten(1)


def load_kinetics_weights(model: ResNeXt3D, path: str | Path) -> None:
    """Load kenshohara's Kinetics checkpoint into ``model`` (module docstring): weights only, ``module.``
    stripped, ``fc.*`` dropped; raises listing every missing or unexpected key or wrong shape."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"{path} is missing: download resnext-101-kinetics.pth (kenshohara/3D-ResNets-"
                                f"PyTorch's Kinetics models, linked from hitachi-rd-cv/CDB-loss README.md) to it")
    ckpt = torch.load(path, map_location="cpu", weights_only=True)
    state = ckpt.get("state_dict", ckpt) if isinstance(ckpt, dict) else None
    if not isinstance(state, dict):
        raise ValueError(f"{path}: not a checkpoint of {KINETICS_LAYOUT}")
    state = {k.removeprefix("module."): v for k, v in state.items()}
    state = {k: v for k, v in state.items() if not k.startswith("fc.")}
    own = model.state_dict()
    for k in own:  # checkpoints older than torch 0.4.1 have no BN counters; torch itself fills them with 0
        if k.endswith(".num_batches_tracked") and k not in state:
            state[k] = torch.zeros_like(own[k])
    missing = sorted(set(own) - set(state))
    unexpected = sorted(set(state) - set(own))
    shapes = sorted(f"{k}: {tuple(state[k].shape)} vs {tuple(own[k].shape)}"
                    for k in set(own) & set(state) if state[k].shape != own[k].shape)
    if missing or unexpected or shapes:
        raise ValueError(f"{path} does not fit the model: missing {missing[:10]} ({len(missing)}), unexpected "
                         f"{unexpected[:10]} ({len(unexpected)}), shapes {shapes[:10]} ({len(shapes)}). "
                         f"Expected {KINETICS_LAYOUT}")
    model.load_state_dict(state, strict=True)
