"""Fashion-MNIST (Xiao, Rasul, Vollgraf 2017, arXiv:1708.07747), bit-exact, from the official files.

Zalando's 70,000 28x28 grey images of 10 clothing classes (6,000 train and 1,000 test images per class),
in MNIST's IDX format. Sources, tried in order:
1. the official download links of the four ``*-idx?-ubyte.gz`` archives, md5 as published in
   zalandoresearch/fashion-mnist@b2617bb3:README.md (lines 52-55), then the repository's own copies
   (its README: "the dataset appears under data/fashion"); resumable (lt_repro.data.download);
2. offline, Debian's package ``dataset-fashion-mnist`` (``apt-get install dataset-fashion-mnist``), which
   installs the archives under /usr/share/datasets/fashion-mnist/. Debian recompressed them (other .gz
   md5s), so only the decompressed IDX files are compared.
Either way the uncompressed IDX files must match the md5 and sha256 below, so both give the same bytes.
"""
from __future__ import annotations

import gzip
import shutil
from pathlib import Path

from .download import DownloadError, fetch_from_mirrors, file_digest, verify
from .mnist import load  # noqa: F401  (the same IDX file names and layout as MNIST)

MIRRORS = (
    "http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/",  # the README's download links
    "https://github.com/zalandoresearch/fashion-mnist/raw/master/data/fashion/",  # the repository's data/fashion
)
# md5 of the official gzip archives (zalandoresearch/fashion-mnist@b2617bb3:README.md, lines 52-55)
ARCHIVE_MD5 = {
    "train-images-idx3-ubyte": "8d4fb7e6c68d591d4c3dfef9ec88bf0d",
    "train-labels-idx1-ubyte": "25c81989df183df01b3e8a0aad5dffbe",
    "t10k-images-idx3-ubyte": "bef4ecab320f06d8554ea6380940ec79",
    "t10k-labels-idx1-ubyte": "bb300cfdad3c16e7a12a480ee83cd310",
}
# md5 and sha256 of the uncompressed IDX files: what every source must produce
IDX_MD5 = {
    "train-images-idx3-ubyte": "f4a8712d7a061bf5bd6d2ca38dc4d50a",
    "train-labels-idx1-ubyte": "9018921c3c673c538a1fc5bad174d6f9",
    "t10k-images-idx3-ubyte": "8181f5470baa50b63fa0f6fddb340f0a",
    "t10k-labels-idx1-ubyte": "15d484375f8d13e6eb1aabb0c3f46965",
}
IDX_SHA256 = {
    "train-images-idx3-ubyte": "c59f468a2f672dc815687fe0f83887768d799fd8a3f3276145d20f83aa44d888",
    "train-labels-idx1-ubyte": "bad3541b69d912435c50bb6ba87bec294ff4f6a2e1246121d8633921760443d9",
    "t10k-images-idx3-ubyte": "5b4141f0afbad91edebe8549f8fcffe087ea10ca49f1dbef5c9a5cd8815ce37b",
    "t10k-labels-idx1-ubyte": "0402a96d92fd2663957122ceb108a494c5af83dab82d92729df917d7dec38c34",
}
DEBIAN_PACKAGE = "dataset-fashion-mnist"
DEBIAN_DIR = Path("/usr/share/datasets/fashion-mnist")
CLASSES = ("T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot")
SOURCES = ("mirrors", "debian")


def _gunzip_verified(gz: Path, root: Path, name: str, hint: str = "") -> None:
    """Decompress ``gz`` to ``root/name`` through a temporary file, checking md5 and sha256 first."""
    tmp = root / (name + ".part")
    with gzip.open(gz, "rb") as src, open(tmp, "wb") as out:
        shutil.copyfileobj(src, out)
    try:
        verify(tmp, "md5", IDX_MD5[name], hint=hint)
        verify(tmp, "sha256", IDX_SHA256[name], hint=hint)
    except Exception:
        tmp.unlink()
        raise
    tmp.replace(root / name)


def _from_mirrors(root: Path, name: str) -> None:
    _gunzip_verified(fetch_from_mirrors(MIRRORS, name + ".gz", ARCHIVE_MD5[name], root / "archives"), root, name)


def _from_debian(root: Path, name: str, debian_dir: Path) -> None:
    gz = Path(debian_dir) / (name + ".gz")
    if not gz.exists():
        raise DownloadError(f"{gz} is missing: install Debian's package with "
                            f"'apt-get install {DEBIAN_PACKAGE}' (it puts the archives in {DEBIAN_DIR})")
    _gunzip_verified(gz, root, name, hint=f" (from Debian's {DEBIAN_PACKAGE}: reinstall it)")


def prepare(root: Path, sources: tuple[str, ...] = SOURCES, debian_dir: Path = DEBIAN_DIR) -> Path:
    """Make ``root`` hold the four verified IDX files; return ``root``. Files already there are verified;
    missing ones come from the first source that delivers them."""
    root = Path(root)
    root.mkdir(parents=True, exist_ok=True)
    for source in sources:
        if source not in SOURCES:
            raise ValueError(f"unknown Fashion-MNIST source {source!r}; use one of {SOURCES}")
    missing = [n for n in IDX_MD5 if not (root / n).exists()]
    for name in IDX_MD5:
        if name not in missing:
            verify(root / name, "md5", IDX_MD5[name])
    errors = []
    for source in sources:
        for name in list(missing):
            try:
                _from_mirrors(root, name) if source == "mirrors" else _from_debian(root, name, debian_dir)
                missing.remove(name)
            except DownloadError as err:
                errors.append(f"{source}: {err}")
                break  # the next source
    if missing:
        raise DownloadError(f"Fashion-MNIST files {missing} could not be fetched into {root}:\n  "
                            + "\n  ".join(errors))
    return root


def md5_table(root: Path) -> dict[str, str]:
    return {n: file_digest(Path(root) / n) for n in IDX_MD5}
