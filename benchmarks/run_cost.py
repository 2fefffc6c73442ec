"""What one CIFAR-LT grid cell costs through ``lt_repro.train`` on this machine, the figures behind each
grid's ``runtime_min`` and ``mem_mb`` (the formula is in the grid file).

Data: full-size CIFAR-shaped pickles (random pixels, 50,000 training and 10,000 test images) in the
official layout, so loading, the test pass and memory are those of the real sets. Runs of the config
as the workflow runs it (its batch size, workers, augmentation, validation):
  A: a small split of n = 8 batches, 1 epoch;  B: the same, 2 epochs;  C: 2n images, 1 epoch;
  M: the whole training set (the largest split of any grid) and 0 epochs: the memory of holding it.
Then  c = (t_C - t_A) / n          seconds per training image,
      v = (t_B - t_A) - c n        seconds per epoch beyond training (validation),
      f = t_A - c n - v            seconds once per run (start-up, building, the test pass),
and a run of E epochs on N images takes about f + E (c N + v). Peak memory: the largest maxrss of the
training process itself (DataLoader workers share its pages and are not counted).

  python benchmarks/run_cost.py --config configs/cb/resnet32_1xb128-200e_cifar-lt.py --source cifar10 \\
      [--set key=value ...] [--device-data] [--json OUT.json]
"""
from __future__ import annotations

import argparse
import json
import os
import pickle
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
LAYOUT = {"cifar10": ("cifar-10-batches-py", "labels", 10), "cifar100": ("cifar-100-python", "fine_labels", 100)}


def write_cifar(root: Path, source: str, seed: int = 0) -> None:
    """Random-pixel pickles named and shaped as the official archives (lt_repro.data.cifar.load reads them)."""
    folder, key, classes = LAYOUT[source]
    out = root / folder
    out.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    train = rng.permutation(np.repeat(np.arange(classes), 50000 // classes))
    test = np.repeat(np.arange(classes), 10000 // classes)
    names = ({f"data_batch_{b}": part for b, part in enumerate(np.array_split(train, 5), start=1)}
             if source == "cifar10" else {"train": train})
    names["test_batch" if source == "cifar10" else "test"] = test
    for name, labels in names.items():
        data = rng.integers(0, 256, (len(labels), 3072), dtype=np.uint8)
        (out / name).write_bytes(pickle.dumps({key: labels.tolist(), "data": data}, protocol=2))


def write_split(path: Path, train: np.ndarray, labels: np.ndarray, classes: int, val: np.ndarray) -> Path:
    counts = np.bincount(labels[train], minlength=classes).tolist()
    path.write_text(json.dumps({"train": train.tolist(), "val": val.tolist(), "train_counts": counts}))
    return path


def run(config: str, root: Path, split: Path, epochs: int, work: Path, sets: list[str], device_data: bool) -> dict:
    """One lt_repro.train run; its wall time and the peak RSS of the training process."""
    from mmengine.config import Config

    parts = [p for p in ("train", "val", "test") if Config.fromfile(REPO / config).get(f"{p}_dataloader")]
    data = [f"{p}_dataloader.dataset.{k}={v}" for p in parts for k, v in (("root", root), ("split_file", split))]
    kind = ["train_dataloader.dataset.type=LTDeviceSplitDataset"] if device_data else []
    kind += ["param_scheduler=[]"] if epochs == 0 else []  # a schedule over 0 iterations does not build
    args = [sys.executable, "-m", "lt_repro.train", config, "--work-dir", str(work / "w"), "--out-dir",
            str(work / "o"), "--seed", "0", "--no-progress", "--set", *data, f"train_cfg.max_epochs={epochs}",
            *kind, *sets]
    start = time.perf_counter()
    proc = subprocess.Popen(args, cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    out = proc.stdout.read()
    _, status, usage = os.wait4(proc.pid, 0)
    seconds = time.perf_counter() - start
    if status != 0:
        raise RuntimeError(f"lt_repro.train failed ({status}):\n{out[-3000:]}")
    return {"seconds": round(seconds, 1), "maxrss_mb": round(usage.ru_maxrss / 1024)}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], epilog=__doc__.split("\n\n", 1)[1],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--config", required=True)
    ap.add_argument("--source", choices=sorted(LAYOUT), required=True)
    ap.add_argument("--batch", type=int, required=True, help="the config's training batch size")
    ap.add_argument("--val-per-class", type=int, default=0, help="validation images per class (CDB: 25)")
    ap.add_argument("--set", nargs="*", default=[], help="further lt_repro.train --set overrides")
    ap.add_argument("--device-data", action="store_true", help="train through LTDeviceSplitDataset")
    ap.add_argument("--json", type=Path, default=None)
    args = ap.parse_args(argv)
    classes = LAYOUT[args.source][2]
    load = [round(x, 2) for x in os.getloadavg()]
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        write_cifar(tmp / "data", args.source)
        from lt_repro.data import sources

        _, labels = sources.get(args.source).load(tmp / "data", "train")
        rng = np.random.default_rng(1)
        order = rng.permutation(len(labels))
        val = np.concatenate([np.flatnonzero(labels == c)[:args.val_per_class] for c in range(classes)])
        pool = np.setdiff1d(order, val, assume_unique=True)
        n = 8 * args.batch
        small = write_split(tmp / "small.json", pool[:n], labels, classes, val)
        double = write_split(tmp / "double.json", pool[:2 * n], labels, classes, val)
        whole = write_split(tmp / "whole.json", pool, labels, classes, val)
        plan = {"A": (small, 1), "B": (small, 2), "C": (double, 1), "M": (whole, 0)}
        runs = {name: run(args.config, tmp / "data", split, epochs, tmp / name, args.set, args.device_data)
                for name, (split, epochs) in plan.items()}
    t = {k: r["seconds"] for k, r in runs.items()}
    c = (t["C"] - t["A"]) / n
    v = (t["B"] - t["A"]) - c * n
    res = {"config": args.config, "source": args.source, "batch": args.batch, "n": n, "device_data": args.device_data,
           "runs": runs, "s_per_train_image": round(c, 5), "s_per_epoch_extra": round(v, 1),
           "s_per_run": round(t["A"] - c * n - v, 1), "peak_rss_mb": max(r["maxrss_mb"] for r in runs.values()),
           "whole_split_images": len(pool), "load_avg_1_5_15_before": load,
           "load_avg_1_5_15_after": [round(x, 2) for x in os.getloadavg()], "cpus": os.cpu_count()}
    print(json.dumps(res, indent=1))
    if args.json:
        args.json.write_text(json.dumps(res, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
