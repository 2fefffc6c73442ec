"""Class-aware sampling, as the official samplers draw it: classifier-balancing's
``data/ClassAwareSampler.py`` (Kang et al. 2020; cRT, the decoupled stage of Seesaw sec. 4.4) for
single-label data, and its multi-label form in the Distribution-Balanced Loss code.

Both walk a random cycle over the classes (each class once per cycle, then reshuffled) and take
``num_samples_cls`` consecutive images from the visited class's own random cycle over its images
(:class:`_ClassCycleSampler`); they differ in what a class's images are and in the epoch length.
"""
from __future__ import annotations

import math

import numpy as np
import torch
from .registry import register
from mmengine.dist import get_dist_info, sync_random_seed

from .runner import ResumableSampler


def shard_sizes(total: int, rank: int, world_size: int, round_up: bool) -> tuple[int, int]:
    """(draws of this rank, global sequence length), as mmengine's DefaultSampler: with ``round_up``
    the sequence is padded to a multiple of the world size, else the last ranks get one less."""
    if round_up:
        num_samples = math.ceil(total / world_size)
        return num_samples, num_samples * world_size
    return math.ceil((total - rank) / world_size), total


class _IndexSampler(ResumableSampler):
    """A seeded sampler whose subclass builds the epoch's global index sequence (``indices()``:
    this rank's part, before ``skip``); deterministic per (seed, epoch), sharded across ranks as
    mmengine's DefaultSampler, and resumable part-way through an epoch (``skip``)."""

    def _setup(self, dataset, seed: int | None, total: int, round_up: bool) -> None:
        self.dataset = dataset
        self.rank, self.world_size = get_dist_info()
        self.seed = sync_random_seed() if seed is None else seed
        self.shuffle, self.round_up, self.epoch = True, round_up, 0
        self.num_samples, self.total_size = shard_sizes(total, self.rank, self.world_size, round_up)

    def indices(self) -> torch.Tensor:
        raise NotImplementedError

    def __iter__(self):
        return iter(self.indices()[self.skip:].tolist())

    def __len__(self) -> int:
        return self.num_samples - self.skip


class _ClassCycleSampler(_IndexSampler):
    """The draw of both official class-aware samplers (rules kept and differences: see
    :class:`MultiLabelClassAwareSampler`). A subclass gives the (class, image) pairs and the epoch length."""

    def _labels(self, dataset, expected: str) -> np.ndarray:
        """The dataset's ``labels`` as a numpy array; a TypeError naming what is expected when it has none."""
        labels = getattr(dataset, "labels", None)
        if labels is None:
            raise TypeError(f"{type(self).__name__} needs a dataset with {expected}; {type(dataset).__name__} has none")
        if isinstance(labels, torch.Tensor):
            labels = labels.detach().cpu().numpy()
        return np.asarray(labels)

    def _setup_classes(self, cls_of: np.ndarray, img_of: np.ndarray, num_classes: int, num_samples_cls: int):
        """Tables of the class and image cycles from (class, image) pairs grouped by class; returns
        the number of images of each class."""
        if int(num_samples_cls) < 1:
            raise ValueError(f"num_samples_cls must be >= 1, got {num_samples_cls}")
        self.num_samples_cls = int(num_samples_cls)
        counts = np.bincount(cls_of, minlength=num_classes)
        present = np.flatnonzero(counts)
        if present.size == 0:
            raise ValueError(f"{type(self).__name__}: no class has an image")
        self.classes = torch.as_tensor(present)  # classes in the cycle
        self.counts = torch.as_tensor(counts[present])
        self.starts = torch.as_tensor(np.cumsum(counts)[present] - counts[present])  # offsets in `images`
        self.images = torch.as_tensor(img_of)  # image indices grouped by class
        return counts

    def draws(self) -> tuple[torch.Tensor, torch.Tensor]:
        """The global sequence of the current epoch (all ranks, before ``skip``): the class of each
        draw and the image drawn."""
        g = torch.Generator().manual_seed(self.seed + self.epoch)
        k, num_cls = self.num_samples_cls, len(self.classes)
        visits = -(-self.total_size // k)
        cycles = -(-visits // num_cls)
        # class cycle: one permutation of the classes per cycle; a class's visit in cycle q is its
        # q-th visit, so it takes positions q*k .. q*k+k-1 of that class's image stream
        visit_cls = torch.argsort(torch.rand(cycles, num_cls, generator=g), dim=1).flatten()[:visits]
        visit_ord = torch.arange(visits) // num_cls
        # image streams: class c's stream is ceil(cycles*k / n_c) fresh permutations of its images
        reps = -(-(cycles * k) // self.counts)
        block = reps * self.counts
        block_start = torch.cumsum(block, 0) - block
        entry_cls = torch.repeat_interleave(torch.arange(num_cls), block)
        within = torch.arange(int(block.sum())) - block_start[entry_cls]
        perm_id = (torch.cumsum(reps, 0) - reps)[entry_cls] + within // self.counts[entry_cls]
        image = self.images[self.starts[entry_cls] + within % self.counts[entry_cls]]
        shuffled = torch.argsort(torch.rand(len(image), generator=g))
        shuffled = shuffled[torch.argsort(perm_id[shuffled], stable=True)]  # shuffle inside each permutation
        stream = image[shuffled]
        pos = block_start[visit_cls, None] + visit_ord[:, None] * k + torch.arange(k)
        return (self.classes[visit_cls].repeat_interleave(k)[:self.total_size],
                stream[pos.flatten()[:self.total_size]])

    def indices(self) -> torch.Tensor:
        """This rank's indices for the current epoch (before ``skip``)."""
        return self.draws()[1][self.rank:self.total_size:self.world_size]


@register("DATA_SAMPLERS")
class LTClassAwareSampler(_ClassCycleSampler):
    """Class-aware sampling for single-label datasets: classifier-balancing's ``ClassAwareSampler``
    (facebookresearch/classifier-balancing ``data/ClassAwareSampler.py``), the sampler of cRT
    (``config/ImageNet_LT/cls_crt.yaml``: ``num_samples_cls: 4``; the class's default is 1). 'LT' keeps
    it apart from mmdet's own ``ClassAwareSampler`` (a different sampler) in mmdet's registry.

    The draw is the official one, with the per-epoch cycles, seeding and DDP sharding of
    :class:`MultiLabelClassAwareSampler`. Epoch length: the official ``__len__`` is the largest class
    size × the number of classes (1,280,000 draws on ImageNet-LT), but the official training loop
    stops each epoch after ``int(N / batch_size)`` batches, N the dataset size (``run_networks.py``,
    ``epoch_steps``: "training steps for each epoch based on actual number of training data instead
    of oversampled data number"). So ``num_samples`` defaults to N, and a config that wants the
    official epoch also drops the last, partial batch (``train_dataloader.drop_last=True``).
    """

    def __init__(self, dataset, seed: int | None = None, num_samples_cls: int = 1,
                 num_samples: int | None = None, round_up: bool = True):
        labels = self._labels(dataset, "a 'labels' array")
        if labels.ndim != 1 or labels.size == 0 or labels.min() < 0:
            raise ValueError(f"LTClassAwareSampler needs (N,) class indices >= 0, got shape {labels.shape}; "
                             "multi-hot labels take MultiLabelClassAwareSampler")
        order = np.argsort(labels, kind="stable")  # image indices grouped by class
        self._setup_classes(labels[order], order, int(labels.max()) + 1, num_samples_cls)
        self._setup(dataset, seed, len(labels) if num_samples is None else int(num_samples), round_up)


@register("DATA_SAMPLERS")
class MultiLabelClassAwareSampler(_ClassCycleSampler):
    """Class-aware sampling for multi-label datasets, after the ``ClassAwareSampler`` of the
    Distribution-Balanced Loss code (wutong16/DistributionBalancedLoss
    ``mllt/datasets/loader/sampler.py``; the DB configs set ``data.sampler='ClassAware'`` and no
    ``sampler_cfg``, so ``build_loader.py`` passes ``reduce=4`` and ``num_samples_cls`` keeps its
    default 3).

    Rules kept from the official sampler:

    * the class of each visit comes from a cycle over the classes (``RandomCycleIter``): a random
      permutation of the classes is walked through, then reshuffled, and so on -- every class is
      visited once per cycle, not drawn i.i.d.;
    * each visit takes ``num_samples_cls`` consecutive images (``class_aware_sample_generator``)
      from that class's own cycle over the images containing it (``get_index_dic``: images whose
      label entry is exactly 1), itself a random permutation walked through and reshuffled when
      exhausted (a visit can straddle two permutations, so a class with fewer images than
      ``num_samples_cls`` repeats images within a visit);
    * an epoch has ``num_samples = int(max_c n_c * C / reduce)`` draws (``n_c``: images of class
      ``c``, ``C``: all classes); the last visit is cut short when ``num_samples`` is not a multiple
      of ``num_samples_cls``.

    Differences:

    * the official sampler seeds Python's global ``random`` once (``random.seed(0)`` in
      ``__init__``) and its class / image cycles carry over from one epoch to the next
      (``set_epoch`` is stored but unused), so an epoch's order depends on every earlier epoch
      having been iterated and on any other use of the global ``random`` state, and it cannot
      resume mid-run. Here every epoch starts fresh cycles from a ``torch.Generator`` seeded with
      ``seed + epoch``: deterministic per (seed, epoch) and resumable (``skip``). Within an epoch
      the draws have the official distribution (a reshuffle of any order is a uniform
      permutation); only the carry-over of a cycle's position across the epoch boundary is dropped.
      classifier-balancing's single-label sampler is the same, without the ``random.seed(0)``.
    * a class without images is left out of the class cycle (the official ``RandomCycleIter([])``
      raises IndexError when that class comes up); it still counts in ``C`` for ``num_samples``.
    * DDP: the official code has no distributed class-aware path (``_dist_train`` raises
      NotImplementedError; classifier-balancing uses nn.DataParallel). Here every rank builds the
      same global sequence of ``num_samples`` draws (rounded up to a multiple of the world size
      when ``round_up``) and takes positions rank, rank + world, ... (mmengine DefaultSampler's
      sharding), so ``num_samples`` is the total over ranks and the i-th global batch holds the
      same draws as the i-th batch of one process.
    """

    def __init__(self, dataset, seed: int | None = None, num_samples_cls: int = 3, reduce: float = 4,
                 num_samples: int | None = None, round_up: bool = True):
        member = self._labels(dataset, "a 'labels' (N, C) multi-hot array") == 1
        if member.ndim != 2:
            raise ValueError(f"MultiLabelClassAwareSampler needs (N, C) multi-hot labels, got shape {member.shape}")
        cls_of, img_of = np.nonzero(member.T)  # (class, image) pairs, grouped by class
        counts = self._setup_classes(cls_of, img_of, member.shape[1], num_samples_cls)
        total = int(counts.max() * member.shape[1] / reduce) if num_samples is None else int(num_samples)
        self._setup(dataset, seed, total, round_up)
