import gzip

import numpy as np
import pytest

from lt_repro.data import fashion_mnist
from lt_repro.data.download import ChecksumError, DownloadError


def test_a_missing_debian_package_names_the_install_command(tmp_path):
    with pytest.raises(DownloadError, match="apt-get install dataset-fashion-mnist"):
        fashion_mnist.prepare(tmp_path / "root", sources=("debian",), debian_dir=tmp_path / "nothing")


def test_a_wrong_archive_is_rejected_and_leaves_nothing(tmp_path):
    debian = tmp_path / "debian"
    debian.mkdir()
    for name in fashion_mnist.IDX_MD5:  # valid gzip, wrong content
        (debian / f"{name}.gz").write_bytes(gzip.compress(b"\0\0\x08\x01\0\0\0\0"))
    root = tmp_path / "root"
    with pytest.raises(ChecksumError, match="dataset-fashion-mnist"):
        fashion_mnist.prepare(root, sources=("debian",), debian_dir=debian)
    assert sorted(p.name for p in root.iterdir()) == []  # no half-verified file


def test_unknown_source_is_named(tmp_path):
    with pytest.raises(ValueError, match="unknown Fashion-MNIST source .ftp."):
        fashion_mnist.prepare(tmp_path, sources=("ftp",))


def test_checksum_tables_cover_the_four_files():
    assert set(fashion_mnist.ARCHIVE_MD5) == set(fashion_mnist.IDX_MD5) == set(fashion_mnist.IDX_SHA256)
    assert len(fashion_mnist.CLASSES) == 10


@pytest.mark.slow
def test_real_fashion_mnist_is_bit_exact(fashion_mnist_root):
    assert fashion_mnist.md5_table(fashion_mnist_root) == fashion_mnist.IDX_MD5
    images, labels = fashion_mnist.load(fashion_mnist_root, "train")
    assert images.shape == (60000, 28, 28) and images.dtype == np.uint8
    assert np.bincount(labels).tolist() == [6000] * 10
    test_images, test_labels = fashion_mnist.load(fashion_mnist_root, "test")
    assert test_images.shape == (10000, 28, 28) and np.bincount(test_labels).tolist() == [1000] * 10
    # the source's normalisation statistics are the training set's
    x = images.astype(np.float64) / 255
    assert (round(x.mean(), 4), round(x.std(), 4)) == (0.2860, 0.3530)


@pytest.mark.slow
def test_long_tailed_split_of_fashion_mnist(fashion_mnist_root, tmp_path):
    from lt_repro.data.__main__ import make_split

    split = make_split("fashion-mnist", str(fashion_mnist_root), 100, n_max=5000, val_per_class=50)
    assert split["train_counts"] == [5000, 2997, 1796, 1077, 645, 387, 232, 139, 83, 50]
    assert len(split["val"]) == 500 and len(split["train"]) == sum(split["train_counts"])
