"""Training throughput of ResNet-32 on CIFAR-shaped data: the project's data paths against an
official-style one (a torchvision ``CIFAR10``-style dataset with per-image PIL transforms: pad-4 random
crop, flip, ToTensor, Normalize), at batch 128 with the same model, loss and SGD step, measured in the
same run. Paths: 'official' and 'project' (LTSplitDataset's per-sample tensors) through a ``DataLoader``
with ``--workers`` processes; 'device' (LTDeviceSplitDataset: the split as uint8 on ``--device``, each
batch gathered and augmented there as a whole, no workers). Prints images/s of the data path alone and
of the whole training step, and the ratios against 'official' (and device / project).

  python benchmarks/train_throughput.py [--device cuda] [--iters 20] [--repeats 5] [--workers 2]
                                        [--channels-last] [--amp bf16] [--compile] [--json OUT.json]
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from PIL import Image
from torch.utils.data import DataLoader, Dataset
from torchvision import transforms

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from lt_repro.data import sources  # noqa: E402
from lt_repro.models import ResNet32  # noqa: E402

BATCH = 128  # CB's CIFAR recipe (configs/cb/resnet32_1xb128-200e_cifar-lt.py)


class OfficialStyleCIFAR(Dataset):
    """HWC uint8 images, each turned into a PIL image and transformed on access."""

    def __init__(self, images: np.ndarray, labels: np.ndarray, mean, std):
        self.images, self.labels = images, labels
        self.transform = transforms.Compose([transforms.RandomCrop(32, padding=4), transforms.RandomHorizontalFlip(),
                                             transforms.ToTensor(), transforms.Normalize(mean, std)])

    def __len__(self) -> int:
        return len(self.labels)

    def __getitem__(self, i: int):
        return self.transform(Image.fromarray(self.images[i])), int(self.labels[i])


class ProjectCIFAR(Dataset):
    """The tensors LTSplitDataset indexes for CIFAR training (lt_repro.data.sources 'cifar10')."""

    def __init__(self, images: np.ndarray, labels: np.ndarray):
        self.images = sources.get("cifar10").images_for(images, "train")
        self.labels = torch.as_tensor(labels)

    def __len__(self) -> int:
        return len(self.labels)

    def __getitem__(self, i: int):
        return self.images[i], self.labels[i]


def device_dataset(images: np.ndarray, labels: np.ndarray, device: torch.device):
    """The CIFAR training set of the device path: LTDeviceSplitDataset with source 'cifar10''s batch transform."""
    from lt_repro.mm.device_data import LTDeviceSplitDataset

    return LTDeviceSplitDataset.from_arrays(images, labels, sources.get("cifar10").batch_transform("train"), device)


def loader(dataset, workers: int) -> DataLoader:
    if getattr(dataset, "whole_batches", False):  # the runner's whole-batch dataloader, without mmengine's config
        from mmengine.dataset import DefaultSampler

        from lt_repro.mm.device_data import KeyedBatchSampler, whole_batch

        batches = KeyedBatchSampler(DefaultSampler(dataset, shuffle=True, seed=0), BATCH, drop_last=True)
        return DataLoader(dataset, batch_sampler=batches, collate_fn=whole_batch, num_workers=0)
    return DataLoader(dataset, batch_size=BATCH, shuffle=True, num_workers=workers, drop_last=True,
                      persistent_workers=workers > 0)


def batches(dataset, workers: int, n: int):
    data = loader(dataset, workers)
    while True:
        for batch in data:
            yield (batch["inputs"], batch["labels"]) if isinstance(batch, dict) else batch
            n -= 1
            if n == 0:
                return


def images_per_s(dataset, workers, iters, step=None) -> float:
    it = batches(dataset, workers, iters + 2)
    for _ in range(2):  # warm-up: worker start, cudnn autotune, compile
        x, y = next(it)
        if step:
            step(x, y)
    sync()
    start = time.perf_counter()
    for x, y in it:
        if step:
            step(x, y)
    sync()
    return iters * BATCH / (time.perf_counter() - start)


def sync():
    if torch.cuda.is_available():
        torch.cuda.synchronize()


def make_step(device, channels_last: bool, amp: str | None, compile_: bool):
    backbone = ResNet32()
    model = torch.nn.Sequential(backbone, torch.nn.Linear(backbone.out_channels, 10)).to(device)
    memory_format = torch.channels_last if channels_last else torch.contiguous_format
    model = model.to(memory_format=memory_format)
    forward = torch.compile(model) if compile_ else model
    opt = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9, weight_decay=2e-4)
    dtype = {"bf16": torch.bfloat16, "fp16": torch.float16}.get(amp)

    def step(x, y):
        x = x.to(device, non_blocking=True).contiguous(memory_format=memory_format)
        y = y.to(device, non_blocking=True)
        with torch.autocast(device.type, dtype=dtype, enabled=dtype is not None):
            loss = F.cross_entropy(forward(x), y)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
    return step


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], epilog=__doc__.split("\n\n", 1)[1],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--device", choices=("cpu", "cuda"), default="cpu")
    ap.add_argument("--iters", type=int, default=20, help="timed batches per measurement")
    ap.add_argument("--data-iters", type=int, default=None, help="timed batches, data alone (default: --iters)")
    ap.add_argument("--repeats", type=int, default=1, help="measurements per row; the table shows their median")
    ap.add_argument("--workers", type=int, default=2, help="DataLoader workers of the official and project paths")
    ap.add_argument("--images", type=int, default=4096, help="size of the CIFAR-shaped training set")
    ap.add_argument("--channels-last", action="store_true")
    ap.add_argument("--amp", choices=("bf16", "fp16"), default=None)
    ap.add_argument("--compile", action="store_true", help="torch.compile the model")
    ap.add_argument("--json", type=Path, default=None, help="also write the results here")
    args = ap.parse_args(argv)
    device = torch.device(args.device)
    rng = np.random.default_rng(0)
    images = rng.integers(0, 256, (args.images, 32, 32, 3), dtype=np.uint8)
    labels = rng.integers(0, 10, args.images)
    src = sources.get("cifar10")
    paths = {"official": OfficialStyleCIFAR(images, labels, src.mean, src.std), "project": ProjectCIFAR(images, labels),
             "device": device_dataset(images, labels, device)}
    step = make_step(device, args.channels_last, args.amp, args.compile)
    load = [round(x, 2) for x in os.getloadavg()]
    res = {"device": str(device), "torch": torch.__version__, "threads": torch.get_num_threads(), "batch": BATCH,
           "workers": args.workers, "iters": args.iters, "data_iters": args.data_iters or args.iters,
           "repeats": args.repeats, "channels_last": args.channels_last,
           "amp": args.amp, "compile": args.compile, "load_avg_1_5_15_before": load}
    parts = (("data", None, args.data_iters or args.iters), ("step", step, args.iters))
    runs = {(name, part): [] for name in paths for part, _, _ in parts}
    for _ in range(args.repeats):  # paths interleaved, so that each repeat compares them under the same load
        for name, ds in paths.items():
            for part, fn, iters in parts:
                runs[name, part].append(images_per_s(ds, args.workers, iters, fn))
    for (name, part), values in runs.items():
        res[f"{name}_{part}_img_s"] = round(float(np.median(values)), 1)
        res[f"{name}_{part}_runs"] = [round(v, 1) for v in values]
    res["load_avg_1_5_15_after"] = [round(x, 2) for x in os.getloadavg()]

    def ratio(a, b, part):  # median over the repeats of the ratio within each repeat
        return round(float(np.median(np.array(runs[a, part]) / np.array(runs[b, part]))), 2)

    for part, _, _ in parts:
        res[f"{part}_ratio"] = ratio("project", "official", part)
        res[f"device_{part}_ratio"] = ratio("device", "official", part)
        res[f"device_vs_project_{part}_ratio"] = ratio("device", "project", part)
    print(f"# ResNet-32, batch {BATCH}, {args.workers} workers (official, project; device: none), device {device}, "
          f"torch {torch.__version__}, {res['threads']} threads, {args.repeats} repeats of {args.iters} batches "
          f"({res['data_iters']} for data alone); "
          f"load average {load} before, {res['load_avg_1_5_15_after']} after")
    print("# img/s: median over the repeats; x: median of the per-repeat ratios to official")
    print(f"{'path':10} {'data img/s':>12} {'step img/s':>12} {'data x':>8} {'step x':>8}")
    for name, key in (("official", None), ("project", ""), ("device", "device_")):
        data_x, step_x = (1.0, 1.0) if key is None else (res[f"{key}data_ratio"], res[f"{key}step_ratio"])
        print(f"{name:10} {res[f'{name}_data_img_s']:12.1f} {res[f'{name}_step_img_s']:12.1f} {data_x:8.2f} "
              f"{step_x:8.2f}")
    print(f"ratios against official: project data {res['data_ratio']}x, step {res['step_ratio']}x; "
          f"device data {res['device_data_ratio']}x, step {res['device_step_ratio']}x; "
          f"device / project: data {res['device_vs_project_data_ratio']}x, step {res['device_vs_project_step_ratio']}x")
    if args.json:
        args.json.write_text(json.dumps(res, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
