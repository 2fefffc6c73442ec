"""Long-tailed sub-sampling protocols, each named after the paper that defined it.

All use the exponential profile n_c = floor(n_max · ρ^(−c/(C−1))), c = 0..C−1, where ρ is
the imbalance ratio n_max / n_min (Cui et al. 2019, section 5.1; Cao et al. 2019 use the same).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np


def exponential_counts(n_max: int, num_classes: int, rho: float) -> list[int]:
    """Images per class under the exponential profile, floor-rounded as ``int()`` does."""
    if rho < 1:
        raise ValueError(f"imbalance ratio must be >= 1, got {rho}")
    if num_classes < 2:
        return [int(n_max)]
    c = np.arange(num_classes)
    return [int(n_max * rho ** (-float(k) / (num_classes - 1))) for k in c]


def first_per_class(labels: np.ndarray, counts: list[int], offset: np.ndarray | None = None) -> np.ndarray:
    """Indices of the first ``counts[c]`` samples of each class c in dataset order (after skipping
    ``offset[c]`` of them), returned sorted. Vectorised: a stable sort groups classes, ranks follow."""
    labels = np.asarray(labels)
    order = np.argsort(labels, kind="stable")
    sorted_labels = labels[order]
    starts = np.searchsorted(sorted_labels, np.arange(len(counts)))
    rank = np.arange(len(labels)) - starts[sorted_labels]
    lo = np.zeros(len(counts), dtype=np.int64) if offset is None else np.asarray(offset)
    hi = lo + np.asarray(counts)
    available = np.bincount(labels, minlength=len(counts))
    short = np.nonzero(hi > available)[0]
    if short.size:
        c = int(short[0])
        raise ValueError(f"class {c} has {available[c]} samples but the protocol needs {int(hi[c])}")
    keep = (rank >= lo[sorted_labels]) & (rank < hi[sorted_labels])
    return np.sort(order[keep])


def last_per_class(labels: np.ndarray, n: int) -> np.ndarray:
    """Indices of the last ``n`` samples of every class, sorted."""
    labels = np.asarray(labels)
    available = np.bincount(labels)
    return first_per_class(labels, [n] * len(available), offset=available - n)


@dataclass(frozen=True)
class Split:
    train: np.ndarray
    val: np.ndarray
    train_counts: list[int]


def holdout_then_exponential(labels: np.ndarray, num_classes: int, rho: float, n_max: int,
                             val_per_class: int) -> Split:
    """Hold out the last ``val_per_class`` images of each class as a balanced validation set, then
    take the first n_c = int(n_max·ρ^(−c/(C−1))) of the remaining images of each class.

    This is the CDB rule (Sinha et al. 2020, official ``CIFAR-LT`` data code: 25 validation images per
    class, n_max = 475 for CIFAR-100); the MNIST demo uses it with its own n_max and validation size.
    """
    labels = np.asarray(labels)
    val = last_per_class(labels, val_per_class)
    counts = exponential_counts(n_max, num_classes, rho)
    pool = np.ones(len(labels), dtype=bool)
    pool[val] = False
    pool_idx = np.nonzero(pool)[0]
    train = pool_idx[first_per_class(labels[pool_idx], counts)]
    return Split(train=train, val=val, train_counts=counts)
