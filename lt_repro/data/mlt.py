"""COCO-MLT and VOC-MLT, the multi-label long-tailed benchmarks of the Distribution-Balanced loss
(Wu et al., ECCV 2020), built as the official code builds them (github.com/wutong16/DistributionBalancedLoss).
Read at wutong16/DistributionBalancedLoss@14460d0acda6a3e77a8a6a5999b9746243cb1535:
``configs/{coco,voc}/LT_resnet50_pfc_DB.py`` and ``mllt/datasets/custom.py``, ``coco.py``, ``voc.py``,
``xml_style.py``, ``extra_aug.py``, ``transforms.py``. Rules are cited below by file, function and the
code fragment; the value-by-value table with line numbers is ``configs/fidelity/db.yaml``.

Layouts (what ``fetch_coco_mlt`` / ``fetch_voc_mlt`` write, what the loaders read)::

    coco-mlt root/
        train2017/*.jpg  val2017/*.jpg                      COCO 2017 images
        annotations/instances_train2017.json                COCO 2017 instances annotations
        annotations/instances_val2017.json
        longtail2017/img_id.pkl                             official appendix (img_id.pkl is a text
        longtail2017/class_freq.pkl                         file of image ids despite its name; the
        longtail2017/class_split.pkl                        official code reads it with list_from_file)
    voc-mlt root/
        VOCdevkit/VOC2012/{JPEGImages,Annotations}/         VOC 2012 trainval
        VOCdevkit/VOC2007/{JPEGImages,Annotations}/         VOC 2007 test
        VOCdevkit/VOC2007/ImageSets/Main/test.txt
        longtail2012/{img_id.txt,class_freq.pkl,class_split.pkl}   official appendix

Official rules followed (file, function: rule):

* ``configs/coco/LT_resnet50_pfc_DB.py`` ``data.train``: ``ann_file=instances_train2017.json`` with
  ``LT_ann_file=['appendix/coco/longtail2017/img_id.pkl']``, ``img_prefix=train2017/``;
  ``data.test``: ``instances_val2017.json``, ``val2017/``, no LT file.
* ``configs/voc/LT_resnet50_pfc_DB.py`` ``data.train``: ``ann_file=appendix/VOCdevkit/longtail2012/img_id.txt``,
  ``img_prefix=VOC2012/``; ``data.test``: ``VOC2007/ImageSets/Main/test.txt``, ``VOC2007/``.
* ``coco.py`` ``CocoDataset.load_annotations``: ``self.img_ids += mmcv.list_from_file(LT_ann_file)``
  (ids line by line, file order; img_id.pkl is a text file despite its name), then
  ``self.coco.loadImgs([int(i)])``; without an LT file ``self.coco.getImgIds()`` (the json's
  ``images`` order); classes ``cat2label`` over ``self.coco.getCatIds()`` (the json's ``categories``
  order: ascending ids 1…90 with gaps in the released files).
* ``coco.py`` ``CocoDataset._parse_ann_info``: skip ``ann.get('ignore', False)`` and
  ``ann['area'] <= 0 or w < 1 or h < 1``; every other annotation sets its class, crowd ones too (no
  iscrowd test). Images left with no label keep an all-zero row: ``CocoDataset._filter_imgs``
  (which drops them) is never called (custom.py: ``# valid_inds = self._filter_imgs()``).
* ``xml_style.py`` ``XMLDataset.load_annotations``: ids by ``mmcv.list_from_file(ann_file)``,
  ``JPEGImages/{id}.jpg``, width/height from ``<size>``; ``get_ann_info``: every ``<object>``
  (``gt_labels[self.cat2label[name]-1] = 1``), 'difficult' ones included; class order
  ``voc.py`` ``VOCDataset.CLASSES``.
* ``custom.py`` ``CustomDataset.__init__``: ``if not test_mode and 'width' in self.img_infos[0].keys():
  min_size = 32`` keeps images with ``min(width, height) >= 32`` (the json's / xml's sizes); test
  mode keeps every image.
* ``custom.py`` ``CustomDataset._save_info``: ``class_freq.pkl`` = ``gt_labels`` (one row per
  training image, dataset order), ``class_freq`` (their column sums), ``neg_class_freq``,
  ``condition_prob``; ``split`` checks our training set against ``class_freq`` and ``gt_labels``.
  ``class_split.pkl`` (config ``data.test.class_split``) = {'head', 'middle', 'tail'} → sets of
  class indices (head ≥ 100 training images, middle 20–99, tail < 20 in the released files), our
  'head'/'medium'/'tail'.

Images and augmentation: :class:`lt_repro.data.mlt_images.MultiLabelImageFiles` (DB config: photometric
distortion, random crop ≥ 0.8, 224×224 resize without keeping the ratio, flip 0.5; test: resize).

Checksums: appendix sha256 computed from the official files (raw.githubusercontent.com at the
commit of ``APPENDIX_COMMITS``). COCO annotations: tensorflow/datasets ``tensorflow_datasets/url_checksums/coco.txt``
(commit 333639b3) and ``coco2017.txt`` (commit 2282548b), size 252907541 + sha256 below; COCO images:
:mod:`lt_repro.data.coco`. VOC tars: URL + md5 of torchvision 0.29 ``torchvision/datasets/voc.py``
(``DATASET_YEAR_DICT['2012']`` and ``['2007-test']``).
"""
from __future__ import annotations

import hashlib
import json
import os
import shutil
import tarfile
import tempfile
import xml.etree.ElementTree as ET
import zipfile
from pathlib import Path, PurePosixPath

import numpy as np

from . import coco, safe_pickle
from .download import ChecksumError, Remote, fetch

NUM_CLASSES = {"coco-mlt": 80, "voc-mlt": 20}

# mllt/datasets/voc.py VOCDataset.CLASSES
VOC_CLASSES = ("aeroplane", "bicycle", "bird", "boat", "bottle", "bus", "car", "cat", "chair", "cow",
               "diningtable", "dog", "horse", "motorbike", "person", "pottedplant", "sheep", "sofa", "train",
               "tvmonitor")
MIN_SIZE = 32  # custom.py: training images need min(width, height) >= 32
# class_split.pkl key → ours
SPLIT_GROUPS = {"head": "head", "middle": "medium", "tail": "tail"}

# The appendix files at commit 14460d0a, the one configs/fidelity/db.yaml pins; their git
# blobs are unchanged since they were added (8f913268), so every commit in between serves the same bytes.
# sha256: sha256sum of those files.
APPENDIX_COMMITS = {"appendix": "14460d0acda6a3e77a8a6a5999b9746243cb1535"}
_RAW = "https://raw.githubusercontent.com/wutong16/DistributionBalancedLoss/{}/appendix/"
_BASE = _RAW.format(APPENDIX_COMMITS["appendix"])
APPENDIX = {
    "coco-mlt": {
        "img_id.pkl": Remote(_BASE + "coco/longtail2017/img_id.pkl", "img_id.pkl", size=13023,
                             sha256="f31e853d2c7b69512c62b65ff1db067a49b3ab86a62f685c7da86b7c3dd04768"),
        "class_freq.pkl": Remote(_BASE + "coco/longtail2017/class_freq.pkl", "class_freq.pkl", size=1421819,
                                 sha256="7edbc381296400727d1fd8afa01af51403de8d0e892230e16312b2ae7f6a469c"),
        "class_split.pkl": Remote(_BASE + "coco/longtail2017/class_split.pkl", "class_split.pkl", size=3519,
                                  sha256="923d001a2d117e250caf48833f7082dc090aa405a1769489bf66137c8a2c5560"),
    },
    "voc-mlt": {
        "img_id.txt": Remote(_BASE + "VOCdevkit/longtail2012/img_id.txt", "img_id.txt", size=13704,
                             sha256="6e49185d5421236718f7393e952f5790e5c0cfeb1694892b1b971f59725d5ebc"),
        "class_freq.pkl": Remote(_BASE + "VOCdevkit/longtail2012/class_freq.pkl", "class_freq.pkl", size=269857,
                                 sha256="cc7c8c401a2ffb8b47a5b0c2eca55a3b485cfa6658581c33e27ccbd27b145c5d"),
        "class_split.pkl": Remote(_BASE + "VOCdevkit/longtail2012/class_split.pkl", "class_split.pkl", size=918,
                                  sha256="4400870c72d66673dd58f46f9102633579c0c70d6c1c33a0496edb4008cb04bc"),
    },
}
APPENDIX_DIR = {"coco-mlt": "longtail2017", "voc-mlt": "longtail2012"}
IMG_IDS = {"coco-mlt": "img_id.pkl", "voc-mlt": "img_id.txt"}
TRAIN_SIZE = {"coco-mlt": 1909, "voc-mlt": 1142}  # lines of img_id.pkl / img_id.txt (paper Sec. 5.1)

COCO_ANNOTATIONS = Remote("http://images.cocodataset.org/annotations/annotations_trainval2017.zip",
                          "annotations_trainval2017.zip", size=252907541,
                          sha256="113a836d90195ee1f884e704da6304dfaaecff1f023f49b6ca93c4aaae470268")
VOC_TARS = {  # torchvision/datasets/voc.py DATASET_YEAR_DICT
    "VOC2012": Remote("https://thor.robots.ox.ac.uk/pascal/VOC/voc2012/VOCtrainval_11-May-2012.tar",
                      "VOCtrainval_11-May-2012.tar", md5="6cd6e144f989b92b3379bac3b3de84fd"),
    "VOC2007": Remote("https://thor.robots.ox.ac.uk/pascal/VOC/voc2007/VOCtest_06-Nov-2007.tar",
                      "VOCtest_06-Nov-2007.tar", md5="b6e924de25625d8de591ea690078ad9f"),
}

COCO_LAYOUT = ("coco-mlt root/: train2017/, val2017/, annotations/instances_{train,val}2017.json, "
               "longtail2017/{img_id.pkl,class_freq.pkl,class_split.pkl}")
VOC_LAYOUT = ("voc-mlt root/: VOCdevkit/VOC2012/{JPEGImages,Annotations}/, "
              "VOCdevkit/VOC2007/{JPEGImages,Annotations,ImageSets/Main/test.txt}, "
              "longtail2012/{img_id.txt,class_freq.pkl,class_split.pkl}")
LAYOUT = {"coco-mlt": COCO_LAYOUT, "voc-mlt": VOC_LAYOUT}


def _need(path: Path, dataset: str) -> Path:
    if not Path(path).exists():
        raise FileNotFoundError(f"{path} is missing. Expected layout: {LAYOUT[dataset]}. "
                                f"Run `python -m lt_repro.data fetch {dataset} --root <root>`.")
    return Path(path)


def appendix_path(root, dataset: str, name: str, check: bool = True) -> Path:
    """``root/<longtail dir>/<name>``, which must exist; with ``check`` its sha256 must be the official one."""
    path = _need(Path(root) / APPENDIX_DIR[dataset] / name, dataset)
    if check:
        want = APPENDIX[dataset][name].sha256
        got = hashlib.sha256(path.read_bytes()).hexdigest()
        if got != want:
            raise ChecksumError(f"{path}: sha256 is {got}, expected {want} (the official file, "
                                f"{APPENDIX[dataset][name].url}); delete it and fetch again")
    return path


def read_ids(path: Path) -> list[str]:
    """Ids one per line, as mmcv.list_from_file (trailing newline stripped, order kept)."""
    with open(path) as f:
        return [line.rstrip("\n") for line in f]


def _subset(subset: str) -> str:
    if subset not in ("train", "test"):
        raise ValueError(f"subset must be 'train' or 'test', got {subset!r}")
    return subset


def _check_first_image(paths: np.ndarray, dataset: str, listed_in) -> None:
    if len(paths) and not Path(paths[0]).exists():
        raise FileNotFoundError(f"{paths[0]} (listed in {listed_in}) is missing. Expected layout: {LAYOUT[dataset]}")


# --- COCO-MLT --------------------------------------------------------------------------------

def coco_labels(data: dict, image_ids=None, source="") -> tuple[list[int], dict[int, np.ndarray]]:
    """(category ids in json order, image id → (C,) uint8 multi-hot row) of a COCO instances json,
    for ``image_ids`` (default: all its images), by the rules of the official ``coco.py`` (module doc)."""
    cat_ids = [c["id"] for c in data["categories"]]
    cat2label = {c: i for i, c in enumerate(cat_ids)}
    ids = [im["id"] for im in data["images"]] if image_ids is None else image_ids
    rows = {i: np.zeros(len(cat_ids), dtype=np.uint8) for i in ids}
    for ann in data["annotations"]:
        row = rows.get(ann["image_id"])
        if row is None or ann.get("ignore", False):
            continue
        _, _, w, h = ann["bbox"]
        if ann["area"] <= 0 or w < 1 or h < 1:
            continue
        if ann["category_id"] not in cat2label:
            raise ValueError(f"{source}: annotation {ann.get('id')} has category {ann['category_id']}, "
                             f"which is not in 'categories'")
        row[cat2label[ann["category_id"]]] = 1
    return cat_ids, rows


def _read_coco_json(path: Path) -> dict:
    with open(path, "rb") as f:
        data = json.load(f)
    for key in ("images", "annotations", "categories"):
        if key not in data:
            raise ValueError(f"{path}: no '{key}'; not a COCO instances annotation file")
    return data


def load_coco_mlt(root, subset: str, check: bool = True) -> tuple[np.ndarray, np.ndarray]:
    """(image paths, (N, 80) uint8 multi-hot labels). 'train': the ids of longtail2017/img_id.pkl in
    file order, from instances_train2017.json, minus images under 32 px; 'test': all of
    instances_val2017.json in its order. ``check``: the appendix files must have the official sha256."""
    root = Path(root)
    subset = _subset(subset)
    folder = "train2017" if subset == "train" else "val2017"
    ann_path = _need(root / "annotations" / f"instances_{folder}.json", "coco-mlt")
    ids_path = appendix_path(root, "coco-mlt", "img_id.pkl", check) if subset == "train" else None
    data = _read_coco_json(ann_path)
    if len(data["categories"]) != NUM_CLASSES["coco-mlt"]:
        raise ValueError(f"{ann_path}: {len(data['categories'])} categories, COCO-MLT needs the 80 of COCO 2017")
    images = {im["id"]: im for im in data["images"]}
    if subset == "train":
        ids = []
        for line in read_ids(ids_path):
            try:
                ids.append(int(line))
            except ValueError:
                raise ValueError(f"{ids_path}: {line!r} is not a COCO image id; is this the official "
                                 f"img_id.pkl (a text file of ids)?") from None
        missing = [i for i in ids if i not in images]
        if missing:
            raise ValueError(f"{ids_path}: image ids {missing[:5]} are not in {ann_path}; "
                             f"COCO-MLT is drawn from COCO 2017 train")
        ids = [i for i in ids if min(images[i]["width"], images[i]["height"]) >= MIN_SIZE]
    else:
        ids = list(images)  # COCO.getImgIds(): json order, every image (test mode filters nothing)
    cat_ids, rows = coco_labels(data, ids, ann_path)
    paths = np.asarray([str(root / folder / images[i]["file_name"]) for i in ids])
    labels = np.stack([rows[i] for i in ids]) if ids else np.zeros((0, len(cat_ids)), np.uint8)
    _check_first_image(paths, "coco-mlt", ann_path)
    return paths, labels


# --- VOC-MLT ---------------------------------------------------------------------------------

def voc_annotation(xml_path: Path) -> tuple[int, int, np.ndarray]:
    """(width, height, (20,) uint8 multi-hot) of one VOC xml: every object counts, difficult or not."""
    try:
        tree = ET.parse(xml_path)
    except FileNotFoundError:
        raise FileNotFoundError(f"{xml_path} is missing. Expected layout: {VOC_LAYOUT}") from None
    node = tree.getroot()
    size = node.find("size")
    width, height = int(size.find("width").text), int(size.find("height").text)
    row = np.zeros(len(VOC_CLASSES), dtype=np.uint8)
    for obj in node.findall("object"):
        name = obj.find("name").text
        if name not in VOC_CLASSES:
            raise ValueError(f"{xml_path}: object name {name!r} is not one of the 20 VOC classes")
        row[VOC_CLASSES.index(name)] = 1
    return width, height, row


def load_voc_mlt(root, subset: str, check: bool = True) -> tuple[np.ndarray, np.ndarray]:
    """(image paths, (N, 20) uint8 multi-hot labels). 'train': the VOC 2012 ids of
    longtail2012/img_id.txt in file order, minus images under 32 px; 'test': VOC 2007 test.txt.
    ``check``: the appendix files must have the official sha256."""
    root = Path(root)
    subset = _subset(subset)
    if subset == "train":
        ids_path, year = appendix_path(root, "voc-mlt", "img_id.txt", check), "VOC2012"
    else:
        ids_path, year = _need(root / "VOCdevkit" / "VOC2007" / "ImageSets" / "Main" / "test.txt", "voc-mlt"), "VOC2007"
    base = _need(root / "VOCdevkit" / year, "voc-mlt")
    paths, rows = [], []
    for img_id in read_ids(ids_path):
        width, height, row = voc_annotation(base / "Annotations" / f"{img_id}.xml")
        if subset == "train" and min(width, height) < MIN_SIZE:
            continue
        paths.append(str(base / "JPEGImages" / f"{img_id}.jpg"))
        rows.append(row)
    paths = np.asarray(paths)
    labels = np.stack(rows) if rows else np.zeros((0, len(VOC_CLASSES)), np.uint8)
    _check_first_image(paths, "voc-mlt", ids_path)
    return paths, labels


LOADERS = {"coco-mlt": load_coco_mlt, "voc-mlt": load_voc_mlt}


# --- split -----------------------------------------------------------------------------------

def read_class_split(path: Path, num_classes: int) -> dict[str, list[int]]:
    """class_split.pkl ({'head', 'middle', 'tail'} → sets) → {'head', 'medium', 'tail'} → sorted
    lists, checked to partition the classes."""
    raw = safe_pickle.load(path)
    if not isinstance(raw, dict) or set(raw) != set(SPLIT_GROUPS):
        raise ValueError(f"{path}: expected a dict with keys {sorted(SPLIT_GROUPS)}, got "
                         f"{sorted(raw) if isinstance(raw, dict) else type(raw).__name__}")
    groups = {ours: sorted(int(c) for c in raw[theirs]) for theirs, ours in SPLIT_GROUPS.items()}
    flat = sorted(c for g in groups.values() for c in g)
    if flat != list(range(num_classes)):
        raise ValueError(f"{path}: head/middle/tail do not partition the {num_classes} classes")
    return groups


def split(dataset: str, root, check: bool = True) -> dict:
    """The fixed training set of ``dataset`` ('coco-mlt' or 'voc-mlt'), checked against the appendix's
    class_freq.pkl (per-class counts, and per-image rows when present)."""
    if dataset not in LOADERS:
        raise ValueError(f"unknown multi-label dataset {dataset!r}; use one of {sorted(LOADERS)}")
    _, labels = LOADERS[dataset](root, "train", check)
    counts = labels.sum(axis=0, dtype=np.int64)
    freq_path = appendix_path(root, dataset, "class_freq.pkl", check)
    freq = safe_pickle.load(freq_path)
    want = np.asarray(freq["class_freq"], dtype=np.int64)
    problem = None
    if want.shape != counts.shape or not np.array_equal(want, counts):
        problem = f"per-class counts {counts.tolist()} differ from its class_freq {want.tolist()}"
    elif "gt_labels" in freq:
        rows = np.asarray(freq["gt_labels"], dtype=np.int64).reshape(-1, len(counts))
        if rows.shape != labels.shape or not np.array_equal(rows, labels):
            problem = (f"its gt_labels ({len(rows)} images) differ from ours ({len(labels)} images) "
                       f"image by image")
    if problem:
        raise ValueError(f"{freq_path}: the training subset built from {root} does not match the official "
                         f"one: {problem}. Check the annotations and appendix files ({LAYOUT[dataset]}).")
    class_split = read_class_split(appendix_path(root, dataset, "class_split.pkl", check), len(counts))
    n = len(labels)
    return {"protocol": "wu2020", "train": list(range(n)), "val": [], "train_counts": counts.tolist(),
            "train_num": n, "class_split": class_split}


# --- fetch -----------------------------------------------------------------------------------

def fetch_appendix(root, dataset: str, remotes: dict | None = None) -> Path:
    """Download (or verify) the three official appendix files into ``root/<longtail dir>/``."""
    folder = Path(root) / APPENDIX_DIR[dataset]
    for remote in (remotes or APPENDIX[dataset]).values():
        fetch(remote, folder)
    return folder


def _safe_members(tar: tarfile.TarFile, archive: Path) -> None:
    for m in tar.getmembers():
        p = PurePosixPath(m.name)
        if p.is_absolute() or ".." in p.parts:
            raise ValueError(f"{archive}: member {m.name!r} would be written outside the target folder; "
                             f"refusing to extract (delete the archive and fetch again)")
        if not (m.isfile() or m.isdir()):
            raise ValueError(f"{archive}: member {m.name!r} is not a plain file or folder; refusing to extract")


def extract_tar(archive: Path, root: Path, member_dir: str) -> Path:
    """Extract ``member_dir/`` (e.g. 'VOCdevkit/VOC2012') of a tar to ``root/member_dir`` through a
    temporary folder and one rename; members with absolute paths, '..', or links are refused."""
    root = Path(root)
    final = root / member_dir
    if final.exists():
        return final
    root.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=".extract.", dir=root))
    try:
        with tarfile.open(archive) as tar:
            _safe_members(tar, archive)
            tar.extractall(tmp, filter="data")
        if not (tmp / member_dir).is_dir():
            raise ValueError(f"{archive}: no folder '{member_dir}/' inside; is this the right archive?")
        final.parent.mkdir(parents=True, exist_ok=True)
        os.replace(tmp / member_dir, final)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return final


def fetch_coco_annotations(root, remote: Remote = COCO_ANNOTATIONS) -> Path:
    """annotations_trainval2017.zip → ``root/annotations/instances_{train,val}2017.json``."""
    root = Path(root)
    out = root / "annotations"
    names = [f"instances_{s}2017.json" for s in ("train", "val")]
    if all((out / n).exists() for n in names):
        return out
    archive = fetch(remote, root / "archives")
    out.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(archive) as zf:
        for name in names:
            member = f"annotations/{name}"
            if member not in zf.namelist():
                raise ValueError(f"{archive}: no '{member}' inside; is this annotations_trainval2017.zip?")
            tmp = out / (name + ".part")
            with zf.open(member) as src, open(tmp, "wb") as dst:
                shutil.copyfileobj(src, dst, 1 << 20)
            os.replace(tmp, out / name)
    return out


def fetch_coco_mlt(root, *, appendix: dict | None = None, annotations: Remote = COCO_ANNOTATIONS,
                   images: dict | None = None) -> Path:
    """Appendix files, COCO 2017 instances annotations and train/val images into the coco-mlt layout."""
    root = Path(root)
    fetch_appendix(root, "coco-mlt", appendix)
    fetch_coco_annotations(root, annotations)
    coco.prepare(root, ("train2017", "val2017"), images)
    return root


def fetch_voc_mlt(root, *, appendix: dict | None = None, tars: dict | None = None) -> Path:
    """Appendix files, VOC 2012 trainval and VOC 2007 test into the voc-mlt layout."""
    root = Path(root)
    fetch_appendix(root, "voc-mlt", appendix)
    for year, remote in (tars or VOC_TARS).items():
        done = root / f".{year}.complete"
        if done.exists():
            continue
        archive = fetch(remote, root / "archives")
        extract_tar(archive, root, f"VOCdevkit/{year}")
        done.write_text(f"{remote.filename}\n")
    return root


def decoder(size: int = 224):
    """``Source.decode`` of both datasets: (paths, subset[, image_size]) → MultiLabelImageFiles
    with the DB config's augmentation for 'train'."""
    from .mlt_images import MultiLabelImageFiles

    def decode(paths, subset, image_size=None):
        return MultiLabelImageFiles(paths, subset, image_size or size,
                                    photo_metric_distortion=dict(brightness_delta=32, contrast_range=(0.5, 1.5),
                                                                 saturation_range=(0.5, 1.5), hue_delta=18),
                                    min_crop_size=0.8, flip_ratio=0.5)
    return decode
