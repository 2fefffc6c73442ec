"""Lazy JPEG decoding for file-based sources (ImageNet, ImageNet-LT, iNaturalist).

Training: RandomResizedCrop(size) + horizontal flip, then optionally ColorJitter; evaluation: resize
the short side to size/0.875 then a centre crop of size (256 → 224), the standard ImageNet recipe of
torchvision's reference scripts that OLTR / classifier-balancing (``data/dataloader.py``) and Cui et al.
2019 follow. ``color_jitter`` = (brightness, contrast, saturation, hue): classifier-balancing's train
transform for every dataset but iNaturalist, ``ColorJitter(brightness=0.4, contrast=0.4, saturation=0.4,
hue=0)`` after the flip (facebookresearch/classifier-balancing ``data/dataloader.py``
``get_data_transform``; the same in hitachi-rd-cv/CDB-loss ``ImageNet-LT/data/dataloader.py``), so the
ImageNet-LT source sets it (:mod:`lt_repro.data.sources`); CB's ImageNet and iNaturalist do not.
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
                 mean: Sequence[float] = IMAGENET_MEAN, std: Sequence[float] = IMAGENET_STD,
                 color_jitter: Sequence[float] | None = None):
        from torchvision import transforms as T

        self.paths = np.asarray(paths)
        if subset == "train":
            geometry = [T.RandomResizedCrop(size), T.RandomHorizontalFlip()]
            if color_jitter is not None:
                brightness, contrast, saturation, hue = color_jitter
                geometry.append(T.ColorJitter(brightness=brightness, contrast=contrast,
                                              saturation=saturation, hue=hue))
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


def decoder(size: int = 224, color_jitter: Sequence[float] | None = None):
    """A ``Source.decode`` callable: (paths, subset[, size]) → :class:`ImageFiles`, at ``size``
    px unless the call names another (CB's 320 px rows); ``color_jitter`` for training images."""
    def decode(paths, subset, image_size=None):
        return ImageFiles(paths, subset, image_size or size, color_jitter=color_jitter)
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
