"""The device-resident data path for in-memory image sources (MNIST, CIFAR): the split is one uint8
tensor on the training device and each batch is gathered and augmented there as a whole.

Selected per dataloader by the dataset type alone, e.g. ``--set train_dataloader.dataset.type=LTDeviceSplitDataset``
(same arguments as ``LTSplitDataset``). The runner (``AtomicCheckpointRunner.build_dataloader``) then builds
that dataloader with :func:`whole_batch_dataloader`: no worker processes, a :class:`KeyedBatchSampler` around the
config's sampler (same seeded order, DDP shard and mid-epoch ``skip``), and the dataset's ``__getitems__``
returns the finished batch (``torch.utils.data`` calls it once per batch).

Augmentation draws: batch b of epoch e on rank r draws from a CPU generator seeded with
(sampler seed, e, r, b), so a run resumed mid-epoch sees the same augmentation as the uninterrupted one,
and the draws do not depend on the device. The per-image path draws from the global generator instead.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from lt_repro.data import sources

from .registry import DATASETS, register


@dataclass(frozen=True)
class KeyedBatch:
    """One batch's dataset indices and the seed of its augmentation draws."""
    indices: torch.Tensor
    key: int

    def __len__(self) -> int:
        return len(self.indices)


def batch_key(seed: int, epoch: int, rank: int, batch: int) -> int:
    """A 63-bit seed for the draws of one batch (numpy SeedSequence: distinct inputs, independent streams)."""
    return int(np.random.SeedSequence([seed, epoch, rank, batch]).generate_state(1, np.uint64)[0] >> np.uint64(1))


@register("DATA_SAMPLERS")
class KeyedBatchSampler(torch.utils.data.Sampler):
    """Cuts ``sampler``'s order into batches of ``batch_size`` (the last one shorter unless ``drop_last``)
    and yields each as a :class:`KeyedBatch`. A sampler with ``skip`` (ResumableSampler) starts part-way;
    ``skip`` is a multiple of the batch size there, so batch numbers, and keys, are those of the whole epoch."""

    def __init__(self, sampler, batch_size: int, drop_last: bool = False):
        self.sampler, self.batch_size, self.drop_last = sampler, int(batch_size), bool(drop_last)

    def __iter__(self):
        order = torch.as_tensor(list(iter(self.sampler)), dtype=torch.long)
        first = getattr(self.sampler, "skip", 0) // self.batch_size
        seed, epoch = int(getattr(self.sampler, "seed", 0) or 0), int(getattr(self.sampler, "epoch", 0))
        rank = int(getattr(self.sampler, "rank", 0))
        for b, indices in enumerate(order.split(self.batch_size), start=first):
            if self.drop_last and len(indices) < self.batch_size:
                return
            yield KeyedBatch(indices, batch_key(seed, epoch, rank, b))

    def __len__(self) -> int:
        n = len(self.sampler)
        return n // self.batch_size if self.drop_last else -(-n // self.batch_size)


def whole_batch(batch: dict) -> dict:
    """The collate function of whole-batch datasets: the batch is already made."""
    return batch


def device_of(device: str | torch.device) -> torch.device:
    """'auto': this process's CUDA device (DDP sets it per rank) when there is one, else the CPU."""
    if str(device) != "auto":
        return torch.device(device)
    return torch.device("cuda", torch.cuda.current_device()) if torch.cuda.is_available() else torch.device("cpu")


@register("DATASETS")
class LTDeviceSplitDataset(torch.utils.data.Dataset):
    """One subset of a long-tailed split, as ``LTSplitDataset`` (same arguments, same images and labels),
    held on ``device`` as uint8 and served in whole batches: ``__getitems__`` gathers the batch on the
    device and applies the batched form of the source's pipeline
    (:meth:`lt_repro.data.sources.Source.batch_transform`). ``dataset[i]`` still gives one sample."""

    whole_batches = True  # AtomicCheckpointRunner builds its dataloader with whole_batch_dataloader

    def __init__(self, source: str, root: str, split_file: str, subset: str, augment: str | None = "default",
                 image_size: int | None = None, mean: list[float] | None = None, std: list[float] | None = None,
                 device: str = "auto"):
        if subset not in ("train", "val", "test"):
            raise ValueError(f"subset must be 'train', 'val' or 'test', got {subset!r}")
        if image_size is not None:
            raise ValueError("image_size applies to file-based sources, which LTDeviceSplitDataset does not hold; "
                             "remove it or use LTSplitDataset")
        loader = sources.get(source)
        self.transform = loader.batch_transform(subset, augment, mean, std)  # refuses file-based sources
        split = json.loads(Path(split_file).read_text())
        images, labels = loader.load(root, "test" if subset == "test" else "train")
        if subset != "test":
            idx = np.asarray(split[subset], dtype=np.int64)
            images, labels = images[idx], labels[idx]
        self._hold(images, labels, device)
        self.train_counts = split["train_counts"]
        self.metainfo = {"source": source, "subset": subset, "num_classes": len(self.train_counts)}

    @classmethod
    def from_arrays(cls, images: np.ndarray, labels: np.ndarray, transform, device: str = "auto"):
        """A dataset of these N×H×W(×C) uint8 images and (N,) labels, served through ``transform`` (a
        batch transform, e.g. ``sources.get('cifar10').batch_transform('train')``); for benchmarks."""
        self = cls.__new__(cls)
        self.transform = transform
        self._hold(images, labels, device)
        self.metainfo = {}
        return self

    def _hold(self, images: np.ndarray, labels: np.ndarray, device: str) -> None:
        labels = np.asarray(labels)
        if labels.ndim != 1:
            raise ValueError(f"LTDeviceSplitDataset holds single-label data; got labels of shape {labels.shape}")
        self.device = device_of(device)
        self.images = sources.Source.to_uint8(images).to(self.device)  # N×C×H×W uint8
        self.labels = torch.as_tensor(labels, dtype=torch.long).to(self.device)

    def __len__(self) -> int:
        return len(self.labels)

    def __getitems__(self, batch) -> dict:
        """A KeyedBatch (its key seeds the draws) or a list of indices (draws from the global generator)."""
        if isinstance(batch, KeyedBatch):
            indices, generator = batch.indices, torch.Generator().manual_seed(batch.key)
        else:
            indices, generator = torch.as_tensor(list(batch), dtype=torch.long), None
        indices = indices.to(self.device, non_blocking=True)
        x = self.images.index_select(0, indices)
        draws = self.transform.draw(len(x), tuple(x.shape[-2:]), generator)
        return {"inputs": self.transform.apply(x, draws), "labels": self.labels.index_select(0, indices)}

    def __getitem__(self, i: int) -> dict:
        out = self.__getitems__([i])
        return {"inputs": out["inputs"][0], "labels": out["labels"][0]}


def builds_whole_batches(dataset_cfg) -> bool:
    """Whether a dataset config names a whole-batch dataset (by registered name or class)."""
    kind = dataset_cfg.get("type") if isinstance(dataset_cfg, dict) else None
    if isinstance(kind, str):
        kind = DATASETS.get(kind)
    return bool(getattr(kind, "whole_batches", False))


def whole_batch_dataloader(cfg: dict) -> dict:
    """A dataloader config for a whole-batch dataset: the config's sampler inside a KeyedBatchSampler
    (batch size and drop_last move there), no worker processes (the data is on the device already), no
    pinning, and a collate function that passes the batch through."""
    if cfg.get("batch_sampler") is not None:
        raise ValueError(f"{cfg['dataset'].get('type')} makes its own batches; remove the dataloader's batch_sampler")
    drop_last = bool(cfg.get("drop_last", False))
    cfg = {k: v for k, v in cfg.items() if k not in ("persistent_workers", "prefetch_factor", "drop_last")}
    cfg.update(batch_sampler=dict(type=KeyedBatchSampler, drop_last=drop_last), num_workers=0, pin_memory=False,
               collate_fn=dict(type=whole_batch))
    return cfg
