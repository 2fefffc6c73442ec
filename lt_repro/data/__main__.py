"""Data command line: fetch datasets and write long-tailed split files.

  python -m lt_repro.data fetch mnist --root data/mnist
  python -m lt_repro.data fetch fashion-mnist --root data/fashion-mnist
  python -m lt_repro.data split mnist --root data/mnist --rho 100 --n-max 5000 \
      --val-per-class 50 --out data/demo/mnist-lt-r100.split.json
  python -m lt_repro.data frames egtea --root data/egtea --list train --workers 8
"""
from __future__ import annotations

import argparse
import hashlib
import json
import sys

import numpy as np
from functools import partial
from pathlib import Path

from lt_repro.record import atomic_write_json

from .download import ChecksumError, DownloadError

from . import cifar, fashion_mnist, mnist, protocols, sources

from . import egtea, imagenet, inat, mlt

FETCHERS = {"mnist": mnist.prepare, "fashion-mnist": fashion_mnist.prepare,
            "cifar10": cifar.prepare_cifar10, "cifar100": cifar.prepare_cifar100,
            "imagenet-lt": imagenet.fetch_lists, "egtea": egtea.fetch_lists, "coco-mlt": mlt.fetch_coco_mlt,
            "voc-mlt": mlt.fetch_voc_mlt}
# sources whose split is fixed by the dataset's own lists (no ρ): name → root → split dict
FIXED_SPLITS = {"imagenet-lt": imagenet.lt_split, "inat2017": partial(inat.split, version="2017"),
                "inat2018": partial(inat.split, version="2018"), "imagenet": None,
                "coco-mlt": partial(mlt.split, "coco-mlt"), "voc-mlt": partial(mlt.split, "voc-mlt"),
                "egtea": egtea.split}
# video sources whose clips are decoded into frame folders (``frames``): name -> (root, list, workers) -> manifest
FRAME_EXTRACTORS = {"egtea": egtea.extract_frames}


def index_digest(split: dict) -> str:
    """sha256 over the index lists, so that a split can be checked byte for byte."""
    blob = json.dumps({k: split[k] for k in ("train", "val")}, separators=(",", ":")).encode()
    return hashlib.sha256(blob).hexdigest()


def make_split(source: str, root: str, rho: float, n_max: int | None = None, val_per_class: int | None = None,
               protocol: str = "holdout_then_exponential", seed: int | None = None) -> dict:
    if source in FIXED_SPLITS:
        return fixed_split(source, root)
    src = sources.get(source)
    _, labels = src.load(root, "train")
    if protocol == "holdout_then_exponential":
        s = protocols.holdout_then_exponential(labels, src.num_classes, rho, n_max, val_per_class)
    else:
        given = (("n_max", n_max), ("val_per_class", val_per_class), ("seed", seed))
        options = {k: v for k, v in given if v is not None}
        s = protocols.get_protocol(protocol)(labels, src.num_classes, rho, **options)
    split = {
        "protocol": protocol, "source": source, "rho": rho, "n_max": n_max,
        "val_per_class": val_per_class, "seed": seed, "train_counts": s.train_counts,
        "train": s.train.tolist(), "val": s.val.tolist(),
    }
    split["sha256"] = index_digest(split)
    return split


def fixed_split(source: str, root: str) -> dict:
    if FIXED_SPLITS[source] is None:  # the whole ILSVRC-2012 training set
        _, labels = sources.get(source).load(root, "train")
        split = {"protocol": "ilsvrc2012", "train": list(range(len(labels))), "val": [],
                 "train_counts": np.bincount(labels).tolist()}
    else:
        split = FIXED_SPLITS[source](root)
    split.update(source=source)
    split["sha256"] = index_digest(split)
    return split


def main(argv=None) -> int:
    p = argparse.ArgumentParser(prog="python -m lt_repro.data", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="cmd", required=True)
    f = sub.add_parser("fetch", help="download (or find) a dataset and verify its checksums")
    f.add_argument("dataset", choices=sorted(FETCHERS))
    f.add_argument("--root", required=True)
    s = sub.add_parser("split", help="write a long-tailed split file (indices + counts + sha256)")
    s.add_argument("source", choices=["mnist", "fashion-mnist", "cifar10", "cifar100", *FIXED_SPLITS])
    s.add_argument("--root", required=True)
    s.add_argument("--rho", type=float, default=None, help="imbalance ratio n_max/n_min (not for fixed splits)")
    s.add_argument("--n-max", type=int, default=None, help="images of the largest class")
    s.add_argument("--val-per-class", type=int, default=None, help="balanced validation images per class")
    s.add_argument("--protocol", default="holdout_then_exponential",
                   help="holdout_then_exponential (needs --n-max, --val-per-class) or a name in protocols.PROTOCOLS")
    s.add_argument("--seed", type=int, default=None, help="seed of a random protocol (cui2019)")
    s.add_argument("--out", required=True)
    fr = sub.add_parser("frames", help="extract every frame of the clips of one split list (resumable, checksummed)")
    fr.add_argument("source", choices=sorted(FRAME_EXTRACTORS))
    fr.add_argument("--root", required=True)
    fr.add_argument("--list", required=True, choices=["train", "val", "test"], help="split list whose clips to extract")
    fr.add_argument("--workers", type=int, default=1, help="decoding processes")
    args = p.parse_args(argv)
    if args.cmd == "fetch":
        FETCHERS[args.dataset](Path(args.root))
        print(f"{args.dataset}: verified in {args.root}", file=sys.stderr)
    elif args.cmd == "frames":
        out = FRAME_EXTRACTORS[args.source](Path(args.root), args.list, args.workers)
        print(f"{args.source} {args.list}: frames extracted, manifest {out}", file=sys.stderr)
    else:
        try:
            split = make_split(args.source, args.root, args.rho, args.n_max, args.val_per_class,
                               args.protocol, args.seed)
        except (KeyError, FileNotFoundError, ValueError, TypeError) as err:
            print(f"error: {err}", file=sys.stderr)
            return 2
        atomic_write_json(Path(args.out), split)
        print(f"{args.out}: {len(split['train'])} train / {len(split['val'])} val, counts {split['train_counts']}",
              file=sys.stderr)
    return 0


def cli(argv=None) -> int:
    """``main`` with data errors reported as one line naming the file and the fix, exit status 1."""
    try:
        return main(argv)
    except (ChecksumError, DownloadError, FileNotFoundError, KeyError, ValueError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(cli())
