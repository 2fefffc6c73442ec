"""Necks between a pooled backbone feature and the classifier. Pure torch.

``PFCNeck``: the DB paper's 'pfc' neck (Wu et al. 2020, configs/{coco,voc}/LT_resnet50_pfc_DB.py
``neck=dict(type='PFC', in_channels=2048, out_channels=256, dropout=0.5)``), as
wutong16/DistributionBalancedLoss@14460d0acda6a3e77a8a6a5999b9746243cb1535:mllt/models/necks/pfc.py
``PFC``: average pool of the last stage (``forward``, lines 34-39), fc -> BatchNorm1d -> dropout
(lines 40-43); ``init_weights`` (lines 27-31, called by ``SimpleClassifier.init_weights``): fc
kaiming-normal (fan_out) with zero bias, BatchNorm weight 1, bias 0. The DB configs keep its defaults
``norm=False, relu=False, layers=1``, so the second fc (``fc_hidden_1``, built but unused with one
layer) and the LeakyReLU are left out. It average-pools a 4-d input itself; our backbones already
return pooled (N, C) features.
"""
from __future__ import annotations

import torch
from torch import nn


class PFCNeck(nn.Module):
    def __init__(self, in_channels: int = 2048, out_channels: int = 256, dropout: float = 0.5):
        super().__init__()
        self.fc = nn.Linear(in_channels, out_channels)
        self.bn = nn.BatchNorm1d(out_channels)
        self.drop = nn.Dropout(dropout) if dropout > 0 else nn.Identity()
        self.out_channels = out_channels
        nn.init.kaiming_normal_(self.fc.weight, mode="fan_out")
        nn.init.zeros_(self.fc.bias)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if x.dim() == 4:
            x = x.mean(dim=(2, 3))
        return self.drop(self.bn(self.fc(x)))
