"""Clips of extracted frames as network input, as hitachi-rd-cv/CDB-loss ``EGTEA/data/EGTEA.py`` and the
transforms of ``EGTEA/EGTEA_train.py`` (its ``utils/vidaug`` copy) build them.

Temporal: a clip of n frames is cut into ``segments`` parts at ``np.linspace(0, n - 1, segments + 1)``.
``sampling='random'`` takes one frame per part, uniform over ``range(int(b_i), int(b_{i+1}))``
(``random.sample``); ``'middle'`` takes ``(b_i + b_{i+1}) // 2``. The official val and test sets are built
without ``is_training`` (default True), so they sample at random too; its middle-frame branch builds the file
name from a float (``'12.0'``) and cannot run. A part with an empty range (a clip of fewer than about
``segments + 1`` frames, where the official code raises) takes its first frame.

Spatial, on BGR uint8 frames (``cv2.imread``), no mean or std:
  train: RandomCrop(crop) -> RandomRotate(±degrees) -> HorizontalFlip with p=0.5 -> cv2.resize(size)
  test:  CenterCrop(crop) -> cv2.resize(size)
One crop offset, angle and flip per clip. The official RandomRotate calls ``scipy.misc.imrotate``, removed
from SciPy (1.2): for uint8 it was PIL ``Image.rotate(angle, resample=BILINEAR)`` without expansion
(scipy/scipy@b7abf2ace0bbafe07c77bea31a42bd3c6effd2ef:scipy/misc/pilutil.py ``imrotate``, ``toimage``,
``bytescale``), which we call directly. ``cv2.resize`` keeps its default bilinear interpolation. Output:
float32 (3, segments, size, size), channels B, G, R in 0-255 (``permute(3, 0, 1, 2)``).
"""
from __future__ import annotations

import os
import random
from pathlib import Path

import numpy as np
import torch

SAMPLING = ("random", "middle")


def segment_frames(num_frames: int, segments: int, sampling: str = "random") -> list[int]:
    """The frame index taken from each of ``segments`` equal parts of a clip."""
    if sampling not in SAMPLING:
        raise ValueError(f"sampling must be one of {SAMPLING}, got {sampling!r}")
    if num_frames < 1:
        raise ValueError("a clip needs at least one frame")
    b = np.linspace(0, num_frames - 1, segments + 1)
    if sampling == "middle":
        return [int((b[i] + b[i + 1]) // 2) for i in range(segments)]
    return [random.randrange(int(b[i]), int(b[i + 1])) if int(b[i + 1]) > int(b[i]) else int(b[i])
            for i in range(segments)]


def rotate(img: np.ndarray, angle: float) -> np.ndarray:
    """``scipy.misc.imrotate(img, angle)`` for uint8 images: PIL bilinear rotation about the centre,
    counter-clockwise, same size, black corners."""
    from PIL import Image

    return np.asarray(Image.fromarray(np.ascontiguousarray(img)).rotate(angle, resample=Image.BILINEAR))


class ClipTransform:
    """The official train or test transform of a list of H×W×3 uint8 frames (module docstring)."""

    def __init__(self, train: bool, crop: int = 480, size: int = 224, degrees: float = 10.0,
                 flip_prob: float = 0.5):
        self.train, self.crop, self.size, self.degrees, self.flip_prob = train, crop, size, degrees, flip_prob

    def __call__(self, frames: list[np.ndarray]) -> list[np.ndarray]:
        import cv2

        h, w = frames[0].shape[:2]
        if self.crop > h or self.crop > w:
            raise ValueError(f"frames of {w}x{h} are smaller than the {self.crop}x{self.crop} crop")
        if self.train:
            x, y = random.randint(0, w - self.crop), random.randint(0, h - self.crop)
        else:
            x, y = int(round((w - self.crop) / 2.0)), int(round((h - self.crop) / 2.0))
        frames = [f[y:y + self.crop, x:x + self.crop] for f in frames]
        if self.train:
            angle = random.uniform(-self.degrees, self.degrees)
            frames = [rotate(f, angle) for f in frames]
            if random.random() < self.flip_prob:
                frames = [np.ascontiguousarray(np.fliplr(f)) for f in frames]
        return [cv2.resize(np.ascontiguousarray(f), (self.size, self.size)) for f in frames]


class SegmentClips:
    """Indexable clips: item i reads ``segments`` frames of folder ``folders[i]`` (``%06d.jpg``), transforms
    them and returns a float32 (3, segments, size, size) tensor."""

    def __init__(self, folders, transform: ClipTransform, segments: int = 10, sampling: str = "random"):
        if sampling not in SAMPLING:
            raise ValueError(f"sampling must be one of {SAMPLING}, got {sampling!r}")
        self.folders, self.transform, self.segments, self.sampling = list(folders), transform, segments, sampling

    def __len__(self) -> int:
        return len(self.folders)

    def __getitem__(self, i: int) -> torch.Tensor:
        import cv2

        folder = Path(self.folders[i])
        if not folder.is_dir():
            raise FileNotFoundError(f"{folder} is missing: extract the frames first "
                                    f"(`python -m lt_repro.data frames egtea --root <root>`)")
        frames = []
        for k in segment_frames(len(os.listdir(folder)), self.segments, self.sampling):
            img = cv2.imread(str(folder / f"{k:06d}.jpg"))
            if img is None:
                raise FileNotFoundError(f"{folder / f'{k:06d}.jpg'} is missing or unreadable; extract the frames again")
            frames.append(img)
        clip = np.stack(self.transform(frames))                     # T, H, W, 3 (BGR)
        return torch.from_numpy(clip).float().permute(3, 0, 1, 2)   # 3, T, H, W
