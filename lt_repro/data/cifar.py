"""CIFAR-10 and CIFAR-100 (Krizhevsky 2009) from the official python-pickle archives.

URLs and md5s are those of torchvision 0.29 ``torchvision/datasets/cifar.py`` (``tgz_md5`` of the
archive and the md5 of every pickle inside it). The archive is fetched resumably and atomically by
:func:`lt_repro.data.download.fetch`, extracted, and every pickle is verified before use.

Layout under ``root``: ``cifar-10-batches-py/{data_batch_1..5,test_batch,batches.meta}`` and
``cifar-100-python/{train,test,meta}``, as the archives unpack.
"""
from __future__ import annotations

import pickle
import tarfile
from dataclasses import dataclass
from functools import partial
from pathlib import Path

import numpy as np

from .download import Remote, fetch, verify


@dataclass(frozen=True)
class CifarVersion:
    remote: Remote
    folder: str
    train: tuple[str, ...]
    test: tuple[str, ...]
    label_key: str
    md5: dict  # md5 of each file inside the archive
    num_classes: int


CIFAR10 = CifarVersion(
    Remote("https://www.cs.toronto.edu/~kriz/cifar-10-python.tar.gz", "cifar-10-python.tar.gz",
           md5="c58f30108f718f92721af3b95e74349a"),
    "cifar-10-batches-py", tuple(f"data_batch_{i}" for i in range(1, 6)), ("test_batch",), "labels",
    {"data_batch_1": "c99cafc152244af753f735de768cd75f", "data_batch_2": "d4bba439e000b95fd0a9bffe97cbabec",
     "data_batch_3": "54ebc095f3ab1f0389bbae665268c751", "data_batch_4": "634d18415352ddfa80567beed471001a",
     "data_batch_5": "482c414d41f54cd18b22e5b47cb7c3cb", "test_batch": "40351d587109b95175f43aff81a1287e",
     "batches.meta": "5ff9c542aee3614f3951f8cda6e48888"},
    10,
)
CIFAR100 = CifarVersion(
    Remote("https://www.cs.toronto.edu/~kriz/cifar-100-python.tar.gz", "cifar-100-python.tar.gz",
           md5="eb9058c3a382ffc7106e4002c42a8d85"),
    "cifar-100-python", ("train",), ("test",), "fine_labels",
    {"train": "16019d7e3df5f24257cddd939b257f8d", "test": "f0ef6b0ae62326f3e7ffdfab6717acfc",
     "meta": "7973b15100ade9c7d40fb424638fde48"},
    100,
)
VERSIONS = {"cifar10": CIFAR10, "cifar100": CIFAR100}


def prepare(root: Path, version: CifarVersion = CIFAR10) -> Path:
    """Make ``root/<folder>`` hold the verified pickles (download + extract when missing)."""
    root = Path(root)
    folder = root / version.folder
    if not all((folder / n).exists() for n in version.md5):
        archive = fetch(version.remote, root)
        with tarfile.open(archive, "r:gz") as tar:
            members = [m for m in tar.getmembers() if m.isfile() and m.name.startswith(version.folder + "/")]
            tar.extractall(root, members=members, filter="data")
    for name, md5 in version.md5.items():
        path = folder / name
        if not path.exists():
            raise FileNotFoundError(f"{path} is missing after extracting {version.remote.filename}; "
                                    f"delete {root / version.remote.filename} and run again")
        verify(path, "md5", md5, hint=f" (extracted from {version.remote.filename}; delete both)")
    return root


def read_batch(path: Path, label_key: str) -> tuple[np.ndarray, np.ndarray]:
    """One pickle: ``data`` (N×3072 uint8, channel-major rows) → N×32×32×3, and its labels."""
    with open(path, "rb") as f:
        d = pickle.load(f, encoding="latin1")
    images = np.asarray(d["data"], dtype=np.uint8).reshape(-1, 3, 32, 32).transpose(0, 2, 3, 1)
    return np.ascontiguousarray(images), np.asarray(d[label_key], dtype=np.int64)


def load(root: Path, split: str, version: CifarVersion = CIFAR10) -> tuple[np.ndarray, np.ndarray]:
    """Images (N×32×32×3 uint8) and labels of 'train' or 'test', in the archive's order."""
    names = {"train": version.train, "test": version.test}[split]
    folder = Path(root) / version.folder
    missing = [n for n in names if not (folder / n).exists()]
    if missing:
        key = "cifar10" if version is CIFAR10 else "cifar100"
        raise FileNotFoundError(
            f"{folder}: missing {missing}. Expected the unpacked {version.remote.filename} there "
            f"({version.folder}/{names[0]} …). Fetch it with `python -m lt_repro.data fetch {key} --root {root}`.")
    parts = [read_batch(folder / n, version.label_key) for n in names]
    return np.concatenate([p[0] for p in parts]), np.concatenate([p[1] for p in parts])


load_cifar10 = partial(load, version=CIFAR10)
load_cifar100 = partial(load, version=CIFAR100)
prepare_cifar10 = partial(prepare, version=CIFAR10)
prepare_cifar100 = partial(prepare, version=CIFAR100)
