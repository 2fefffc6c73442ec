"""COCO 2017 train/val images (Lin et al. 2014), the image source of LVIS v0.5 and v1.

Archive sizes and sha256 are those of tensorflow/datasets@8be2f3338ed9ed006be8a68eb8661207f8bb3f14:
tensorflow_datasets/object_detection/lvis/checksums.tsv.
``prepare`` downloads an archive (resumable, checksummed, atomic; lt_repro.data.download),
extracts it into ``root/<split>2017/`` through a temporary folder, then writes a marker file.
"""
from __future__ import annotations

import os
import shutil
import tempfile
import zipfile
from pathlib import Path

from .download import Remote, fetch

BASE = "http://images.cocodataset.org/zips/"
IMAGES = {
    "train2017": Remote(BASE + "train2017.zip", "train2017.zip", size=19336861798,
                        sha256="69a8bb58ea5f8f99d24875f21416de2e9ded3178e903f1f7603e283b9e06d929"),
    "val2017": Remote(BASE + "val2017.zip", "val2017.zip", size=815585330,
                      sha256="4f7e2ccb2866ec5041993c9cf2a952bbed69647b115d0f74da7ce8f4bef82f05"),
}
NUM_IMAGES = {"train2017": 118287, "val2017": 5000}  # COCO 2017 release notes


def marker(root: Path, split: str) -> Path:
    return Path(root) / f".{split}.complete"


def extract_zip(archive: Path, dest: Path, member_dir: str) -> Path:
    """Extract ``member_dir/`` of ``archive`` to ``dest/member_dir`` atomically (temp dir + rename)."""
    dest = Path(dest)
    final = dest / member_dir
    if final.exists():
        return final
    dest.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{member_dir}.", dir=dest))
    try:
        with zipfile.ZipFile(archive) as zf:
            zf.extractall(tmp)
        if not (tmp / member_dir).is_dir():
            raise ValueError(f"{archive}: no folder '{member_dir}/' inside; is this the right archive?")
        os.replace(tmp / member_dir, final)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return final


def prepare(root: Path, splits=("train2017", "val2017"), remotes: dict | None = None) -> Path:
    """COCO images under ``root/<split>/``; the archives are kept in ``root/archives`` for re-checks."""
    root = Path(root)
    remotes = remotes or IMAGES
    for split in splits:
        if marker(root, split).exists():
            continue
        archive = fetch(remotes[split], root / "archives")
        folder = extract_zip(archive, root, split)
        n = sum(1 for _ in folder.glob("*.jpg"))
        expected = NUM_IMAGES.get(split) if remotes is IMAGES else None
        if expected is not None and n != expected:
            raise ValueError(f"{folder}: {n} images, expected {expected}; delete the folder and run again")
        marker(root, split).write_text(f"{n}\n")
    return root


def main(argv=None) -> int:
    import argparse
    import sys

    p = argparse.ArgumentParser(prog="python -m lt_repro.data.coco", description="fetch and verify COCO 2017 images")
    p.add_argument("--root", required=True, help="gets train2017/, val2017/ and archives/")
    p.add_argument("--splits", nargs="+", default=["train2017", "val2017"], choices=sorted(IMAGES))
    args = p.parse_args(argv)
    prepare(Path(args.root), tuple(args.splits))
    print(f"COCO {' '.join(args.splits)}: ready in {args.root}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
