"""Released model weights (mmdet model zoo): download with a sha256 check, atomically.

mmdet/mmengine name every released checkpoint ``<name>-<h>.pth`` where ``<h>`` is the first 8 hex
digits of the file's sha256 (mmengine ``publish_model``); that prefix is the only published digest, and
it is checked here. Weights are later loaded with ``torch.load(weights_only=True)`` (lt_repro.detect).
"""
from __future__ import annotations

import os
import re
import sys
import urllib.request
from pathlib import Path

from .download import ChecksumError, file_digest

NAME = re.compile(r"-([0-9a-f]{8})\.pth$")


def expected_prefix(filename: str) -> str:
    m = NAME.search(filename)
    if not m:
        raise ValueError(f"{filename}: not an mmdet release name '<name>-<8 hex digits of sha256>.pth'")
    return m.group(1)


def verify_release(path: Path) -> None:
    prefix = expected_prefix(Path(path).name)
    got = file_digest(path, "sha256")
    if not got.startswith(prefix):
        raise ChecksumError(f"{path}: sha256 {got} does not start with {prefix} (from its name); "
                            f"delete it and download again")


def fetch_release(url: str, dest: Path) -> Path:
    dest = Path(dest)
    if dest.exists():
        verify_release(dest)
        return dest
    dest.parent.mkdir(parents=True, exist_ok=True)
    part = dest.with_name(dest.name + ".part")
    urllib.request.urlretrieve(url, part)
    prefix = expected_prefix(Path(url).name)
    got = file_digest(part, "sha256")
    if not got.startswith(prefix):
        part.unlink()
        raise ChecksumError(f"{url}: sha256 {got} does not start with {prefix}; download again")
    os.replace(part, dest)
    return dest


if __name__ == "__main__":
    if len(sys.argv) != 3:
        raise SystemExit("usage: python -m lt_repro.data.zoo URL DEST")
    print(fetch_release(sys.argv[1], Path(sys.argv[2])), file=sys.stderr)
