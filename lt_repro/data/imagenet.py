"""ILSVRC-2012 (user-provided) and ImageNet-LT (Liu et al. 2019, OLTR) split lists.

ImageNet cannot be downloaded without an account: place it under ``root`` as

    root/train/<wnid>/<wnid>_<n>.JPEG          (1,281,167 images, 1000 folders)
    root/val/<wnid>/ILSVRC2012_val_<n>.JPEG    (50,000 images, sorted into the 1000 wnid folders)

ImageNet-LT lists (``relative/path label`` per line) go next to them, ``root/ImageNet_LT_{train,val,test}.txt``.
val and test lists are in facebookresearch/classifier-balancing ``data/ImageNet_LT/`` (commit 22370c6,
URLs below, sha256 of those files recorded here); the train list (115,846 images, 1000 classes,
1280 … 5 per class) is only in OLTR's Google Drive folder (README of zhmiao/OpenLongTailRecognition-OLTR),
so it is checked by its line count and class count, not by a digest we could read.
The ImageNet-LT 'val' list (20 per class) is drawn from ILSVRC train, 'test' (50 per class) is ILSVRC val.
"""
from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np

from .download import ChecksumError, Remote, fetch
from .images import read_list

_CB = "https://raw.githubusercontent.com/facebookresearch/classifier-balancing/22370c64141cc662f62ead89447c838c4a7977b5/data/ImageNet_LT/"
LISTS = {
    "val": Remote(_CB + "ImageNet_LT_val.txt", "ImageNet_LT_val.txt",
                  sha256="9af7ba688acf9532ff5845a8fb14a1e97fdc4c51ac48bc72c08ea9c3f7ff142e"),
    "test": Remote(_CB + "ImageNet_LT_test.txt", "ImageNet_LT_test.txt",
                   sha256="d1590191cf8a71fada7b1aaedaa2d139a2aea93ff2f1b755319d0bd8dbaa55d5"),
}
SIZES = {"train": 115_846, "val": 20_000, "test": 50_000}
NUM_CLASSES = 1000
LAYOUT = ("root/train/<wnid>/*.JPEG and root/val/<wnid>/*.JPEG (ILSVRC-2012, val sorted into wnid folders), "
          "plus root/ImageNet_LT_{train,val,test}.txt")


def fetch_lists(root: Path) -> Path:
    """Download and verify the val/test lists; the train list must be placed by hand (see module doc)."""
    for remote in LISTS.values():
        fetch(remote, Path(root))
    return Path(root)


def read_lt_list(root: Path, subset: str, check: bool = True) -> tuple[np.ndarray, np.ndarray]:
    path = Path(root) / f"ImageNet_LT_{subset}.txt"
    paths, labels = parse_lt_list(path, subset, check, root)
    _check_images(root, paths[:1], path)
    return paths, labels


def parse_lt_list(path: Path, subset: str, check: bool = True, root: Path | None = None):
    """Read ``ImageNet_LT_<subset>.txt``; with ``check``, verify its sha256 (val/test) and its size."""
    path = Path(path)
    root = path.parent if root is None else root
    if not path.exists():
        raise FileNotFoundError(f"{path} is missing. Expected layout: {LAYOUT}. val/test: "
                                f"`python -m lt_repro.data fetch imagenet-lt --root {root}`; train: OLTR's release.")
    if check and subset in LISTS:
        got = hashlib.sha256(path.read_bytes()).hexdigest()
        if got != LISTS[subset].sha256:
            raise ChecksumError(f"{path}: sha256 is {got}, expected {LISTS[subset].sha256} "
                                f"({LISTS[subset].url}); delete it and fetch again")
    paths, labels = read_list(path, root)
    if check and (len(labels) != SIZES[subset] or len(np.unique(labels)) != NUM_CLASSES):
        raise ValueError(f"{path}: {len(labels)} images of {len(np.unique(labels))} classes, expected "
                         f"{SIZES[subset]} of {NUM_CLASSES}; this is not the official ImageNet-LT list")
    return paths, labels


def _check_images(root: Path, paths, listed_in) -> None:
    for p in paths:
        if not Path(p).exists():
            raise FileNotFoundError(f"{p} (listed in {listed_in}) is missing under the ImageNet root {root}. "
                                    f"Expected layout: {LAYOUT}")


def load_lt(root: str, split: str, check: bool = True) -> tuple[np.ndarray, np.ndarray]:
    """'train' → the ImageNet-LT train list followed by the val list (the split file indexes both);
    'test' → the test list."""
    if split == "test":
        return read_lt_list(Path(root), "test", check)
    tp, tl = read_lt_list(Path(root), "train", check)
    vp, vl = read_lt_list(Path(root), "val", check)
    return np.concatenate([tp, vp]), np.concatenate([tl, vl])


def lt_split(root: str, check: bool = True) -> dict:
    """The fixed ImageNet-LT split: train = the train list, val = the val list (indices into load_lt 'train')."""
    _, tl = read_lt_list(Path(root), "train", check)
    _, vl = read_lt_list(Path(root), "val", check)
    n = len(tl)
    return {"protocol": "liu2019", "train": list(range(n)), "val": list(range(n, n + len(vl))),
            "train_counts": np.bincount(tl, minlength=int(tl.max()) + 1).tolist()}


def load_full(root: str, split: str) -> tuple[np.ndarray, np.ndarray]:
    """The whole ILSVRC-2012 'train' or 'val' ('test' reads val, the papers' evaluation set);
    label = index of the wnid folder in sorted order."""
    folder = Path(root) / ("train" if split == "train" else "val")
    if not folder.is_dir():
        raise FileNotFoundError(f"{folder} is missing. Expected layout: {LAYOUT}")
    wnids = sorted(d.name for d in folder.iterdir() if d.is_dir())
    if not wnids:
        raise FileNotFoundError(f"{folder} has no class folders. Expected layout: {LAYOUT}")
    paths, labels = [], []
    for k, w in enumerate(wnids):
        files = sorted(f.name for f in (folder / w).iterdir())
        paths += [str(folder / w / f) for f in files]
        labels += [k] * len(files)
    return np.asarray(paths), np.asarray(labels, dtype=np.int64)
