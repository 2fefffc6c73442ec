"""iNaturalist 2017 and 2018 (Van Horn et al. 2018), official competition archives + JSON.

Image archives: URLs and md5s from torchvision 0.29 ``torchvision/datasets/inaturalist.py``
(``DATASET_URLS``/``DATASET_MD5``). Annotation JSON archives: the competition's S3 bucket (same
host, URLs in visipedia/inat_comp {2017,2018}/README.md). They carry no checksum here (the 2018
README gives md5s for its two archives, the 2017 one none); the parsed sizes are checked instead
(2018: 437,513 train / 24,426 val, 8,142 classes; 2017: 579,184 train / 95,986 val, 5,089 classes).

Lists follow classifier-balancing ``data/iNaturalist18/gen_lists.py``: the i-th image of
``images`` with the ``category_id`` of the i-th entry of ``annotations`` (ids must agree).
Layout under ``root``: ``train_val2018/<super>/<id>/<hash>.jpg`` + ``train2018.json`` +
``val2018.json`` (2017: ``train_val_images/...`` + ``train2017.json`` + ``val2017.json``).
Both papers (Cui et al. 2019) report on the official validation set: our 'test' subset.
"""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from .download import Remote

_S3 = "https://ml-inat-competition-datasets.s3.amazonaws.com/"
IMAGES = {
    "2017": Remote(_S3 + "2017/train_val_images.tar.gz", "train_val_images.tar.gz",
                   md5="7c784ea5e424efaec655bd392f87301f"),
    "2018": Remote(_S3 + "2018/train_val2018.tar.gz", "train_val2018.tar.gz", md5="b1c6952ce38f31868cc50ea72d066cc3"),
}
# Annotation archives (url, files inside). URLs: visipedia/inat_comp@4ea5638e6f51c0a46c866305d6e0b640d40609d7:
# {2017,2018}/README.md; those READMEs do not name the files inside. No checksum here (2018/README.md gives md5s).
ANNOTATIONS = {
    "2017": (_S3 + "2017/train_val2017.zip", ("train2017.json", "val2017.json")),
    "2018": (_S3 + "2018/train2018.json.tar.gz", ("train2018.json",)),
    "2018-val": (_S3 + "2018/val2018.json.tar.gz", ("val2018.json",)),
}
SIZES = {"2017": {"train": 579_184, "val": 95_986, "classes": 5_089},
         "2018": {"train": 437_513, "val": 24_426, "classes": 8_142}}


def read_json(path: Path, root: Path | None = None) -> tuple[np.ndarray, np.ndarray]:
    """(absolute image paths, category ids) of an official iNat JSON, in file order."""
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"{path} is missing: put the official iNaturalist annotation JSON there "
                                f"(e.g. train2018.json, val2018.json from {_S3})")
    data = json.loads(path.read_text())
    images, anns = data["images"], data["annotations"]
    if len(images) != len(anns):
        raise ValueError(f"{path}: {len(images)} images but {len(anns)} annotations")
    ids = np.asarray([im["id"] for im in images])
    if not np.array_equal(ids, np.asarray([a["image_id"] if "image_id" in a else a["id"] for a in anns])):
        raise ValueError(f"{path}: images and annotations are not in the same order (gen_lists.py assumes it)")
    base = path.parent if root is None else Path(root)
    return (np.asarray([str(base / im["file_name"]) for im in images]),
            np.asarray([a["category_id"] for a in anns], dtype=np.int64))


def load(root: str, split: str, version: str = "2018", check: bool = True) -> tuple[np.ndarray, np.ndarray]:
    """'train' → train{version}.json, 'test' → val{version}.json (the papers' evaluation set)."""
    name = f"{'train' if split == 'train' else 'val'}{version}.json"
    paths, labels = read_json(Path(root) / name)
    if check:
        want = SIZES[version]["train" if split == "train" else "val"]
        if len(labels) != want:
            raise ValueError(f"{Path(root) / name}: {len(labels)} images, the official file has {want}")
    if len(paths) and not Path(paths[0]).exists():
        raise FileNotFoundError(f"{paths[0]} (first image of {name}) is missing: unpack "
                                f"{IMAGES[version].filename} into {root}")
    return paths, labels


def split(root: str, version: str = "2018", check: bool = True) -> dict:
    """The whole training set, no validation split (the papers select nothing on held-out data)."""
    _, labels = load(root, "train", version, check)
    return {"protocol": f"inat{version}", "train": list(range(len(labels))), "val": [],
            "train_counts": np.bincount(labels).tolist()}
