"""A tiny LVIS dataset in the real on-disk format, and tiny runnable versions of the real configs."""
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

REPO = Path(__file__).resolve().parents[2]

# 5 categories: frequency groups r/c/f as LVIS; image_count is filled from the training images
CATEGORIES = [
    dict(id=1, name="acorn", frequency="f", synset="acorn.n.01"),
    dict(id=2, name="aerosol_can", frequency="c", synset="aerosol.n.02"),
    dict(id=3, name="air_conditioner", frequency="f", synset="air_conditioner.n.01"),
    dict(id=4, name="airplane", frequency="r", synset="airplane.n.01"),
    dict(id=5, name="alarm_clock", frequency="c", synset="alarm_clock.n.01"),
]
COLORS = {1: (220, 40, 40), 2: (40, 200, 40), 3: (40, 40, 220), 4: (230, 200, 30), 5: (200, 40, 200)}
SIZE = 96


def _objects(rng, i, split):
    """1-2 coloured shapes per image; category 4 (rare) appears in one training image only."""
    cats = [1, 3] if i % 2 == 0 else [2, 5]
    if (split == "train" and i == 3) or (split == "val" and i == 1):
        cats = [4, 1]
    out = []
    for k, cat in enumerate(cats):
        x, y = 8 + 44 * k + int(rng.integers(0, 6)), 10 + int(rng.integers(0, 30))
        w, h = 36, 40
        out.append((cat, x, y, w, h))
    return out


def write_lvis(root: Path, version: str, n_train: int = 8, n_val: int = 4, seed: int = 0) -> dict:
    """Images + LVIS json for ``version`` ('v1' or 'v0.5') under root/lvis_<version>/; returns paths."""
    rng = np.random.default_rng(seed)
    ds = root / f"lvis_{version}"
    (ds / "annotations").mkdir(parents=True, exist_ok=True)
    ann_id, img_id = 1, 1
    paths = {"root": ds}
    for split, n in (("train", n_train), ("val", n_val)):
        folder = ds / f"{split}2017"
        folder.mkdir(exist_ok=True)
        images, anns = [], []
        for i in range(n):
            arr = np.full((SIZE, SIZE, 3), 110, np.uint8) + rng.integers(0, 20, (SIZE, SIZE, 3), dtype=np.uint8)
            objs = _objects(rng, i, split)
            for cat, x, y, w, h in objs:
                arr[y:y + h, x:x + w] = COLORS[cat]
                poly = [x, y, x + w, y, x + w, y + h, x, y + h]
                anns.append(dict(id=ann_id, image_id=img_id, category_id=cat, segmentation=[[float(v) for v in poly]],
                                 bbox=[float(x), float(y), float(w), float(h)], area=float(w * h)))
                ann_id += 1
            name = f"{img_id:012d}.jpg"
            Image.fromarray(arr).save(folder / name, quality=95)
            present = {o[0] for o in objs}
            absent = sorted(set(COLORS) - present)
            images.append(dict(id=img_id, width=SIZE, height=SIZE, file_name=name,
                               coco_url=f"http://images.cocodataset.org/{split}2017/{name}",
                               neg_category_ids=absent[:2], not_exhaustive_category_ids=absent[2:3]))
            img_id += 1
        cats = []
        for c in CATEGORIES:
            cat_imgs = {a["image_id"] for a in anns if a["category_id"] == c["id"]}
            cats.append(dict(c, image_count=len(cat_imgs),
                             instance_count=sum(a["category_id"] == c["id"] for a in anns)))
        data = dict(images=images, annotations=anns, categories=cats, licenses=[], info={})
        path = ds / "annotations" / f"lvis_{version}_{split}.json"
        path.write_text(json.dumps(data))
        paths[split] = path
    return paths


@pytest.fixture(scope="session")
def lvis_v1(tmp_path_factory):
    return write_lvis(tmp_path_factory.mktemp("data"), "v1")


@pytest.fixture(scope="session")
def lvis_v05(tmp_path_factory):
    return write_lvis(tmp_path_factory.mktemp("data"), "v0.5")


def _set_in_heads(model, fn):
    heads = model.roi_head.bbox_head
    for h in (heads if isinstance(heads, list) else [heads]):
        fn(h)


def tiny_config(config: str, data: dict, out: Path, **extra) -> Path:
    """The real config with a ResNet-18 (no download), 5 classes, 96-px images, 4 iterations, the
    fixture's data; written with Config.dump so that lt_repro.detect runs it like the real one."""
    from mmengine.config import Config

    cfg = Config.fromfile(str(REPO / config))
    k = len(CATEGORIES)
    m = cfg.model
    m.backbone.update(depth=18, init_cfg=None)
    m.neck.in_channels = [64, 128, 256, 512]

    def head(h):
        h.num_classes = k
        if "num_classes" in h.loss_cls:
            h.loss_cls.num_classes = k
        if "lambda_" in h.loss_cls and extra.get("eql_lambda") is not None:
            h.loss_cls.lambda_ = extra["eql_lambda"]

    _set_in_heads(m, head)
    m.roi_head.mask_head.num_classes = k
    m.train_cfg.rpn_proposal.nms_pre = 300
    m.test_cfg.rpn.nms_pre = 300
    # CPU budget: fewer sampled RoIs and test detections (the mask head dominates the time)
    for rcnn in (m.train_cfg.rcnn if isinstance(m.train_cfg.rcnn, list) else [m.train_cfg.rcnn]):
        rcnn.sampler.num = 64
    m.test_cfg.rcnn.max_per_img = 30
    scale = [(160, 96)]
    ds = cfg.train_dataloader.dataset
    inner = ds.dataset if "dataset" in ds else ds
    inner.update(data_root=str(data["root"]) + "/", ann_file=str(data["train"]))
    for t in inner.pipeline:
        if t.type == "RandomChoiceResize":
            t.scales = scale
        elif t.type == "Resize":
            t.scale = scale[0]
    for loader in ("train_dataloader", "val_dataloader", "test_dataloader"):
        cfg[loader].update(num_workers=0, persistent_workers=False)
    for loader in ("val_dataloader", "test_dataloader"):
        d = cfg[loader].dataset
        d.update(data_root=str(data["root"]) + "/", ann_file=str(data["val"]))
        for t in d.pipeline:
            if t.type == "Resize":
                t.scale = scale[0]
    for ev in ("val_evaluator", "test_evaluator"):
        cfg[ev].ann_file = str(data["val"])
    if cfg.train_cfg.type == "IterBasedTrainLoop":
        cfg.train_cfg.update(max_iters=4, val_interval=1000)
        cfg.default_hooks.checkpoint.interval = 2
    else:
        cfg.train_cfg.update(max_epochs=1, val_interval=1000)
    cfg.default_hooks.logger = dict(type="LoggerHook", interval=1)
    cfg.log_level = extra.get("log_level", "WARNING")
    out.parent.mkdir(parents=True, exist_ok=True)
    cfg.dump(str(out))
    return out


def run_detect(cfg_path: Path, tmp: Path, *args) -> subprocess.CompletedProcess:
    cmd = [sys.executable, "-m", "lt_repro.detect", str(cfg_path), "--work-dir", str(tmp / "work"),
           "--out-dir", str(tmp / "out"), "--seed", "0", "--threads", "1", "--no-progress",
           "--slug", "test", "--exp", "tiny_run", *args]
    proc = subprocess.run(cmd, cwd=REPO, capture_output=True, text=True, timeout=600)
    if proc.returncode != 0:
        raise AssertionError(f"{' '.join(cmd)} exited {proc.returncode}:\n{proc.stderr[-4000:]}")
    return proc


@pytest.fixture(scope="session")
def make_tiny_config():
    return tiny_config


@pytest.fixture(scope="session")
def detect():
    return run_detect
