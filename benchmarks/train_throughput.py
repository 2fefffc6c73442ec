"""Training throughput of ResNet-32 on CIFAR-shaped data: the project's data path against an
official-style one (a torchvision ``CIFAR10``-style dataset with per-image PIL transforms: pad-4 random
crop, flip, ToTensor, Normalize), both through a ``DataLoader`` at batch 128 and the same model, loss
and SGD step, measured in the same run. Prints images/s and the ratios (project / official) for the
data path alone and for the whole training step.

  python benchmarks/train_throughput.py [--device cuda] [--iters 20] [--workers 2] [--channels-last]
                                        [--amp bf16] [--compile] [--json OUT.json]
"""
from __future__ import annotations

import argparse
import json
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


def batches(dataset: Dataset, workers: int, n: int):
    loader = DataLoader(dataset, batch_size=BATCH, shuffle=True, num_workers=workers, drop_last=True,
                        persistent_workers=workers > 0)
    while True:
        for batch in loader:
            yield batch
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
    ap.add_argument("--workers", type=int, default=2, help="DataLoader workers (both paths)")
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
    paths = {"official": OfficialStyleCIFAR(images, labels, src.mean, src.std), "project": ProjectCIFAR(images, labels)}
    step = make_step(device, args.channels_last, args.amp, args.compile)
    res = {"device": str(device), "torch": torch.__version__, "threads": torch.get_num_threads(), "batch": BATCH,
           "workers": args.workers, "iters": args.iters, "channels_last": args.channels_last, "amp": args.amp,
           "compile": args.compile}
    for name, ds in paths.items():
        res[f"{name}_data_img_s"] = round(images_per_s(ds, args.workers, args.iters), 1)
        res[f"{name}_step_img_s"] = round(images_per_s(ds, args.workers, args.iters, step), 1)
    res["data_ratio"] = round(res["project_data_img_s"] / res["official_data_img_s"], 2)
    res["step_ratio"] = round(res["project_step_img_s"] / res["official_step_img_s"], 2)
    print(f"# ResNet-32, batch {BATCH}, {args.workers} workers, device {device}, torch {torch.__version__}")
    print(f"{'path':10} {'data img/s':>12} {'step img/s':>12}")
    for name in paths:
        print(f"{name:10} {res[f'{name}_data_img_s']:12.1f} {res[f'{name}_step_img_s']:12.1f}")
    print(f"project / official: data {res['data_ratio']}x, step {res['step_ratio']}x")
    if args.json:
        args.json.write_text(json.dumps(res, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
