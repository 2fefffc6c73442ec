"""Tiny datasets written in the real on-disk formats (python pickles, ImageNet folders + lists, iNat JSON)."""
from __future__ import annotations

import io
import json
import pickle
import tarfile
from pathlib import Path

import numpy as np


def _pickle(path: Path, obj: dict) -> None:
    path.write_bytes(pickle.dumps(obj, protocol=2))


def write_cifar10(root: Path, per_class_train: int = 12, per_class_test: int = 3, seed: int = 0) -> Path:
    """``root/cifar-10-batches-py`` with 5 data batches + test_batch + batches.meta, pickled dicts of
    'batch_label', 'labels' (list), 'data' (N×3072 uint8), 'filenames', as in the real archive."""
    rng = np.random.default_rng(seed)
    folder = root / "cifar-10-batches-py"
    folder.mkdir(parents=True, exist_ok=True)
    labels = rng.permutation(np.repeat(np.arange(10), per_class_train))
    for b, chunk in enumerate(np.array_split(labels, 5), start=1):
        _pickle(folder / f"data_batch_{b}", {
            "batch_label": f"training batch {b} of 5", "labels": chunk.tolist(),
            "data": rng.integers(0, 256, (len(chunk), 3072), dtype=np.uint8),
            "filenames": [f"img_{b}_{i}.png" for i in range(len(chunk))]})
    test = np.repeat(np.arange(10), per_class_test)
    _pickle(folder / "test_batch", {"batch_label": "testing batch 1 of 1", "labels": test.tolist(),
                                    "data": rng.integers(0, 256, (len(test), 3072), dtype=np.uint8),
                                    "filenames": [f"t_{i}.png" for i in range(len(test))]})
    _pickle(folder / "batches.meta", {"label_names": [f"c{i}" for i in range(10)], "num_cases_per_batch": 10000,
                                      "num_vis": 3072})
    return root


def write_cifar100(root: Path, per_class_train: int = 3, per_class_test: int = 1, seed: int = 0) -> Path:
    """``root/cifar-100-python/{train,test,meta}``: 'fine_labels', 'coarse_labels', 'data', 'filenames'."""
    rng = np.random.default_rng(seed)
    folder = root / "cifar-100-python"
    folder.mkdir(parents=True, exist_ok=True)
    for name, per in (("train", per_class_train), ("test", per_class_test)):
        fine = rng.permutation(np.repeat(np.arange(100), per))
        _pickle(folder / name, {"filenames": [f"{name}_{i}.png" for i in range(len(fine))], "batch_label": name,
                                "fine_labels": fine.tolist(), "coarse_labels": (fine // 5).tolist(),
                                "data": rng.integers(0, 256, (len(fine), 3072), dtype=np.uint8)})
    _pickle(folder / "meta", {"fine_label_names": [f"f{i}" for i in range(100)],
                              "coarse_label_names": [f"g{i}" for i in range(20)]})
    return root


def tar_folder(root: Path, folder: str, archive: Path) -> Path:
    with tarfile.open(archive, "w:gz") as tar:
        tar.add(root / folder, arcname=folder)
    return archive


def write_jpeg(path: Path, size=(40, 30), value: int = 128) -> None:
    from PIL import Image

    path.parent.mkdir(parents=True, exist_ok=True)
    Image.new("RGB", size, (value, 255 - value, 7)).save(path, format="JPEG")
