"""Image sources by name: how to load a split's arrays and turn them into normalised tensors."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np
import torch

from . import mnist


@dataclass(frozen=True)
class Source:
    load: Callable[[str, str], tuple[np.ndarray, np.ndarray]]
    mean: tuple[float, ...]
    std: tuple[float, ...]
    num_classes: int

    def to_tensor(self, images: np.ndarray) -> torch.Tensor:
        x = torch.as_tensor(np.ascontiguousarray(images), dtype=torch.float32).div_(255.0)
        if x.dim() == 3:  # N×H×W grey → N×1×H×W
            x = x.unsqueeze(1)
        elif x.shape[-1] in (1, 3):  # N×H×W×C → N×C×H×W
            x = x.permute(0, 3, 1, 2).contiguous()
        mean = torch.tensor(self.mean).view(1, -1, 1, 1)
        std = torch.tensor(self.std).view(1, -1, 1, 1)
        return (x - mean) / std


_SOURCES: dict[str, Source] = {
    # mean/std of the MNIST training set, as in PyTorch's examples/mnist
    "mnist": Source(mnist.load, (0.1307,), (0.3081,), 10),
}


def register(name: str, source: Source) -> None:
    _SOURCES[name] = source


def get(name: str) -> Source:
    try:
        return _SOURCES[name]
    except KeyError:
        raise KeyError(f"unknown image source {name!r}; known: {sorted(_SOURCES)}") from None
