"""Necks between a pooled backbone feature and the classifier. Pure torch.

``PFCNeck``: the DB paper's 'pfc' neck (Wu et al. 2020, configs/{coco,voc}/LT_resnet50_pfc_DB.py
``neck=dict(type='PFC', in_channels=2048, out_channels=256, dropout=0.5)``): fc -> BatchNorm1d ->
dropout, the fc initialised kaiming-normal (fan_out) with zero bias, BatchNorm weight 1, bias 0.
The official ``mllt/models/necks/pfc.py`` is not in the stored copy of the repository; this follows
a copy of it in the stored public-code index (file id 7576647214, repository unnamed there), with
its defaults (one layer, no ReLU, no normalisation). It average-pools a 4-d input itself; our
backbones already return pooled (N, C) features.
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
