"""Class-balanced sampling for classifier re-training (decoupled stage of Seesaw sec. 4.4).

Each draw picks a class uniformly among the classes present, then an image uniformly within that
class (with replacement): every class is equally likely, as in the class-balanced sampling of
Kang et al. 2020 (classifier-balancing ``data/ClassAwareSampler.py``). Differences from that file:
draws are i.i.d. (ClassAwareSampler cycles through shuffled class and image lists, 4 images per
class visit), and an epoch has ``num_samples`` draws (default: the dataset size; ClassAwareSampler
uses max class size × number of classes).
"""
from __future__ import annotations

import math

import numpy as np
import torch
from mmdet.registry import DATA_SAMPLERS
from mmengine.dist import get_dist_info, sync_random_seed

from .runner import ResumableSampler


@DATA_SAMPLERS.register_module()
class ClassBalancedSampler(ResumableSampler):
    """Seeded and deterministic per (seed, epoch); under DDP every rank draws the same global
    sequence and takes positions rank, rank + world, ... (mmengine DefaultSampler's sharding).
    Can start part-way through an epoch (``skip``, set by ResumableEpochBasedTrainLoop)."""

    def __init__(self, dataset, seed: int | None = None, num_samples: int | None = None, round_up: bool = True):
        labels = getattr(dataset, "labels", None)
        if labels is None:
            raise TypeError(f"ClassBalancedSampler needs a dataset with a 'labels' array; {type(dataset).__name__} has none")
        self.dataset = dataset
        self.rank, self.world_size = get_dist_info()
        self.seed = sync_random_seed() if seed is None else seed
        self.shuffle, self.round_up, self.epoch = True, round_up, 0
        labels = torch.as_tensor(np.asarray(labels), dtype=torch.long)
        counts = torch.bincount(labels)
        self.classes = torch.nonzero(counts).flatten()  # classes with at least one image
        self.counts = counts[self.classes]
        self.starts = torch.cumsum(counts, 0)[self.classes] - self.counts  # offset of each class in `order`
        self.order = torch.argsort(labels, stable=True)  # indices grouped by class
        total = len(labels) if num_samples is None else int(num_samples)
        if round_up:
            self.num_samples = math.ceil(total / self.world_size)
            self.total_size = self.num_samples * self.world_size
        else:
            self.num_samples = math.ceil((total - self.rank) / self.world_size)
            self.total_size = total

    def indices(self) -> torch.Tensor:
        """This rank's indices for the current epoch (before ``skip``)."""
        g = torch.Generator().manual_seed(self.seed + self.epoch)
        k = torch.randint(len(self.classes), (self.total_size,), generator=g)  # uniform over classes
        within = (torch.rand(self.total_size, generator=g) * self.counts[k]).long().clamp_max_(self.counts[k] - 1)
        return self.order[self.starts[k] + within][self.rank:self.total_size:self.world_size]

    def __iter__(self):
        return iter(self.indices()[self.skip:].tolist())

    def __len__(self) -> int:
        return self.num_samples - self.skip
