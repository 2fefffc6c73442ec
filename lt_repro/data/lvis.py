"""LVIS annotations (Gupta et al., CVPR 2019): v0.5 (EQL) and v1 (Seesaw), on COCO 2017 images.

Layout written by ``prepare`` (what mmdet's LVIS configs read):

  <root>/lvis_v1/annotations/lvis_v1_{train,val}.json     <root>/lvis_v1/{train,val}2017 -> ../coco/...
  <root>/lvis_v0.5/annotations/lvis_v0.5_{train,val}.json <root>/lvis_v0.5/{train,val}2017 -> ../coco/...

v1 archive sizes and sha256: tensorflow/datasets@8be2f3338ed9ed006be8a68eb8661207f8bb3f14:
tensorflow_datasets/object_detection/lvis/checksums.tsv. v0.5: no published checksum is known (that TFDS
file lists v1 only; the LVIS site and the mmdet/detectron2 docs give none), so none is given here and none
is invented.
``prepare`` therefore refuses to download v0.5 unless ``allow_unverified=True``; it then records the
sha256 of what it got in ``<archive>.sha256`` (trust on first use) and checks later copies against it.
"""
from __future__ import annotations

import json
import os
import zipfile
from pathlib import Path

from . import coco
from .download import Remote, fetch, file_digest

S3 = "https://s3-us-west-2.amazonaws.com/dl.fbaipublicfiles.com/LVIS/"
ANNOTATIONS = {
    "v1": {
        "train": Remote(S3 + "lvis_v1_train.json.zip", "lvis_v1_train.json.zip", size=350264821,
                        sha256="334a4caa374030a7817cf050364525e910f7960f9b6968cef47cffbf3893f8ba"),
        "val": Remote(S3 + "lvis_v1_val.json.zip", "lvis_v1_val.json.zip", size=64026968,
                      sha256="5cae9a3c79aadb667550c2b5dcf7f4d86e059a41ec91ef690225b667e28e9ba5"),
    },
    "v0.5": {  # checksums unknown: see the module docstring
        "train": Remote(S3 + "lvis_v0.5_train.json.zip", "lvis_v0.5_train.json.zip"),
        "val": Remote(S3 + "lvis_v0.5_val.json.zip", "lvis_v0.5_val.json.zip"),
    },
}
NUM_CATEGORIES = {"v1": 1203, "v0.5": 1230}


class UnverifiedDownload(RuntimeError):
    """A file has no published checksum and unverified downloads were not allowed."""


def dataset_dir(root: Path, version: str) -> Path:
    return Path(root) / f"lvis_{version}"


def annotation_path(root: Path, version: str, split: str) -> Path:
    return dataset_dir(root, version) / "annotations" / f"lvis_{version}_{split}.json"


def _fetch_unverified(remote: Remote, folder: Path) -> Path:
    """Download without a published checksum; pin its sha256 in a sidecar on first use."""
    dest = folder / remote.filename
    pin = folder / (remote.filename + ".sha256")
    if not dest.exists():
        import urllib.request

        folder.mkdir(parents=True, exist_ok=True)
        part = dest.with_name(dest.name + ".part")
        urllib.request.urlretrieve(remote.url, part)
        os.replace(part, dest)
    digest = file_digest(dest, "sha256")
    if pin.exists() and pin.read_text().split()[0] != digest:
        raise ValueError(f"{dest}: sha256 {digest} differs from the pinned {pin.read_text().split()[0]} in {pin}; "
                         f"delete both files to download again")
    pin.write_text(f"{digest}  {remote.filename}\n")
    return dest


def fetch_annotation(root: Path, version: str, split: str, *, allow_unverified: bool = False,
                     remotes: dict | None = None) -> Path:
    remote = (remotes or ANNOTATIONS)[version][split]
    archives = dataset_dir(root, version) / "archives"
    if remote.sha256 or remote.md5:
        archive = fetch(remote, archives)
    elif allow_unverified or (archives / remote.filename).exists():
        archive = _fetch_unverified(remote, archives)
    else:
        raise UnverifiedDownload(
            f"{remote.url} has no published checksum (lt_repro/data/lvis.py ANNOTATIONS['{version}']). "
            f"Download it by hand to {archives / remote.filename}, or pass --allow-unverified; its sha256 is then "
            f"pinned in {remote.filename}.sha256.")
    out = annotation_path(root, version, split)
    if not out.exists():
        out.parent.mkdir(parents=True, exist_ok=True)
        with zipfile.ZipFile(archive) as zf:
            names = [n for n in zf.namelist() if n.endswith(out.name)]
            if len(names) != 1:
                raise ValueError(f"{archive}: expected one '{out.name}' inside, found {zf.namelist()[:5]}")
            tmp = out.with_name(out.name + ".part")
            tmp.write_bytes(zf.read(names[0]))
            os.replace(tmp, out)
    return out


def check_annotation(path: Path, version: str | None = None) -> dict:
    """Sanity-check an LVIS json: categories with frequency r/c/f and image_count; returns a summary."""
    data = json.loads(Path(path).read_text())
    for key in ("images", "annotations", "categories"):
        if key not in data:
            raise ValueError(f"{path}: no '{key}'; not an LVIS annotation file")
    cats = data["categories"]
    bad = [c["id"] for c in cats if c.get("frequency") not in ("r", "c", "f") or "image_count" not in c]
    if bad:
        raise ValueError(f"{path}: categories {bad[:5]} lack frequency r/c/f or image_count")
    if version and len(cats) != NUM_CATEGORIES[version]:
        raise ValueError(f"{path}: {len(cats)} categories, LVIS {version} has {NUM_CATEGORIES[version]}")
    groups = {g: sum(c["frequency"] == g for c in cats) for g in "rcf"}
    return {"images": len(data["images"]), "annotations": len(data["annotations"]),
            "categories": len(cats), "frequency_groups": groups}


def link_images(root: Path, version: str, coco_root: Path) -> None:
    """<root>/lvis_<version>/<split>2017 -> the COCO image folders (relative links)."""
    ds = dataset_dir(root, version)
    ds.mkdir(parents=True, exist_ok=True)
    for split in ("train2017", "val2017"):
        link = ds / split
        if not link.exists():
            os.symlink(os.path.relpath(Path(coco_root) / split, ds), link)


def prepare(root: Path, version: str, *, coco_root: Path | None = None, allow_unverified: bool = False,
            with_images: bool = True) -> Path:
    """Annotations of one LVIS version (+ the COCO images, linked in); returns the dataset folder."""
    if version not in ANNOTATIONS:
        raise ValueError(f"unknown LVIS version {version!r}; use one of {sorted(ANNOTATIONS)}")
    root = Path(root)
    coco_root = Path(coco_root) if coco_root else root / "coco"
    for split in ("train", "val"):
        check_annotation(fetch_annotation(root, version, split, allow_unverified=allow_unverified), version)
    if with_images:
        coco.prepare(coco_root)
    link_images(root, version, coco_root)
    return dataset_dir(root, version)


def main(argv=None) -> int:
    import argparse
    import sys

    p = argparse.ArgumentParser(prog="python -m lt_repro.data.lvis",
                                description="fetch LVIS annotations + COCO 2017 images and verify them")
    p.add_argument("version", choices=sorted(ANNOTATIONS))
    p.add_argument("--root", required=True, help="data root (gets lvis_<version>/ and coco/)")
    p.add_argument("--coco-root", default=None, help="COCO images folder (default ROOT/coco)")
    p.add_argument("--allow-unverified", action="store_true",
                   help="download files without a published checksum (v0.5) and pin their sha256")
    p.add_argument("--no-images", action="store_true",
                   help="annotations only; link the COCO image folders but do not fetch them")
    args = p.parse_args(argv)
    try:
        ds = prepare(Path(args.root), args.version, coco_root=args.coco_root, allow_unverified=args.allow_unverified,
                     with_images=not args.no_images)
    except UnverifiedDownload as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    print(f"LVIS {args.version}: ready in {ds}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
