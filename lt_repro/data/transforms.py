"""Training-time augmentation on normalised C×H×W tensors (pure torch, global RNG: mmengine seeds it
per run and per dataloader worker)."""
from __future__ import annotations

from typing import Callable, Sequence

import torch
import torch.nn.functional as F


class PadCropFlip:
    """Pad ``pad`` pixels on each side with ``fill`` (per channel: the normalised value of a black
    pixel, as padding the raw image with zeros does), take a random ``size``×``size`` crop, and flip
    horizontally with probability 1/2: the CIFAR augmentation of He et al. 2016, used by
    Cui et al. 2019 (official ``src/cifar.py``: pad to 40, random crop 32, random flip)."""

    def __init__(self, pad: int = 4, size: int = 32, fill: Sequence[float] = (0.0,)):
        self.pad, self.size = pad, size
        self.fill = torch.tensor(list(fill), dtype=torch.float32).view(-1, 1, 1)

    def __call__(self, x: torch.Tensor) -> torch.Tensor:
        c, h, w = x.shape
        p = self.pad
        out = self.fill.to(x.dtype).expand(c, h + 2 * p, w + 2 * p).clone()
        out[:, p:p + h, p:p + w] = x
        i, j = torch.randint(0, h + 2 * p - self.size + 1, (1,)).item(), torch.randint(0, w + 2 * p - self.size + 1, (1,)).item()
        out = out[:, i:i + self.size, j:j + self.size]
        return out.flip(-1) if torch.rand(()) < 0.5 else out


class Transformed:
    """``images[i]`` passed through ``transform`` on access (the tensor itself is untouched)."""

    def __init__(self, images: torch.Tensor, transform: Callable[[torch.Tensor], torch.Tensor]):
        self.images, self.transform = images, transform

    def __len__(self) -> int:
        return len(self.images)

    def __getitem__(self, i: int) -> torch.Tensor:
        return self.transform(self.images[i])


def black_fill(mean: Sequence[float], std: Sequence[float]) -> tuple[float, ...]:
    """The normalised value of a zero pixel, per channel."""
    return tuple(-m / s for m, s in zip(mean, std))
