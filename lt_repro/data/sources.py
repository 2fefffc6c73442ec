"""Image sources by name: how to load a split's arrays and turn them into normalised tensors."""
from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Callable, Sequence

import numpy as np
import torch

from functools import partial

from . import cifar, fashion_mnist, imagenet, inat, mlt, mnist
from .batch_transforms import BatchAutoAugmentCutout, BatchNormalise, batched
from .images import IMAGENET_MEAN, IMAGENET_STD, INAT_MEAN, INAT_STD, decoder
from .transforms import AutoAugmentCutout, PadCropFlip, Transformed, black_fill

# train-time augmentation names (LTSplitDataset ``augment``): the source's own (``train_transform`` /
# the decoder's), none, or AutoAugment + Cutout (array sources only; EQL's CIFAR recipe)
AUGMENTS = ("default", None, "autoaugment_cutout")


@dataclass(frozen=True)
class Source:
    load: Callable[[str, str], tuple[np.ndarray, np.ndarray]]
    mean: tuple[float, ...]
    std: tuple[float, ...]
    num_classes: int
    # optional: augmentation applied on access to each training image (C×H×W normalised tensor)
    train_transform: Callable[[torch.Tensor], torch.Tensor] | None = None
    # optional: lazy decoding for file-based sources, (paths, subset) → indexable of tensors
    decode: Callable[[np.ndarray, str], Sequence[torch.Tensor]] | None = None

    def images_for(self, images: np.ndarray, subset: str, augment: str | None = "default",
                   image_size: int | None = None, mean: Sequence[float] | None = None,
                   std: Sequence[float] | None = None):
        """What LTSplitDataset indexes: tensors, augmented on access for 'train' only (``augment``,
        one of :data:`AUGMENTS`); 'val' and 'test' are never augmented. ``image_size``: the crop
        size of file-based sources (default: the source's, 224 px). ``mean``/``std``: normalise an
        array source with these per-channel statistics instead of its own (:meth:`normalised`)."""
        if augment not in AUGMENTS:
            raise ValueError(f"augment must be one of {AUGMENTS}, got {augment!r}; set it in the dataset config")
        if (mean is None) != (std is None):
            raise ValueError("give mean and std together (per-channel statistics of the normalisation)")
        if self.decode is not None:
            if augment != "default":
                raise ValueError(f"augment={augment!r} is not available for file-based sources; use 'default'")
            if mean is not None:
                raise ValueError("mean/std apply to array sources (MNIST, CIFAR) only; "
                                 "remove them from the dataset config")
            return self.decode(images, subset, image_size)
        if image_size is not None:
            raise ValueError("image_size applies to file-based sources (ImageNet, iNaturalist) only; "
                             "remove it from the dataset config")
        if mean is not None:
            return self.normalised(mean, std).images_for(images, subset, augment)
        if subset == "train" and augment == "autoaugment_cutout":
            return Transformed(self.to_uint8(images), AutoAugmentCutout(self.mean, self.std))
        x = self.to_tensor(images)
        return Transformed(x, self.train_transform) if subset == "train" and augment and self.train_transform else x

    def batch_transform(self, subset: str, augment: str | None = "default", mean: Sequence[float] | None = None,
                        std: Sequence[float] | None = None) -> BatchNormalise:
        """The batched form of what :meth:`images_for` applies, for whole uint8 batches on the training
        device (:mod:`lt_repro.data.batch_transforms`; LTDeviceSplitDataset): same arguments, same pixels for
        the same draws. Array sources only."""
        if augment not in AUGMENTS:
            raise ValueError(f"augment must be one of {AUGMENTS}, got {augment!r}; set it in the dataset config")
        if self.decode is not None:
            raise ValueError("the device-resident data path holds array sources (MNIST, CIFAR) only; this source "
                             "is file-based: use LTSplitDataset")
        if (mean is None) != (std is None):
            raise ValueError("give mean and std together (per-channel statistics of the normalisation)")
        if mean is not None:
            return self.normalised(mean, std).batch_transform(subset, augment)
        if subset == "train" and augment == "autoaugment_cutout":
            return BatchAutoAugmentCutout(AutoAugmentCutout(self.mean, self.std))
        return batched(self.train_transform if subset == "train" and augment else None, self.mean, self.std)

    def normalised(self, mean: Sequence[float], std: Sequence[float]) -> "Source":
        """This source with other normalisation statistics; the crop padding stays black (the
        normalised value of a zero pixel), as when the raw image is padded before normalising."""
        if len(mean) != len(self.mean) or len(std) != len(self.std):
            raise ValueError(f"mean/std need {len(self.mean)} values (one per channel), got {list(mean)}, {list(std)}")
        mean, std = tuple(map(float, mean)), tuple(map(float, std))
        transform = self.train_transform
        if isinstance(transform, PadCropFlip):
            transform = PadCropFlip(transform.pad, transform.size, black_fill(mean, std))
        elif transform is not None:
            raise ValueError(f"cannot re-normalise the train transform {type(transform).__name__}")
        return replace(self, mean=mean, std=std, train_transform=transform)

    @staticmethod
    def to_uint8(images: np.ndarray) -> torch.Tensor:
        """N×H×W(×C) uint8 array → N×C×H×W uint8 tensor."""
        x = torch.as_tensor(np.require(images, dtype=np.uint8, requirements=["C", "W"]))
        if x.dim() == 3:  # N×H×W grey → N×1×H×W
            return x.unsqueeze(1)
        return x.permute(0, 3, 1, 2).contiguous() if x.shape[-1] in (1, 3) else x

    def to_tensor(self, images: np.ndarray) -> torch.Tensor:
        x = self.to_uint8(images).float().div_(255.0)
        mean = torch.tensor(self.mean).view(1, -1, 1, 1)
        std = torch.tensor(self.std).view(1, -1, 1, 1)
        return (x - mean) / std


_CB_MEAN = _CB_STD = (128 / 255,) * 3
# (brightness, contrast, saturation, hue): facebookresearch/classifier-balancing data/dataloader.py
IMAGENET_LT_COLOR_JITTER = (0.4, 0.4, 0.4, 0.0)
_SOURCES: dict[str, Source] = {
    # mean/std of the MNIST training set, as in PyTorch's examples/mnist
    "mnist": Source(mnist.load, (0.1307,), (0.3081,), 10),
    # mean/std of the Fashion-MNIST training set (0.2860, 0.3530: computed from the verified IDX file)
    "fashion-mnist": Source(fashion_mnist.load, (0.2860,), (0.3530,), 10),
    # x/128 − 1, the standardisation of Cui et al. 2019 (official src/cifar_model.py); pad 4 + crop 32 + flip
    "cifar10": Source(cifar.load_cifar10, _CB_MEAN, _CB_STD, 10, PadCropFlip(4, 32, black_fill(_CB_MEAN, _CB_STD))),
    "cifar100": Source(cifar.load_cifar100, _CB_MEAN, _CB_STD, 100, PadCropFlip(4, 32, black_fill(_CB_MEAN, _CB_STD))),
    # file-based, decoded lazily at 224 px (torchvision ImageNet recipe, see lt_repro/data/images.py);
    # ImageNet-LT adds classifier-balancing's ColorJitter(0.4, 0.4, 0.4, hue 0) to training images
    "imagenet-lt": Source(imagenet.load_lt, IMAGENET_MEAN, IMAGENET_STD, 1000,
                          decode=decoder(224, color_jitter=IMAGENET_LT_COLOR_JITTER)),
    # CB's ILSVRC-2012 and iNaturalist: the TPU ResNet preprocessing, iNat with its own mean/std (images.py)
    "imagenet": Source(imagenet.load_full, IMAGENET_MEAN, IMAGENET_STD, 1000, decode=decoder(224, recipe="tpu")),
    "inat2017": Source(partial(inat.load, version="2017"), INAT_MEAN, INAT_STD, 5089,
                       decode=decoder(224, recipe="tpu", mean=INAT_MEAN, std=INAT_STD)),
    "inat2018": Source(partial(inat.load, version="2018"), INAT_MEAN, INAT_STD, 8142,
                       decode=decoder(224, recipe="tpu", mean=INAT_MEAN, std=INAT_STD)),
    # multi-label long-tailed (Wu et al. 2020): labels are (N, C) uint8 multi-hot; the DB config's
    # img_norm_cfg is ImageNet's; train/test pipelines of lt_repro/data/mlt.py (224×224, no ratio kept)
    "coco-mlt": Source(mlt.load_coco_mlt, IMAGENET_MEAN, IMAGENET_STD, mlt.NUM_CLASSES["coco-mlt"],
                       decode=mlt.decoder(224)),
    "voc-mlt": Source(mlt.load_voc_mlt, IMAGENET_MEAN, IMAGENET_STD, mlt.NUM_CLASSES["voc-mlt"],
                      decode=mlt.decoder(224)),
}


def register(name: str, source: Source) -> None:
    _SOURCES[name] = source


def get(name: str) -> Source:
    try:
        return _SOURCES[name]
    except KeyError:
        raise KeyError(f"unknown image source {name!r}; known: {sorted(_SOURCES)}") from None
