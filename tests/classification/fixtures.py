"""Tiny datasets written in the real on-disk formats (python pickles, ImageNet folders + lists, iNat JSON)."""
from __future__ import annotations

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


# --- COCO-MLT / VOC-MLT (DB loss, Wu et al. 2020) ---------------------------------------------

# the 80 category ids of COCO 2017 instances_*.json (1…90 with gaps), in the json's order
COCO_CATEGORY_IDS = [i for i in range(1, 91) if i not in (12, 26, 29, 30, 45, 66, 68, 69, 71, 83)]


def write_coco_instances(path: Path, images: list[dict], annotations: list[dict]) -> Path:
    """A COCO instances json: 'images' (id, file_name, width, height), 'annotations' (id, image_id,
    category_id, bbox [x, y, w, h], area, iscrowd, optional ignore) and the 80 'categories'."""
    path.parent.mkdir(parents=True, exist_ok=True)
    anns = [{"segmentation": [], "iscrowd": 0, **a, "id": a.get("id", k + 1)} for k, a in enumerate(annotations)]
    data = {"info": {"description": "fixture"}, "licenses": [],
            "images": [{"license": 1, "date_captured": "", **im} for im in images], "annotations": anns,
            "categories": [{"supercategory": "thing", "id": c, "name": f"cat{c}"} for c in COCO_CATEGORY_IDS]}
    path.write_text(json.dumps(data))
    return path


def write_db_appendix(folder: Path, ids: list, gt_rows, class_split: dict, ids_name: str) -> Path:
    """The DB loss appendix files as the official code writes them (custom.py ``_save_info``):
    ``ids_name`` = ids one per line (COCO's 'img_id.pkl' is such a text file), ``class_freq.pkl`` =
    pickled dict of 'gt_labels' (list of int64 rows), 'class_freq', 'neg_class_freq',
    'condition_prob', ``class_split.pkl`` = pickled dict {'head','middle','tail'} → sets of numpy int64."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / ids_name).write_text("".join(f"{i}\n" for i in ids))
    rows = np.asarray(gt_rows, dtype=np.int64)
    freq = rows.sum(axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        cond = np.stack([rows[rows[:, c] == 1].sum(axis=0) / (rows[:, c] == 1).sum() for c in range(rows.shape[1])])
    _pickle(folder / "class_freq.pkl", {"gt_labels": list(rows), "class_freq": freq,
                                        "neg_class_freq": len(rows) - freq, "condition_prob": cond})
    _pickle(folder / "class_split.pkl", {k: {np.int64(c) for c in v} for k, v in class_split.items()})
    return folder


def write_voc_xml(path: Path, width: int, height: int, objects: list[tuple[str, int]]) -> Path:
    """A VOC annotation xml with <size> and one <object> (name, difficult flag, bndbox) per entry."""
    path.parent.mkdir(parents=True, exist_ok=True)
    objs = "".join(
        f"<object><name>{name}</name><pose>Unspecified</pose><truncated>0</truncated>"
        f"<difficult>{difficult}</difficult><bndbox><xmin>1</xmin><ymin>1</ymin><xmax>5</xmax>"
        f"<ymax>5</ymax></bndbox></object>" for name, difficult in objects)
    path.write_text(f"<annotation><folder>VOC</folder><filename>{path.stem}.jpg</filename>"
                    f"<size><width>{width}</width><height>{height}</height><depth>3</depth></size>"
                    f"<segmented>0</segmented>{objs}</annotation>")
    return path
