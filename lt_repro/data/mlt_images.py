"""Image decoding and train-time augmentation of the multi-label long-tailed sources COCO-MLT and
VOC-MLT (Wu et al. 2020, the DB loss), by the official recipe; see the comment below."""
from __future__ import annotations

from typing import Sequence

import numpy as np
import torch

from .images import IMAGENET_MEAN, IMAGENET_STD

# --- multi-label long-tailed sources (COCO-MLT, VOC-MLT; Wu et al. 2020) -------------------------
# The official DB-loss pipeline (wutong16/DistributionBalancedLoss, mmdet v1 style) reads an image
# with mmcv.imread (OpenCV, BGR uint8, EXIF orientation applied), then for training:
#   mllt/datasets/extra_aug.py  ExtraAugmentation: float32, PhotoMetricDistortion, then RandomCrop
#   mllt/datasets/custom.py     prepare_train_img: flip drawn with flip_ratio 0.5, then
#   mllt/datasets/transforms.py ImageTransform: mmcv.imresize to (224, 224) (keep_ratio=False,
#                               cv2 INTER_LINEAR), imnormalize (BGR→RGB, mean/std on the 0–255
#                               scale), flip, pad to a multiple of size_divisor=32, HWC→CHW;
# for testing (prepare_test_img) the same ImageTransform without extra_aug and without flip.
# The classes below do the same on RGB float tensors with PIL + torch (global torch RNG, as
# lt_repro.data.transforms). Channel order does not matter: brightness/contrast act on all
# channels alike, BGR→HSV of a BGR image equals RGB→HSV of the RGB image, and the channel swap is
# a uniform permutation either way. Differences from the official code (documented, not hidden):
#   * JPEG decoding by PIL instead of OpenCV (±1 grey level from the IDCT/upsampling);
#   * bilinear resize by torch (half-pixel centres, no antialias, border clamp, as cv2
#     INTER_LINEAR); at test time the result is rounded and clipped to 0–255 as cv2 does for the
#     uint8 image, cv2's fixed-point weights may still differ by one grey level;
#   * no padding to a multiple of 32 (a no-op at 224 px; with another ``size`` the tensor stays
#     size×size, the official code would zero-pad it to the next multiple of 32).

_FLT_EPSILON = 1.1920928955078125e-07  # C float epsilon, used by OpenCV's float RGB→HSV
# OpenCV HSV→RGB sector table, (b, g, r) entries index [v, v(1-s), v(1-s f), v(1-s(1-f))]
_HSV_SECTORS = ((1, 3, 0), (1, 0, 2), (3, 0, 1), (0, 2, 1), (0, 1, 3), (2, 1, 0))


def _coin() -> bool:
    return bool(torch.randint(0, 2, ()).item())


def _uniform(low: float, high: float) -> float:
    """numpy's ``uniform(low, high)`` formula, low + (high − low)·u, also when high < low."""
    return low + (high - low) * torch.rand((), dtype=torch.float64).item()


def rgb_to_hsv_float(img: torch.Tensor) -> torch.Tensor:
    """3×H×W RGB float → H (degrees, 0–360), S, V as OpenCV's float ``COLOR_BGR2HSV`` computes them
    (V = max, S = (V − min)/(|V| + ε), no clipping: values outside 0–255 pass through)."""
    r, g, b = img[0], img[1], img[2]
    v = torch.maximum(torch.maximum(r, g), b)
    vmin = torch.minimum(torch.minimum(r, g), b)
    diff = v - vmin
    s = diff / (v.abs() + _FLT_EPSILON)
    k = 60.0 / (diff + _FLT_EPSILON)
    h = torch.where(v == r, (g - b) * k, torch.where(v == g, (b - r) * k + 120.0, (r - g) * k + 240.0))
    h = torch.where(h < 0, h + 360.0, h)
    return torch.stack([h, s, v])


def hsv_to_rgb_float(hsv: torch.Tensor) -> torch.Tensor:
    """Inverse of :func:`rgb_to_hsv_float` as OpenCV's float ``COLOR_HSV2BGR`` (H taken modulo 360,
    S and V not clipped), returned in RGB order."""
    h, s, v = hsv[0], hsv[1], hsv[2]
    h6 = torch.remainder(h * (6.0 / 360.0), 6.0)
    sector = torch.floor(h6)
    f = h6 - sector
    sector = sector.long()
    bad = (sector < 0) | (sector > 5)
    sector = torch.where(bad, torch.zeros_like(sector), sector)
    f = torch.where(bad, torch.zeros_like(f), f)
    tab = torch.stack([v, v * (1 - s), v * (1 - s * f), v * (1 - s * (1 - f))])
    table = torch.tensor(_HSV_SECTORS, dtype=torch.long)[sector]  # H×W×3 (b, g, r)
    bgr = torch.gather(tab, 0, table.permute(2, 0, 1))
    return bgr.flip(0)


class PhotoMetricDistortion:
    """mmdet v1 ``PhotoMetricDistortion`` (DB loss ``mllt/datasets/extra_aug.py``) on a 3×H×W float
    image in the 0–255 range, nothing clipped: each step with probability 1/2 — brightness
    + U(−δ, δ); contrast × U(lo, hi) either first (mode 1) or last (mode 0, mode a fair coin);
    in HSV, saturation × U(lo, hi) and hue + U(−18°, 18°) wrapped into 0–360; finally a random
    permutation of the channels."""

    def __init__(self, brightness_delta: float = 32, contrast_range=(0.5, 1.5),
                 saturation_range=(0.5, 1.5), hue_delta: float = 18):
        self.brightness_delta = brightness_delta
        self.contrast_lower, self.contrast_upper = contrast_range
        self.saturation_lower, self.saturation_upper = saturation_range
        self.hue_delta = hue_delta

    def __call__(self, img: torch.Tensor) -> torch.Tensor:
        img = img.clone()
        if _coin():
            img += _uniform(-self.brightness_delta, self.brightness_delta)
        mode = _coin()
        if mode and _coin():
            img *= _uniform(self.contrast_lower, self.contrast_upper)
        hsv = rgb_to_hsv_float(img)
        if _coin():
            hsv[1] *= _uniform(self.saturation_lower, self.saturation_upper)
        if _coin():
            hue = hsv[0] + _uniform(-self.hue_delta, self.hue_delta)
            hue = torch.where(hue > 360, hue - 360, hue)
            hsv[0] = torch.where(hue < 0, hue + 360, hue)
        img = hsv_to_rgb_float(hsv)
        if not mode and _coin():
            img *= _uniform(self.contrast_lower, self.contrast_upper)
        if _coin():
            img = img[torch.randperm(3)]
        return img


class MinSizeRandomCrop:
    """mmdet v1 ``RandomCrop(min_crop_size)`` (DB loss ``mllt/datasets/extra_aug.py``): up to 50
    tries of a crop of U(m·w, w) × U(m·h, h) whose h/w lies in [0.5, 2]; the offsets are drawn with
    numpy's ``uniform(w − new_w)``, i.e. with the default high=1.0, so uniformly between 1 and the
    slack (never at 0 unless the slack is below one pixel): reproduced as is. The box is truncated
    to ints; if all tries fail the image is returned uncropped."""

    def __init__(self, min_crop_size: float = 0.3):
        self.min_crop_size = min_crop_size

    def __call__(self, img: torch.Tensor) -> torch.Tensor:
        h, w = img.shape[-2:]
        for _ in range(50):
            new_w = _uniform(self.min_crop_size * w, w)
            new_h = _uniform(self.min_crop_size * h, h)
            if new_h / new_w < 0.5 or new_h / new_w > 2:
                continue
            left = _uniform(w - new_w, 1.0)
            top = _uniform(h - new_h, 1.0)
            x1, y1, x2, y2 = int(left), int(top), int(left + new_w), int(top + new_h)
            return img[..., y1:y2, x1:x2]
        return img


def resize_bilinear(img: torch.Tensor, size: int) -> torch.Tensor:
    """3×H×W float → 3×size×size, bilinear without antialias and without keeping the aspect
    ratio (cv2.resize INTER_LINEAR, what mmcv.imresize does)."""
    import torch.nn.functional as F

    return F.interpolate(img[None], size=(size, size), mode="bilinear", align_corners=False,
                         antialias=False)[0]


class MultiLabelImageFiles:
    """``files[i]`` → normalised 3×size×size float tensor of ``paths[i]``, by the DB-loss recipe
    (see the comment above): 'train' = photometric distortion, random crop (min 0.8), resize to
    size×size, normalise, horizontal flip with probability ``flip_ratio``; other subsets = resize
    to size×size, normalise. ``mean``/``std`` on the 0–1 scale (×255 is the config's img_norm_cfg)."""

    def __init__(self, paths: Sequence[str], subset: str, size: int = 224,
                 mean: Sequence[float] = IMAGENET_MEAN, std: Sequence[float] = IMAGENET_STD,
                 photo_metric_distortion: dict | None = None, min_crop_size: float | None = 0.8,
                 flip_ratio: float = 0.5):
        self.paths = np.asarray(paths)
        self.subset, self.size, self.flip_ratio = subset, size, flip_ratio
        self.mean = torch.tensor([255.0 * m for m in mean], dtype=torch.float32).view(3, 1, 1)
        self.std = torch.tensor([255.0 * s for s in std], dtype=torch.float32).view(3, 1, 1)
        self.distort = PhotoMetricDistortion(**(photo_metric_distortion or {}))
        self.crop = MinSizeRandomCrop(min_crop_size) if min_crop_size is not None else None

    def __len__(self) -> int:
        return len(self.paths)

    def read(self, i: int) -> torch.Tensor:
        """The decoded image as a 3×H×W float tensor, 0–255, EXIF orientation applied (cv2.imread)."""
        from PIL import Image, ImageOps

        path = str(self.paths[i])
        try:
            with Image.open(path) as img:
                rgb = np.asarray(ImageOps.exif_transpose(img).convert("RGB"))
        except FileNotFoundError:
            raise FileNotFoundError(f"{path}: image listed in the split is missing; check the dataset root") from None
        return torch.from_numpy(rgb.copy()).permute(2, 0, 1).float()

    def __getitem__(self, i: int) -> torch.Tensor:
        img = self.read(i)
        if self.subset == "train":
            img = self.distort(img)
            if self.crop is not None:
                img = self.crop(img)
            img = resize_bilinear(img, self.size)
            flip = torch.rand(()).item() < self.flip_ratio
            img = (img - self.mean) / self.std
            return img.flip(-1) if flip else img
        img = resize_bilinear(img, self.size).round_().clamp_(0, 255)  # cv2 on the uint8 image
        return (img - self.mean) / self.std
