import json
from pathlib import Path

import numpy as np
import pytest
import torch

from lt_repro.data import imagenet, inat, sources
from lt_repro.data import __main__ as data_cli
from lt_repro.data.download import ChecksumError
from lt_repro.data.images import ImageFiles

from .fixtures import write_jpeg

SHARED = Path("/work/shared/data/lt-splits")


def write_imagenet_lt(root: Path, train_per_class=(3, 2, 1), val_per_class=1, test_per_class=2) -> Path:
    """ILSVRC-style folders (train/<wnid>/, val/<wnid>/) + ImageNet_LT_{train,val,test}.txt lists."""
    wnids = [f"n0000000{k}" for k in range(len(train_per_class))]
    lists = {"train": [], "val": [], "test": []}
    for k, w in enumerate(wnids):
        for i in range(train_per_class[k] + val_per_class):
            rel = f"train/{w}/{w}_{i}.JPEG"
            write_jpeg(root / rel, value=10 * k + i)
            lists["train" if i < train_per_class[k] else "val"].append(f"{rel} {k}")
        for i in range(test_per_class):
            rel = f"val/{w}/ILSVRC2012_val_{k:04d}{i:04d}.JPEG"
            write_jpeg(root / rel, size=(50, 70))
            lists["test"].append(f"{rel} {k}")
    for name, lines in lists.items():
        (root / f"ImageNet_LT_{name}.txt").write_text("\n".join(lines) + "\n")
    return root


def test_imagenet_lt_lists_split_and_decode(tmp_path):
    root = write_imagenet_lt(tmp_path)
    paths, labels = imagenet.load_lt(str(root), "train", check=False)
    assert labels.tolist() == [0, 0, 0, 1, 1, 2, 0, 1, 2]  # train list then val list
    split = imagenet.lt_split(str(root), check=False)
    assert split["train_counts"] == [3, 2, 1] and split["val"] == [6, 7, 8]
    test_paths, test_labels = imagenet.load_lt(str(root), "test", check=False)
    assert len(test_labels) == 6 and test_paths[0].startswith(str(root / "val"))
    for subset in ("train", "test"):
        x = ImageFiles(paths if subset == "train" else test_paths, subset, size=32)
        assert x[0].shape == (3, 32, 32) and x[0].dtype == torch.float32 and len(x) == len(x.paths)


def test_imagenet_lt_missing_and_checksum(tmp_path):
    with pytest.raises(FileNotFoundError,
                       match=r"ImageNet_LT_train.txt is missing. Expected layout: root/train/<wnid>"):
        imagenet.load_lt(str(tmp_path), "train")
    root = write_imagenet_lt(tmp_path / "r")
    with pytest.raises(ChecksumError, match=r"ImageNet_LT_val.txt: sha256 is .* expected 9af7ba68"):
        imagenet.read_lt_list(root, "val", check=True)
    with pytest.raises(ValueError, match=r"6 images of 3 classes, expected 115846 of 1000"):
        imagenet.read_lt_list(root, "train", check=True)
    (root / "train" / "n00000000" / "n00000000_0.JPEG").unlink()
    with pytest.raises(FileNotFoundError, match=r"n00000000_0.JPEG \(listed in .*ImageNet_LT_train.txt\) is missing"):
        imagenet.read_lt_list(root, "train", check=False)
    with pytest.raises(FileNotFoundError, match="Expected layout"):
        imagenet.load_full(str(tmp_path / "nowhere"), "train")


def test_split_dataset_image_size(tmp_path):
    """LTSplitDataset's image_size sets the crop of file-based sources (CB's 320 px rows); array
    sources refuse it."""
    from lt_repro.mm.classification import LTSplitDataset

    root = write_imagenet_lt(tmp_path)
    split = tmp_path / "s.json"
    split.write_text(json.dumps(data_cli.fixed_split("imagenet", str(root))))
    for subset in ("train", "test"):
        ds = LTSplitDataset("imagenet", str(root), str(split), subset, image_size=40)
        assert ds[0]["inputs"].shape == (3, 40, 40)
    assert LTSplitDataset("imagenet", str(root), str(split), "test")[0]["inputs"].shape == (3, 224, 224)
    with pytest.raises(ValueError, match="file-based sources"):
        sources.get("cifar10").images_for(np.zeros((1, 32, 32, 3), np.uint8), "train", image_size=40)


def test_imagenet_full_folder_tree(tmp_path):
    root = write_imagenet_lt(tmp_path)
    paths, labels = imagenet.load_full(str(root), "train")
    assert np.bincount(labels).tolist() == [4, 3, 2]
    assert data_cli.fixed_split("imagenet", str(root))["train_counts"] == [4, 3, 2]


@pytest.mark.skipif(not (SHARED / "imagenet-lt").exists(), reason="official lists not on this machine")
def test_official_imagenet_lt_val_test_lists():
    for subset, per_class in (("val", 20), ("test", 50)):
        paths, labels = imagenet.parse_lt_list(SHARED / "imagenet-lt" / f"ImageNet_LT_{subset}.txt", subset, check=True)
        assert np.bincount(labels).tolist() == [per_class] * 1000
        assert paths[0].endswith(".JPEG") and ("/train/" if subset == "val" else "/val/") in paths[0]


def write_inat(root: Path, version="2018", counts=(4, 2, 1), val_per_class=1) -> Path:
    """Official iNat JSON: images [{id, file_name, width, height}], annotations [{id, image_id, category_id}]."""
    folder = "train_val2018" if version == "2018" else "train_val_images"
    nid = 0
    for name, per in (("train", counts), ("val", [val_per_class] * len(counts))):
        images, anns = [], []
        for c, n in enumerate(per):
            for i in range(n):
                rel = f"{folder}/Plantae/{c}/{name}{i}.jpg"
                write_jpeg(root / rel)
                images.append({"id": nid, "file_name": rel, "width": 40, "height": 30, "license": 0})
                anns.append({"id": nid, "image_id": nid, "category_id": c})
                nid += 1
        doc = {"info": {"year": int(version)}, "images": images, "annotations": anns,
               "categories": [{"id": c, "name": f"s{c}", "supercategory": "Plantae"} for c in range(len(counts))]}
        (root / f"{name}{version}.json").write_text(json.dumps(doc))
    return root


def test_inat_json_and_split(tmp_path):
    root = write_inat(tmp_path)
    paths, labels = inat.load(str(root), "train", "2018", check=False)
    assert labels.tolist() == [0, 0, 0, 0, 1, 1, 2] and Path(paths[0]).exists()
    assert inat.split(str(root), "2018", check=False)["train_counts"] == [4, 2, 1]
    assert inat.load(str(root), "test", "2018", check=False)[1].tolist() == [0, 1, 2]
    with pytest.raises(ValueError, match="7 images, the official file has 437513"):
        inat.load(str(root), "train", "2018")
    with pytest.raises(FileNotFoundError, match="train2017.json is missing"):
        inat.load(str(root), "train", "2017")


@pytest.mark.skipif(not (SHARED / "inat2018").exists(), reason="official list not on this machine")
def test_inat2018_val_list_matches_official_size():
    from lt_repro.data.images import read_list

    _, labels = read_list(SHARED / "inat2018" / "iNaturalist18_val.txt", "root")
    assert len(labels) == inat.SIZES["2018"]["val"] and len(np.unique(labels)) == inat.SIZES["2018"]["classes"]


def test_file_sources_registered():
    for name, c in (("imagenet-lt", 1000), ("imagenet", 1000), ("inat2017", 5089), ("inat2018", 8142)):
        assert sources.get(name).num_classes == c and sources.get(name).decode is not None


def test_cb_320_rows_apply_to_the_config():
    """The grid's cb-focal-320 overrides name keys that the config has (the key check of lt_repro.train)."""
    import yaml
    from mmengine.config import Config

    from lt_repro.mm.config import apply_overrides

    repo = Path(__file__).resolve().parents[2]
    grid = yaml.safe_load((repo / "configs/cb/grid-imagenet-inat.yaml").read_text())
    cfg = Config.fromfile(repo / grid["config"])
    assert cfg.train_dataloader.dataset.image_size == cfg.test_dataloader.dataset.image_size == 224
    apply_overrides(cfg, grid["losses"]["cb-focal-320"], source="grid")
    assert cfg.train_dataloader.dataset.image_size == cfg.test_dataloader.dataset.image_size == 320
