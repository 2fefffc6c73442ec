"""Data command line: fetch datasets and write long-tailed split files.

  python -m lt_repro.data fetch mnist --root data/mnist
  python -m lt_repro.data split mnist --root data/mnist --rho 100 --n-max 5000 \
      --val-per-class 50 --out data/demo/mnist-lt-r100.split.json
"""
from __future__ import annotations

import argparse
import hashlib
import json
import sys
from pathlib import Path

from lt_repro.record import atomic_write_json

from . import mnist, protocols, sources

FETCHERS = {"mnist": mnist.prepare}


def index_digest(split: dict) -> str:
    """sha256 over the index lists, so that a split can be checked byte for byte."""
    blob = json.dumps({k: split[k] for k in ("train", "val")}, separators=(",", ":")).encode()
    return hashlib.sha256(blob).hexdigest()


def make_split(source: str, root: str, rho: float, n_max: int, val_per_class: int) -> dict:
    src = sources.get(source)
    _, labels = src.load(root, "train")
    s = protocols.holdout_then_exponential(labels, src.num_classes, rho, n_max, val_per_class)
    split = {
        "protocol": "holdout_then_exponential", "source": source, "rho": rho, "n_max": n_max,
        "val_per_class": val_per_class, "train_counts": s.train_counts,
        "train": s.train.tolist(), "val": s.val.tolist(),
    }
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
    s.add_argument("source", choices=["mnist"])
    s.add_argument("--root", required=True)
    s.add_argument("--rho", type=float, required=True, help="imbalance ratio n_max/n_min")
    s.add_argument("--n-max", type=int, required=True, help="images of the largest class")
    s.add_argument("--val-per-class", type=int, required=True, help="balanced validation images per class")
    s.add_argument("--out", required=True)
    args = p.parse_args(argv)
    if args.cmd == "fetch":
        FETCHERS[args.dataset](Path(args.root))
        print(f"{args.dataset}: verified in {args.root}", file=sys.stderr)
    else:
        split = make_split(args.source, args.root, args.rho, args.n_max, args.val_per_class)
        atomic_write_json(Path(args.out), split)
        print(f"{args.out}: {len(split['train'])} train / {len(split['val'])} val, counts {split['train_counts']}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
