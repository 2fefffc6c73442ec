"""LVIS/COCO/zoo download specs and preparation, on small archives in the real formats (file:// URLs)."""
import hashlib
import zipfile
from pathlib import Path

import pytest

from lt_repro.data import coco, lvis, zoo
from lt_repro.data.download import ChecksumError, Remote


def _zip(path: Path, members: dict) -> Path:
    with zipfile.ZipFile(path, "w") as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    return path


def _sha(path):
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def test_published_specs_are_complete():
    for split in ("train", "val"):
        r = lvis.ANNOTATIONS["v1"][split]
        assert r.url.startswith("https://") and len(r.sha256) == 64 and r.size > 0
        assert lvis.ANNOTATIONS["v0.5"][split].sha256 is None  # none published; see the module docstring
    for r in coco.IMAGES.values():
        assert r.url.startswith("http://images.cocodataset.org/zips/") and len(r.sha256) == 64


def test_annotation_fetch_extract_and_check(lvis_v1, tmp_path):
    archive = _zip(tmp_path / "lvis_v1_val.json.zip", {"lvis_v1_val.json": lvis_v1["val"].read_bytes()})
    remotes = {"v1": {"val": Remote(archive.as_uri(), archive.name, sha256=_sha(archive))}}
    out = lvis.fetch_annotation(tmp_path / "data", "v1", "val", remotes=remotes)
    assert out == tmp_path / "data/lvis_v1/annotations/lvis_v1_val.json"
    assert out.read_bytes() == lvis_v1["val"].read_bytes()
    summary = lvis.check_annotation(out)
    assert summary["categories"] == 5 and summary["frequency_groups"] == {"r": 1, "c": 2, "f": 2}
    with pytest.raises(ValueError, match="1203"):
        lvis.check_annotation(out, "v1")
    bad = {"v1": {"val": Remote(archive.as_uri(), "other.zip", sha256="0" * 64)}}
    with pytest.raises(ChecksumError):
        lvis.fetch_annotation(tmp_path / "data2", "v1", "val", remotes=bad)


def test_v05_without_checksum_needs_consent(lvis_v05, tmp_path):
    archive = _zip(tmp_path / "lvis_v0.5_train.json.zip", {"lvis_v0.5_train.json": lvis_v05["train"].read_bytes()})
    remotes = {"v0.5": {"train": Remote(archive.as_uri(), archive.name)}}
    with pytest.raises(lvis.UnverifiedDownload, match="allow-unverified"):
        lvis.fetch_annotation(tmp_path / "d", "v0.5", "train", remotes=remotes)
    out = lvis.fetch_annotation(tmp_path / "d", "v0.5", "train", remotes=remotes, allow_unverified=True)
    pin = tmp_path / "d/lvis_v0.5/archives/lvis_v0.5_train.json.zip.sha256"
    assert pin.read_text().split()[0] == _sha(archive) and out.exists()


def test_coco_extract_is_complete_or_absent(tmp_path):
    archive = _zip(tmp_path / "val2017.zip", {"val2017/000000000001.jpg": b"x", "val2017/000000000002.jpg": b"y"})
    remotes = {"val2017": Remote(archive.as_uri(), archive.name, sha256=_sha(archive))}
    coco.prepare(tmp_path / "coco", splits=("val2017",), remotes=remotes)
    assert sorted(p.name for p in (tmp_path / "coco/val2017").iterdir()) == ["000000000001.jpg", "000000000002.jpg"]
    assert (tmp_path / "coco/.val2017.complete").read_text().strip() == "2"
    wrong = _zip(tmp_path / "x.zip", {"train2017/a.jpg": b"x"})
    with pytest.raises(ValueError, match="val2017"):
        coco.extract_zip(wrong, tmp_path / "other", "val2017")
    assert not (tmp_path / "other/val2017").exists()


def test_zoo_release_name_carries_the_sha256_prefix(tmp_path):
    data = b"weights"
    good = tmp_path / f"model-{hashlib.sha256(data).hexdigest()[:8]}.pth"
    good.write_bytes(data)
    zoo.verify_release(good)
    bad = tmp_path / "model-00000000.pth"
    bad.write_bytes(data)
    with pytest.raises(ChecksumError):
        zoo.verify_release(bad)
    assert zoo.fetch_release(good.as_uri(), tmp_path / "dl" / good.name).read_bytes() == data
