"""Training-time augmentation on normalised C×H×W tensors (pure torch, global RNG: mmengine seeds it
per run and per dataloader worker)."""
from __future__ import annotations

from typing import Callable, Sequence

import torch


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
        i = torch.randint(0, h + 2 * p - self.size + 1, (1,)).item()
        j = torch.randint(0, w + 2 * p - self.size + 1, (1,)).item()
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


class Cutout:
    """Zero one ``size``×``size`` square of a normalised C×H×W tensor (DeVries & Taylor 2017,
    arXiv 1708.04552). The centre is uniform over all pixels and the square is clipped at the
    borders, so near an edge less than size² pixels are zeroed.
    # source: AutoAugment official code (tensorflow/models research/autoaugment/augmentation_transforms.py,
    # create_cutout_mask / cutout_numpy(img, size=16)), applied after normalisation to CIFAR-10 and -100 alike.
    """

    def __init__(self, size: int = 16):
        self.size = size

    def __call__(self, x: torch.Tensor) -> torch.Tensor:
        h, w = x.shape[-2:]
        cy, cx = torch.randint(0, h, (1,)).item(), torch.randint(0, w, (1,)).item()
        half = self.size // 2
        out = x.clone()
        out[..., max(0, cy - half):min(h, cy + half), max(0, cx - half):min(w, cx + half)] = 0
        return out


class AutoAugmentCutout:
    """The CIFAR recipe of AutoAugment (Cubuk et al. 2019) that EQL section 6 adds to its CIFAR-100-LT
    runs: on a uint8 C×H×W image, pad 4 + crop 32 + flip, then the AutoAugment CIFAR-10 policy
    (torchvision, needs uint8), then normalise, then Cutout 16×16.
    # source: order as in AutoAugment's official train_cifar.py / data_utils.py (flip + crop, policy,
    # then cutout on the normalised image)."""

    def __init__(self, mean: Sequence[float], std: Sequence[float], cutout: int = 16, pad: int = 4, size: int = 32):
        from torchvision.transforms import AutoAugment, AutoAugmentPolicy

        self.crop = PadCropFlip(pad, size, (0,))  # zero pixels: padding the raw image with black
        self.policy = AutoAugment(AutoAugmentPolicy.CIFAR10)
        self.mean = torch.tensor(list(mean), dtype=torch.float32).view(-1, 1, 1)
        self.std = torch.tensor(list(std), dtype=torch.float32).view(-1, 1, 1)
        self.cutout = Cutout(cutout)

    def __call__(self, x: torch.Tensor) -> torch.Tensor:
        if x.dtype != torch.uint8:
            raise TypeError(f"AutoAugmentCutout expects a uint8 C×H×W image, got {x.dtype}")
        x = self.policy(self.crop(x))
        return self.cutout((x.float().div_(255.0) - self.mean) / self.std)
