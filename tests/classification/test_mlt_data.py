"""COCO-MLT / VOC-MLT data layer (lt_repro/data/mlt.py) on fixtures in the real on-disk formats, and
on the official appendix files when this machine has them."""
import hashlib
import io
import tarfile
import zipfile
from pathlib import Path

import numpy as np
import pytest
import torch

from lt_repro.data import __main__ as data_cli
from lt_repro.data import images as images_mod
from lt_repro.data import mlt_images
from lt_repro.data import mlt, safe_pickle, sources
from lt_repro.data.download import ChecksumError, Remote

from .fixtures import COCO_CATEGORY_IDS, write_coco_instances, write_db_appendix, write_jpeg, write_voc_xml

OFFICIAL = Path("/work/shared/data/lt-splits/db-loss")


def hot(num_classes, *rows):
    out = np.zeros((len(rows), num_classes), dtype=np.uint8)
    for r, cols in enumerate(rows):
        out[r, list(cols)] = 1
    return out


# COCO label index of a category id: its position among the 80 ids (toothbrush, id 90 → 79)
L = {c: i for i, c in enumerate(COCO_CATEGORY_IDS)}
COCO_TRAIN_IDS = [105, 101, 103, 102]  # img_id.pkl order; 103 is under 32 px and dropped
COCO_TRAIN_LABELS = hot(80, {L[27]}, {L[1], L[3], L[90]}, {L[13]})  # 105, 101, 102
COCO_TEST_LABELS = hot(80, set(), {L[1]}, set())  # 203, 201, 202 (json order, nothing dropped)
COCO_SPLIT = {"head": [L[1]], "middle": [L[3], L[13]], "tail": [c for c in range(80) if c not in (L[1], L[3], L[13])]}


def write_coco_mlt(root: Path, rows=COCO_TRAIN_LABELS, class_split=COCO_SPLIT) -> Path:
    """train2017/, val2017/, annotations/instances_{train,val}2017.json, longtail2017/ appendix."""
    box = {"bbox": [1.0, 2.0, 10.0, 8.0], "area": 80.0}
    write_coco_instances(root / "annotations" / "instances_train2017.json", images=[
        {"id": 101, "file_name": "000000000101.jpg", "width": 40, "height": 32},
        {"id": 102, "file_name": "000000000102.jpg", "width": 40, "height": 40},
        {"id": 103, "file_name": "000000000103.jpg", "width": 31, "height": 60},
        {"id": 104, "file_name": "000000000104.jpg", "width": 40, "height": 40},
        {"id": 105, "file_name": "000000000105.jpg", "width": 64, "height": 48},
    ], annotations=[
        {"image_id": 101, "category_id": 1, **box},
        {"image_id": 101, "category_id": 90, **box},
        {"image_id": 101, "category_id": 3, **box, "iscrowd": 1},  # crowd: counts (no iscrowd test)
        {"image_id": 102, "category_id": 13, **box},
        {"image_id": 102, "category_id": 5, "bbox": [0, 0, 0.5, 9], "area": 4.5},  # w < 1: dropped
        {"image_id": 102, "category_id": 6, "bbox": [0, 0, 9, 9], "area": 0},  # area 0: dropped
        {"image_id": 103, "category_id": 1, **box},
        {"image_id": 104, "category_id": 2, **box},  # not in the long-tailed subset
        {"image_id": 105, "category_id": 1, **box, "ignore": True},  # ignore: dropped
        {"image_id": 105, "category_id": 27, **box},
    ])
    write_coco_instances(root / "annotations" / "instances_val2017.json", images=[
        {"id": 203, "file_name": "000000000203.jpg", "width": 10, "height": 40},  # small: kept in test
        {"id": 201, "file_name": "000000000201.jpg", "width": 50, "height": 40},
        {"id": 202, "file_name": "000000000202.jpg", "width": 50, "height": 40},  # no annotation: kept
    ], annotations=[{"image_id": 201, "category_id": 1, **box}])
    for i in range(101, 106):
        write_jpeg(root / "train2017" / f"000000000{i}.jpg", size=(40, 30), value=i)
    for i in range(201, 204):
        write_jpeg(root / "val2017" / f"000000000{i}.jpg", size=(50, 40), value=i)
    write_db_appendix(root / "longtail2017", COCO_TRAIN_IDS, rows, class_split, "img_id.pkl")
    return root


VOC = {n: i for i, n in enumerate(mlt.VOC_CLASSES)}
VOC_TRAIN_IDS = ["2008_000002", "2008_000003", "2008_000001"]
VOC_TRAIN_LABELS = hot(20, {VOC["bottle"]}, {VOC["cat"], VOC["dog"], VOC["person"]})  # _000002, _000001
VOC_TEST_LABELS = hot(20, {VOC["tvmonitor"]}, {VOC["aeroplane"]}, {VOC["cow"]})  # test.txt order
VOC_SPLIT = {"head": [VOC["person"]], "middle": [VOC["dog"], VOC["cat"]],
             "tail": [c for c in range(20) if c not in (VOC["person"], VOC["dog"], VOC["cat"])]}


def write_voc_mlt(root: Path, rows=VOC_TRAIN_LABELS) -> Path:
    """VOCdevkit/VOC2012 (trainval part), VOCdevkit/VOC2007 (test part + test.txt), longtail2012/."""
    v12, v07 = root / "VOCdevkit" / "VOC2012", root / "VOCdevkit" / "VOC2007"
    write_voc_xml(v12 / "Annotations" / "2008_000001.xml", 50, 40,
                  [("person", 0), ("dog", 0), ("person", 0), ("cat", 1)])  # difficult cat counts
    write_voc_xml(v12 / "Annotations" / "2008_000002.xml", 40, 40, [("bottle", 1)])  # only difficult
    write_voc_xml(v12 / "Annotations" / "2008_000003.xml", 100, 20, [("horse", 0)])  # < 32 px: dropped
    write_voc_xml(v12 / "Annotations" / "2008_000004.xml", 40, 40, [("sheep", 0)])  # not in the subset
    write_voc_xml(v07 / "Annotations" / "000001.xml", 60, 40, [("aeroplane", 0)])
    write_voc_xml(v07 / "Annotations" / "000002.xml", 60, 40, [("tvmonitor", 1)])
    write_voc_xml(v07 / "Annotations" / "000003.xml", 20, 20, [("cow", 0)])  # small: kept in test
    (v07 / "ImageSets" / "Main").mkdir(parents=True)
    (v07 / "ImageSets" / "Main" / "test.txt").write_text("000002\n000001\n000003\n")
    for i in range(1, 5):
        write_jpeg(v12 / "JPEGImages" / f"2008_00000{i}.jpg", size=(50, 40), value=20 * i)
    for i in range(1, 4):
        write_jpeg(v07 / "JPEGImages" / f"00000{i}.jpg", size=(60, 40), value=30 * i)
    write_db_appendix(root / "longtail2012", VOC_TRAIN_IDS, rows, VOC_SPLIT, "img_id.txt")
    return root


def pin_fixture_digests(monkeypatch, root: Path, dataset: str) -> None:
    """Make mlt.APPENDIX expect the fixture's files (so that check=True paths run on them)."""
    folder = root / mlt.APPENDIX_DIR[dataset]
    pinned = {name: Remote(folder.as_uri() + "/" + name, name,
                           sha256=hashlib.sha256((folder / name).read_bytes()).hexdigest())
              for name in mlt.APPENDIX[dataset]}
    monkeypatch.setitem(mlt.APPENDIX, dataset, pinned)


def test_coco_mlt_labels_order_and_split(tmp_path, monkeypatch):
    root = write_coco_mlt(tmp_path)
    paths, labels = mlt.load_coco_mlt(root, "train", check=False)
    assert [Path(p).name for p in paths] == ["000000000105.jpg", "000000000101.jpg", "000000000102.jpg"]
    assert paths[0] == str(root / "train2017" / "000000000105.jpg")
    assert labels.dtype == np.uint8 and np.array_equal(labels, COCO_TRAIN_LABELS)
    assert L[90] == 79 and L[27] == 24  # non-contiguous ids → contiguous indices in json order
    paths, labels = mlt.load_coco_mlt(root, "test", check=False)
    assert [Path(p).name for p in paths] == ["000000000203.jpg", "000000000201.jpg", "000000000202.jpg"]
    assert np.array_equal(labels, COCO_TEST_LABELS)

    s = mlt.split("coco-mlt", root, check=False)
    assert s["protocol"] == "wu2020" and s["train"] == [0, 1, 2] and s["val"] == [] and s["train_num"] == 3
    assert s["train_counts"] == COCO_TRAIN_LABELS.sum(0).tolist() and len(s["train_counts"]) == 80
    assert s["class_split"] == {"head": [0], "medium": [2, 11], "tail": COCO_SPLIT["tail"]}

    # registered: the CLI's fixed split and the image source, with the appendix digests pinned
    pin_fixture_digests(monkeypatch, root, "coco-mlt")
    fixed = data_cli.fixed_split("coco-mlt", str(root))
    assert fixed["source"] == "coco-mlt" and fixed["train_counts"] == s["train_counts"] and "sha256" in fixed
    src = sources.get("coco-mlt")
    assert src.num_classes == 80 and src.mean == images_mod.IMAGENET_MEAN
    p, y = src.load(str(root), "train")
    assert y.shape == (3, 80) and "coco-mlt" in data_cli.FETCHERS


def test_voc_mlt_labels_order_and_split(tmp_path, monkeypatch):
    root = write_voc_mlt(tmp_path)
    paths, labels = mlt.load_voc_mlt(root, "train", check=False)
    images = root / "VOCdevkit/VOC2012/JPEGImages"
    assert paths.tolist() == [str(images / f"{i}.jpg") for i in ("2008_000002", "2008_000001")]
    assert np.array_equal(labels, VOC_TRAIN_LABELS)
    paths, labels = mlt.load_voc_mlt(root, "test", check=False)
    assert [Path(p).stem for p in paths] == ["000002", "000001", "000003"]
    assert all("/VOC2007/JPEGImages/" in p for p in paths) and np.array_equal(labels, VOC_TEST_LABELS)

    s = mlt.split("voc-mlt", root, check=False)
    assert s["train_counts"] == VOC_TRAIN_LABELS.sum(0).tolist() and s["train_num"] == 2
    assert s["class_split"]["medium"] == sorted([VOC["dog"], VOC["cat"]]) and s["class_split"]["head"] == [14]

    pin_fixture_digests(monkeypatch, root, "voc-mlt")
    assert data_cli.fixed_split("voc-mlt", str(root))["train_counts"] == s["train_counts"]
    assert sources.get("voc-mlt").num_classes == 20 and "voc-mlt" in data_cli.FETCHERS


def test_split_refuses_a_subset_unlike_class_freq(tmp_path):
    wrong_counts = COCO_TRAIN_LABELS.copy()
    wrong_counts[0, 5] = 1
    root = write_coco_mlt(tmp_path / "a", rows=wrong_counts)
    with pytest.raises(ValueError, match=r"class_freq.pkl: the training subset .* does not match the official one: "
                                         r"per-class counts"):
        mlt.split("coco-mlt", root, check=False)
    # same per-class counts, rows in another order: caught by gt_labels
    root = write_voc_mlt(tmp_path / "b", rows=VOC_TRAIN_LABELS[::-1])
    with pytest.raises(ValueError, match=r"does not match the official one: its gt_labels"):
        mlt.split("voc-mlt", root, check=False)
    root = write_coco_mlt(tmp_path / "c", class_split={"head": [0], "middle": [1], "tail": list(range(3, 80))})
    with pytest.raises(ValueError, match="do not partition the 80 classes"):
        mlt.split("coco-mlt", root, check=False)


def test_missing_files_name_the_layout(tmp_path):
    with pytest.raises(FileNotFoundError,
                       match=r"instances_train2017.json is missing. Expected layout: coco-mlt root/: train2017/"):
        mlt.load_coco_mlt(tmp_path, "train")
    with pytest.raises(FileNotFoundError,
                       match=r"longtail2012/img_id.txt is missing. Expected layout: voc-mlt root/: VOCdevkit/VOC2012"):
        mlt.load_voc_mlt(tmp_path, "train")
    root = write_voc_mlt(tmp_path / "v")
    (root / "VOCdevkit/VOC2012/Annotations/2008_000001.xml").unlink()
    with pytest.raises(FileNotFoundError, match=r"2008_000001.xml is missing. Expected layout: voc-mlt"):
        mlt.load_voc_mlt(root, "train", check=False)
    root = write_coco_mlt(tmp_path / "c")
    (root / "train2017/000000000105.jpg").unlink()
    with pytest.raises(FileNotFoundError,
                       match=r"000000000105.jpg \(listed in .*instances_train2017.json\) is missing"):
        mlt.load_coco_mlt(root, "train", check=False)
    with pytest.raises(ValueError, match="subset must be 'train' or 'test'"):
        mlt.load_coco_mlt(root, "val", check=False)


def test_appendix_checksums(tmp_path):
    root = write_coco_mlt(tmp_path)
    with pytest.raises(ChecksumError, match=r"longtail2017/img_id.pkl: sha256 is .* expected f31e853d"):
        mlt.load_coco_mlt(root, "train")  # check=True: the fixture is not the official file
    with pytest.raises(ChecksumError, match=r"img_id.pkl: sha256 is .* expected f31e853d"):
        mlt.fetch_coco_mlt(root)  # a present file is verified before anything is downloaded
    root = write_voc_mlt(tmp_path / "v")
    with pytest.raises(ChecksumError, match=r"img_id.txt: sha256 is .* expected 6e49185d"):
        mlt.split("voc-mlt", root)
    for dataset in mlt.APPENDIX:  # every appendix file is pinned by sha256, at one commit
        for name, remote in mlt.APPENDIX[dataset].items():
            assert remote.sha256 and len(remote.sha256) == 64 and remote.filename == name
            commit = remote.url.split("/")[5]
            assert commit in mlt.APPENDIX_COMMITS.values() and len(commit) == 40
            assert remote.url.endswith(f"/appendix/{'coco' if dataset == 'coco-mlt' else 'VOCdevkit'}/"
                                       f"{mlt.APPENDIX_DIR[dataset]}/{name}")


def _tar(path: Path, files: dict) -> Path:
    with tarfile.open(path, "w") as tar:
        for name, data in files.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return path


def _remote(path: Path) -> Remote:
    return Remote(path.as_uri(), path.name, md5=hashlib.md5(path.read_bytes()).hexdigest())


def test_fetch_voc_mlt_from_archives(tmp_path, monkeypatch):
    """fetch_voc_mlt with file:// remotes: appendix files + both tars into the voc-mlt layout; a tar
    member escaping the folder is refused."""
    src = write_voc_mlt(tmp_path / "src")
    tars = {}
    for year in ("VOC2012", "VOC2007"):
        base = src / "VOCdevkit" / year
        files = {f"VOCdevkit/{year}/{p.relative_to(base)}": p.read_bytes() for p in base.rglob("*") if p.is_file()}
        tars[year] = _remote(_tar(tmp_path / f"{year}.tar", files))
    pin_fixture_digests(monkeypatch, src, "voc-mlt")
    root = mlt.fetch_voc_mlt(tmp_path / "dst", tars=tars)
    assert (root / ".VOC2012.complete").exists() and (root / "archives" / "VOC2007.tar").exists()
    paths, labels = mlt.load_voc_mlt(root, "train")
    assert np.array_equal(labels, VOC_TRAIN_LABELS) and Path(paths[0]).exists()
    assert mlt.split("voc-mlt", root)["train_num"] == 2

    evil = _remote(_tar(tmp_path / "evil.tar", {"VOCdevkit/VOC2012/../../escaped.txt": b"x"}))
    with pytest.raises(ValueError, match="outside the target folder"):
        mlt.fetch_voc_mlt(tmp_path / "dst2", tars={"VOC2012": evil})
    assert not (tmp_path / "escaped.txt").exists()


def test_fetch_coco_mlt_from_archives(tmp_path, monkeypatch):
    src = write_coco_mlt(tmp_path / "src")
    zips = {}
    for name, folder in (("annotations_trainval2017.zip", "annotations"), ("train2017.zip", "train2017"),
                         ("val2017.zip", "val2017")):
        with zipfile.ZipFile(tmp_path / name, "w") as zf:
            for p in (src / folder).iterdir():
                zf.write(p, f"{folder}/{p.name}")
        zips[folder] = _remote(tmp_path / name)
    pin_fixture_digests(monkeypatch, src, "coco-mlt")
    root = mlt.fetch_coco_mlt(tmp_path / "dst", annotations=zips["annotations"],
                              images={"train2017": zips["train2017"], "val2017": zips["val2017"]})
    assert (root / "annotations" / "instances_val2017.json").exists()
    assert np.array_equal(mlt.load_coco_mlt(root, "train")[1], COCO_TRAIN_LABELS)
    assert np.array_equal(mlt.load_coco_mlt(root, "test")[1], COCO_TEST_LABELS)


def test_decode_train_and_test_tensors(tmp_path):
    root = write_voc_mlt(tmp_path)
    paths, _ = mlt.load_voc_mlt(root, "train", check=False)
    torch.manual_seed(0)
    for name in ("coco-mlt", "voc-mlt"):
        src = sources.get(name)
        for subset in ("train", "test"):
            x = src.images_for(paths, subset)
            assert len(x) == 2 and x[0].shape == (3, 224, 224) and x[0].dtype == torch.float32
            assert torch.isfinite(x[1]).all()
        assert src.images_for(paths, "train", image_size=96)[0].shape == (3, 96, 96)
        assert src.images_for(paths, "test", image_size=40)[1].shape == (3, 40, 40)
    # test = plain resize + normalisation: a uniform grey JPEG stays uniform, at (v − mean)/std
    write_jpeg(tmp_path / "grey.jpg", size=(70, 50), value=128)
    from PIL import Image

    raw = np.asarray(Image.open(tmp_path / "grey.jpg").convert("RGB")).astype(np.float32)
    t = mlt_images.MultiLabelImageFiles([str(tmp_path / "grey.jpg")], "test", size=32)[0]
    want = (raw.mean((0, 1)) / 255 - np.asarray(images_mod.IMAGENET_MEAN)) / np.asarray(images_mod.IMAGENET_STD)
    assert torch.allclose(t.mean((1, 2)), torch.tensor(want, dtype=torch.float32), atol=0.02)


def test_photometric_pieces_match_opencv_semantics():
    """HSV round trip is the identity (OpenCV float formulas), hue wraps at 360°, the crop keeps
    ≥ 80 % of each side and never starts at 0 when the slack exceeds one pixel (numpy uniform(low))."""
    torch.manual_seed(0)
    img = torch.rand(3, 17, 23) * 255
    hsv = mlt_images.rgb_to_hsv_float(img)
    assert hsv[0].min() >= 0 and hsv[0].max() < 360 and hsv[1].max() <= 1
    assert torch.allclose(mlt_images.hsv_to_rgb_float(hsv), img, atol=1e-3)
    red = torch.tensor([255.0, 0.0, 0.0]).view(3, 1, 1)
    h = mlt_images.rgb_to_hsv_float(red)
    assert h[:, 0, 0].tolist() == pytest.approx([0.0, 1.0, 255.0], abs=1e-4)
    h[0] += 360 + 120  # 480° = 120°: green
    assert mlt_images.hsv_to_rgb_float(h)[:, 0, 0].tolist() == pytest.approx([0.0, 255.0, 0.0], abs=1e-3)
    crop = mlt_images.MinSizeRandomCrop(0.8)
    big = torch.zeros(3, 100, 200)
    for _ in range(50):
        out = crop(big)
        assert 80 <= out.shape[1] <= 100 and 160 <= out.shape[2] <= 200
    big = torch.arange(200.0).expand(3, 100, 200)  # pixel value = column index
    starts = []
    for _ in range(200):
        out = crop(big)
        x1, width = int(out[0, 0, 0]), out.shape[2]
        assert x1 + width <= 200
        if 200 - width >= 2:  # slack > 1 px: the offset is drawn in [1, slack]
            starts.append(x1)
    assert len(starts) > 150 and min(starts) >= 1
    out = mlt_images.PhotoMetricDistortion()(img)
    assert out.shape == img.shape and torch.isfinite(out).all()


# --- the official appendix files, where this machine has them --------------------------------

needs_official = pytest.mark.skipif(not OFFICIAL.exists(), reason="official DB-loss appendix not on this machine")
OFFICIAL_FILES = {"coco-mlt": OFFICIAL / "coco" / "longtail2017", "voc-mlt": OFFICIAL / "VOCdevkit" / "longtail2012"}


@needs_official
@pytest.mark.parametrize("dataset", ["coco-mlt", "voc-mlt"])
def test_official_appendix(dataset):
    folder = OFFICIAL_FILES[dataset]
    for name, remote in mlt.APPENDIX[dataset].items():
        data = (folder / name).read_bytes()
        assert hashlib.sha256(data).hexdigest() == remote.sha256 and len(data) == remote.size
    ids = mlt.read_ids(folder / mlt.IMG_IDS[dataset])
    assert len(ids) == len(set(ids)) == mlt.TRAIN_SIZE[dataset]  # 1909 COCO-MLT, 1142 VOC-MLT (paper)
    freq = safe_pickle.load(folder / "class_freq.pkl")
    rows = np.asarray(freq["gt_labels"])
    n_cls = mlt.NUM_CLASSES[dataset]
    assert rows.shape == (len(ids), n_cls) and (rows.sum(1) > 0).all()
    assert np.array_equal(rows.sum(0), freq["class_freq"])
    assert np.array_equal(freq["neg_class_freq"], len(ids) - freq["class_freq"])
    groups = mlt.read_class_split(folder / "class_split.pkl", n_cls)
    assert sum(len(g) for g in groups.values()) == n_cls
    counts = freq["class_freq"]
    assert counts[groups["head"]].min() >= 100 and counts[groups["tail"]].max() < 20
    assert 20 <= counts[groups["medium"]].min() and counts[groups["medium"]].max() < 100
    # paper Sec. 5.1: COCO-MLT max 1,128 / min 6 images per class; VOC-MLT max 775 / min 4
    assert (counts.max(), counts.min()) == {"coco-mlt": (1128, 6), "voc-mlt": (775, 4)}[dataset]


@needs_official
def test_official_voc_rows_are_the_full_voc2012_rows():
    """terse_gt_2012.pkl (labels of all 11,540 VOC 2012 trainval images by the same code) gives the
    long-tailed rows of class_freq.pkl for the ids of img_id.txt, in order: no image was dropped."""
    terse = safe_pickle.load(OFFICIAL / "VOCdevkit" / "terse_gt_2012.pkl")
    ids = mlt.read_ids(OFFICIAL_FILES["voc-mlt"] / "img_id.txt")
    rows = np.asarray([terse["gt_labels"][terse["img_id2idx"][i]] for i in ids])
    assert np.array_equal(rows, np.asarray(safe_pickle.load(OFFICIAL_FILES["voc-mlt"] / "class_freq.pkl")["gt_labels"]))


def test_hsv_and_resize_agree_with_opencv():
    """The official pipeline runs on OpenCV (mmcv.bgr2hsv/hsv2bgr/imresize); ours must agree with it,
    out-of-range values (brightness/contrast are never clipped) included."""
    cv2 = pytest.importorskip("cv2")
    rng = np.random.default_rng(0)
    bgr = (rng.random((37, 41, 3)) * 300 - 30).astype(np.float32)
    hsv_cv = cv2.cvtColor(bgr, cv2.COLOR_BGR2HSV)
    rgb = torch.from_numpy(bgr[..., ::-1].copy()).permute(2, 0, 1)
    assert np.abs(mlt_images.rgb_to_hsv_float(rgb).permute(1, 2, 0).numpy() - hsv_cv).max() < 1e-3
    hsv_cv[..., 1] *= 1.4  # saturation beyond 1, as PhotoMetricDistortion can make it
    hsv_cv[..., 0] = (hsv_cv[..., 0] + 17) % 360
    back = mlt_images.hsv_to_rgb_float(torch.from_numpy(hsv_cv).permute(2, 0, 1)).permute(1, 2, 0).numpy()
    assert np.abs(back[..., ::-1] - cv2.cvtColor(hsv_cv, cv2.COLOR_HSV2BGR)).max() < 1e-3
    img = (rng.random((45, 67, 3)) * 255).astype(np.float32)
    for size in (224, 20):
        ours = mlt_images.resize_bilinear(torch.from_numpy(img).permute(2, 0, 1), size).permute(1, 2, 0).numpy()
        assert np.abs(ours - cv2.resize(img, (size, size), interpolation=cv2.INTER_LINEAR)).max() < 0.01


def test_coco_orders_agree_with_pycocotools(tmp_path):
    """Class order = COCO.getCatIds(), test order = COCO.getImgIds() (what the official coco.py calls)."""
    coco_api = pytest.importorskip("pycocotools.coco")
    root = write_coco_mlt(tmp_path)
    api = coco_api.COCO(str(root / "annotations" / "instances_val2017.json"))
    paths, _ = mlt.load_coco_mlt(root, "test", check=False)
    assert [Path(p).name for p in paths] == [api.loadImgs([i])[0]["file_name"] for i in api.getImgIds()]
    assert api.getCatIds() == COCO_CATEGORY_IDS
