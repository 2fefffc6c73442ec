import struct

import numpy as np
import pytest

from lt_repro.data import mnist


def write_idx(path, array):
    codes = {np.uint8: 0x08, np.int32: 0x0C}
    header = struct.pack(">BBBB", 0, 0, codes[array.dtype.type], array.ndim)
    header += struct.pack(f">{array.ndim}I", *array.shape)
    data = array.astype(array.dtype.newbyteorder(">")).tobytes()
    path.write_bytes(header + data)


def test_read_idx_roundtrip(tmp_path):
    images = np.arange(3 * 4 * 5, dtype=np.uint8).reshape(3, 4, 5)
    write_idx(tmp_path / "img", images)
    np.testing.assert_array_equal(mnist.read_idx(tmp_path / "img"), images)
    big = np.array([[1, -2], [70000, 3]], dtype=np.int32)
    write_idx(tmp_path / "big", big)
    np.testing.assert_array_equal(mnist.read_idx(tmp_path / "big"), big)


def test_read_idx_rejects_bad_magic_and_truncation(tmp_path):
    (tmp_path / "bad").write_bytes(b"\x1f\x8b\x08\x00rest")  # a gzip header, not IDX
    with pytest.raises(ValueError, match="not an IDX file"):
        mnist.read_idx(tmp_path / "bad")
    write_idx(tmp_path / "img", np.zeros((2, 3, 3), np.uint8))
    raw = (tmp_path / "img").read_bytes()
    (tmp_path / "img").write_bytes(raw[:-1])
    with pytest.raises(ValueError, match="header says"):
        mnist.read_idx(tmp_path / "img")


def test_prepare_rejects_a_corrupt_file_with_the_fix(tmp_path):
    for name in mnist.IDX_MD5:
        (tmp_path / name).write_bytes(b"\0\0\x08\x01\0\0\0\0")
    with pytest.raises(Exception, match="re-download"):
        mnist.prepare(tmp_path, sources=())


def test_unknown_source_is_named(tmp_path):
    with pytest.raises(ValueError, match="unknown MNIST source .ftp."):
        mnist.prepare(tmp_path, sources=("ftp",))


# Class counts of the official MNIST training and test sets.
TRAIN_COUNTS = [5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949]
TEST_COUNTS = [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]


@pytest.mark.slow
def test_real_mnist_is_bit_exact(mnist_root):
    assert mnist.md5_table(mnist_root) == mnist.IDX_MD5
    images, labels = mnist.load(mnist_root, "train")
    assert images.shape == (60000, 28, 28) and images.dtype == np.uint8
    assert np.bincount(labels).tolist() == TRAIN_COUNTS
    _, test_labels = mnist.load(mnist_root, "test")
    assert np.bincount(test_labels).tolist() == TEST_COUNTS


def test_cli_reports_a_corrupt_file_in_one_line(tmp_path, capsys):
    from lt_repro.data.__main__ import cli

    for name in mnist.IDX_MD5:
        (tmp_path / name).write_bytes(b"\0\0\x08\x01\0\0\0\0")
    assert cli(["fetch", "mnist", "--root", str(tmp_path)]) == 1
    err = capsys.readouterr().err
    assert err.startswith("error: ") and "re-download" in err and "Traceback" not in err
