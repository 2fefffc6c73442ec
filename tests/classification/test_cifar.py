import hashlib
import json
from dataclasses import replace

import numpy as np
import pytest
import torch

from lt_repro.data import __main__ as data_cli
from lt_repro.data import cifar, sources
from lt_repro.data.download import ChecksumError, Remote, file_digest
from lt_repro.data.transforms import PadCropFlip

from .fixtures import tar_folder, write_cifar10, write_cifar100


def test_official_checksums_match_torchvision():
    from torchvision.datasets import CIFAR10, CIFAR100

    for ours, tv in ((cifar.CIFAR10, CIFAR10), (cifar.CIFAR100, CIFAR100)):
        assert (ours.remote.url, ours.remote.md5, ours.folder) == (tv.url, tv.tgz_md5, tv.base_folder)
        assert ours.md5 == {**dict(tv.train_list + tv.test_list), tv.meta["filename"]: tv.meta["md5"]}


def test_load_real_pickle_layout(tmp_path):
    write_cifar10(tmp_path)
    images, labels = cifar.load(tmp_path, "train")
    assert images.shape == (120, 32, 32, 3) and images.dtype == np.uint8
    assert np.bincount(labels).tolist() == [12] * 10
    # row layout: 1024 red, then green, then blue values, each row-major
    raw = cifar.pickle.loads((tmp_path / "cifar-10-batches-py" / "data_batch_1").read_bytes(), encoding="latin1")
    assert images[0, 0, 1, 0] == raw["data"][0][1] and images[0, 0, 0, 2] == raw["data"][0][2048]
    write_cifar100(tmp_path)
    images, labels = cifar.load(tmp_path, "test", cifar.CIFAR100)
    assert images.shape == (100, 32, 32, 3) and sorted(set(labels.tolist())) == list(range(100))


def _fake_version(tmp_path, src):
    """The CIFAR-10 spec pointing at a file:// archive of the fixture, with the fixture's md5s."""
    archive = tar_folder(src, "cifar-10-batches-py", tmp_path / "served.tar.gz")
    md5 = {n: file_digest(src / "cifar-10-batches-py" / n) for n in cifar.CIFAR10.md5}
    remote = Remote(archive.as_uri(), "cifar-10-python.tar.gz", md5=file_digest(archive))
    return replace(cifar.CIFAR10, remote=remote, md5=md5)


def test_prepare_downloads_extracts_and_verifies(tmp_path):
    src = write_cifar10(tmp_path / "src")
    version = _fake_version(tmp_path, src)
    root = tmp_path / "root"
    cifar.prepare(root, version)
    assert (root / "cifar-10-python.tar.gz").exists() and not (root / "cifar-10-python.tar.gz.part").exists()
    assert np.array_equal(cifar.load(root, "test")[1], cifar.load(src, "test")[1])
    cifar.prepare(root, version)  # verified copy: no download


def test_prepare_checksum_mismatch(tmp_path):
    src = write_cifar10(tmp_path / "src")
    version = _fake_version(tmp_path, src)
    bad = replace(version, remote=replace(version.remote, md5="0" * 32))
    with pytest.raises(ChecksumError, match=r"cifar-10-python.tar.gz.part: md5 is .* expected 0{32}"):
        cifar.prepare(tmp_path / "root", bad)
    assert not list((tmp_path / "root").glob("*.part"))  # a bad download is not kept
    # a corrupted pickle inside an already extracted tree is caught too
    root = tmp_path / "root2"
    cifar.prepare(root, version)
    (root / "cifar-10-batches-py" / "test_batch").write_bytes(b"corrupt")
    with pytest.raises(ChecksumError, match="test_batch"):
        cifar.prepare(root, version)


def test_missing_dataset_names_layout_and_fix(tmp_path):
    with pytest.raises(FileNotFoundError, match=r"cifar-100-python.*fetch cifar100 --root"):
        cifar.load(tmp_path, "train", cifar.CIFAR100)


def test_split_cli_cui2019_and_sinha2020(tmp_path):
    write_cifar10(tmp_path, per_class_train=60)
    out = tmp_path / "s.json"
    assert data_cli.main(["split", "cifar10", "--root", str(tmp_path), "--rho", "10", "--protocol", "cui2019",
                          "--seed", "0", "--out", str(out)]) == 0
    split = json.loads(out.read_text())
    assert split["train_counts"] == [int(60 * 10 ** (-c / 9)) for c in range(10)]
    assert len(split["train"]) == sum(split["train_counts"]) and split["val"] == []
    assert split["sha256"] == hashlib.sha256(json.dumps({"train": split["train"], "val": []},
                                                        separators=(",", ":")).encode()).hexdigest()
    assert data_cli.main(["split", "cifar10", "--root", str(tmp_path), "--rho", "10", "--protocol", "sinha2020",
                          "--out", str(out)]) == 0
    split = json.loads(out.read_text())
    assert split["train_counts"][0] == 35 and len(split["val"]) == 250
    assert data_cli.main(["split", "cifar10", "--root", str(tmp_path), "--rho", "10", "--protocol", "nope",
                          "--out", str(out)]) == 2


def test_train_transform_pads_crops_flips():
    torch.manual_seed(0)
    t = PadCropFlip(4, 32, fill=(-1.0, -2.0, -3.0))
    x = torch.arange(3 * 32 * 32, dtype=torch.float32).view(3, 32, 32)
    outs = [t(x) for _ in range(50)]
    assert all(o.shape == (3, 32, 32) for o in outs)
    assert any(torch.equal(o, x.flip(-1)) or (o == -2.0).any() for o in outs)
    assert any(not torch.equal(o, x) for o in outs)
    # padded pixels carry the per-channel black value; the rest is a shifted window of x
    o = next(o for o in outs if (o[0] == -1.0).any())
    assert ((o[1] == -2.0) == (o[0] == -1.0)).all()
    src = sources.get("cifar10")
    corner = src.to_tensor(np.zeros((1, 32, 32, 3), np.uint8))[0, :, 0, 0]
    assert torch.allclose(corner, src.train_transform.fill.flatten())
    train = src.images_for(np.zeros((2, 32, 32, 3), np.uint8), "train")
    test = src.images_for(np.zeros((2, 32, 32, 3), np.uint8), "test")
    assert train[0].shape == (3, 32, 32) and isinstance(test, torch.Tensor)
    assert torch.allclose(test, torch.full_like(test, -1.0))  # x/128 − 1 of a zero pixel
