"""Lazy JPEG decoding for file-based sources (ImageNet, ImageNet-LT, iNaturalist).

Training: RandomResizedCrop(size) + horizontal flip; evaluation: resize the short side to
size/0.875 then a centre crop of size (256 → 224), the standard ImageNet recipe of torchvision's
reference scripts that OLTR / classifier-balancing (``data/dataloader.py``) and Cui et al. 2019 follow;
classifier-balancing adds ColorJitter(0.4, 0.4, 0.4) for training, we do not (our choice).
"""
from __future__ import annotations

from typing import Sequence

import numpy as np
import torch

IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)


class ImageFiles:
    """``files[i]`` → normalised 3×size×size float tensor, decoded from ``paths[i]`` on access."""

    def __init__(self, paths: Sequence[str], subset: str, size: int = 224,
                 mean: Sequence[float] = IMAGENET_MEAN, std: Sequence[float] = IMAGENET_STD):
        from torchvision import transforms as T

        self.paths = np.asarray(paths)
        if subset == "train":
            geometry = [T.RandomResizedCrop(size), T.RandomHorizontalFlip()]
        else:
            geometry = [T.Resize(int(round(size / 0.875))), T.CenterCrop(size)]
        self.transform = T.Compose([*geometry, T.ToTensor(), T.Normalize(mean, std)])

    def __len__(self) -> int:
        return len(self.paths)

    def __getitem__(self, i: int) -> torch.Tensor:
        from PIL import Image

        path = str(self.paths[i])
        try:
            with Image.open(path) as img:
                return self.transform(img.convert("RGB"))
        except FileNotFoundError:
            raise FileNotFoundError(f"{path}: image listed in the split is missing; check the dataset root") from None


def decoder(size: int = 224):
    """A ``Source.decode`` callable: (paths, subset[, size]) → :class:`ImageFiles`, at ``size``
    px unless the call names another (CB's 320 px rows)."""
    def decode(paths, subset, image_size=None):
        return ImageFiles(paths, subset, image_size or size)
    return decode


def read_list(path, root) -> tuple[np.ndarray, np.ndarray]:
    """A ``relative/path.jpg label`` list (OLTR / classifier-balancing format) → absolute paths, labels."""
    from pathlib import Path

    rel, labels = [], []
    for n, line in enumerate(Path(path).read_text().splitlines(), start=1):
        if not line.strip():
            continue
        parts = line.split()
        if len(parts) != 2:
            raise ValueError(f"{path}:{n}: expected 'relative/path label', got {line!r}")
        rel.append(parts[0])
        labels.append(int(parts[1]))
    return np.asarray([str(Path(root) / r) for r in rel]), np.asarray(labels, dtype=np.int64)
