"""Lazy JPEG decoding for file-based sources (ImageNet, ImageNet-LT, iNaturalist).

Training: RandomResizedCrop(size) + horizontal flip, then optionally ColorJitter; evaluation: resize
the short side to size/0.875 then a centre crop of size (256 → 224), the standard ImageNet recipe of
torchvision's reference scripts that OLTR / classifier-balancing (``data/dataloader.py``) and Cui et al.
2019 follow. ``color_jitter`` = (brightness, contrast, saturation, hue): classifier-balancing's train
transform for every dataset but iNaturalist, ``ColorJitter(brightness=0.4, contrast=0.4, saturation=0.4,
hue=0)`` after the flip (facebookresearch/classifier-balancing ``data/dataloader.py``
``get_data_transform``; the same in hitachi-rd-cv/CDB-loss ``ImageNet-LT/data/dataloader.py``), so the
ImageNet-LT source sets it (:mod:`lt_repro.data.sources`); CB's ImageNet and iNaturalist do not.

``recipe='tpu'``: the TPU ResNet preprocessing that Cui et al. 2019 train with (richardaecn/class-balanced-loss
``tpu/models/official/resnet/resnet_preprocessing.py``). Training: a random crop covering at least 10% of
the image (``min_object_covered=0.1``; area 8–100%, aspect 3/4–4/3, 10 attempts), bicubic resize to size,
flip; torchvision's RandomResizedCrop samples it (area and log-aspect uniform; TF samples the crop height
uniformly, and falls back to the evaluation crop where torchvision takes the whole image). Evaluation:
:class:`PaddedCenterCrop`. CB's ImageNet and iNaturalist sources use it, iNaturalist with the mean/std of
``resnet_main.py`` (:data:`INAT_MEAN`, :data:`INAT_STD`).
"""
from __future__ import annotations

from typing import Sequence

import numpy as np
import torch

IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)
# iNaturalist: richardaecn/class-balanced-loss tpu/models/official/resnet/resnet_main.py MEAN_RGB, STDDEV_RGB (/255)
INAT_MEAN = (0.466, 0.471, 0.380)
INAT_STD = (0.195, 0.194, 0.192)
RECIPES = ("torchvision", "tpu")


class PaddedCenterCrop:
    """The TPU ResNet's evaluation crop (``resnet_preprocessing.py`` ``_decode_and_center_crop``): the
    central square of side int(size / (size + pad) · min(h, w)), offsets ((h − side + 1) // 2, ...),
    resized to size × size with bicubic interpolation. pad = round(size / 7) is the file's CROP_PADDING
    (224 → 32, 320 → 46, 448 → 64)."""

    def __init__(self, size: int):
        self.size, self.pad = size, round(size / 7)

    def __call__(self, img):
        from PIL import Image

        w, h = img.size
        side = int(self.size / (self.size + self.pad) * min(h, w))
        top, left = (h - side + 1) // 2, (w - side + 1) // 2
        return img.resize((self.size, self.size), Image.BICUBIC, box=(left, top, left + side, top + side))


class ImageFiles:
    """``files[i]`` → normalised 3×size×size float tensor, decoded from ``paths[i]`` on access."""

    def __init__(self, paths: Sequence[str], subset: str, size: int = 224,
                 mean: Sequence[float] = IMAGENET_MEAN, std: Sequence[float] = IMAGENET_STD,
                 color_jitter: Sequence[float] | None = None, recipe: str = "torchvision"):
        from torchvision import transforms as T

        if recipe not in RECIPES:
            raise ValueError(f"ImageFiles: recipe must be one of {RECIPES}, got {recipe!r}")
        self.paths = np.asarray(paths)
        if subset == "train" and recipe == "tpu":
            geometry = [T.RandomResizedCrop(size, scale=(0.1, 1.0), ratio=(3 / 4, 4 / 3),
                                            interpolation=T.InterpolationMode.BICUBIC), T.RandomHorizontalFlip()]
        elif subset == "train":
            geometry = [T.RandomResizedCrop(size), T.RandomHorizontalFlip()]
        elif recipe == "tpu":
            geometry = [PaddedCenterCrop(size)]
        else:
            geometry = [T.Resize(int(round(size / 0.875))), T.CenterCrop(size)]
        if subset == "train" and color_jitter is not None:
            brightness, contrast, saturation, hue = color_jitter
            geometry.append(T.ColorJitter(brightness=brightness, contrast=contrast,
                                          saturation=saturation, hue=hue))
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


def decoder(size: int = 224, color_jitter: Sequence[float] | None = None, recipe: str = "torchvision",
            mean: Sequence[float] = IMAGENET_MEAN, std: Sequence[float] = IMAGENET_STD):
    """A ``Source.decode`` callable: (paths, subset[, size]) → :class:`ImageFiles`, at ``size``
    px unless the call names another (CB's 320 px rows); ``color_jitter`` for training images."""
    def decode(paths, subset, image_size=None):
        return ImageFiles(paths, subset, image_size or size, mean, std, color_jitter=color_jitter, recipe=recipe)
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
