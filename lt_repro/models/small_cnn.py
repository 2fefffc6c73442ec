"""A LeNet-style CNN for 28×28 digits: the demo's backbone (our choice: it trains on a laptop CPU
in seconds per epoch and still separates the ten MNIST classes well)."""
from __future__ import annotations

import torch
from torch import nn


class SmallCNN(nn.Module):
    """conv5×5(16) → pool → conv5×5(32) → pool → fc(128); returns 128-d features."""

    def __init__(self, in_channels: int = 1, width: int = 16, feat_dim: int = 128):
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(in_channels, width, 5), nn.ReLU(inplace=True), nn.MaxPool2d(2),
            nn.Conv2d(width, 2 * width, 5), nn.ReLU(inplace=True), nn.MaxPool2d(2),
            nn.Flatten(), nn.Linear(2 * width * 4 * 4, feat_dim), nn.ReLU(inplace=True),
        )
        self.out_channels = feat_dim

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.features(x)
