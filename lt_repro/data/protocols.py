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


# --- named protocols: ``PROTOCOLS[name](labels, num_classes, rho, **options) -> Split`` ---------

def cui2019(labels: np.ndarray, num_classes: int, rho: float, n_max: int | None = None,
            seed: int = 0, order: str = "random", val_per_class: int = 0) -> Split:
    """Long-tailed CIFAR of Cui et al. 2019 (section 5.1): n_c = int(n_max·ρ^(−c/(C−1))) training
    images of class c (n_max = images per class of the balanced set), no validation split (the
    paper evaluates on the official test set).

    The official ``src/generate_cifar_tfrecords_im.py`` keeps ``random.shuffle(ids)[:n_c]`` per class
    with no seed, so the paper's subsets cannot be rebuilt. We choose a seeded rule:
    ``order='random'`` keeps the first n_c of class c in the order of
    ``numpy.random.default_rng(seed).permutation(len(labels))`` (one permutation of the whole
    training set, restricted to each class); ``order='first'`` keeps the first n_c in file order.
    The split file records the index lists and their sha256.

    ``val_per_class`` k > 0 is not in the paper (ours, for losses that need a validation split, such as
    CDB in the cross-matrix): the last k images of each class in that same order are held out first as
    a balanced validation split, and n_max defaults to the images left in the smallest class.
    """
    labels = np.asarray(labels)
    available = np.bincount(labels, minlength=num_classes)
    if n_max is None:
        n_max = int(available.min() - val_per_class) if val_per_class else int(available.max())
    counts = exponential_counts(int(n_max), num_classes, rho)
    if order == "random":
        perm = np.random.default_rng(seed).permutation(len(labels))
    elif order == "first":
        perm = np.arange(len(labels))
    else:
        raise ValueError(f"cui2019: order must be 'random' or 'first', got {order!r}")
    ordered = labels[perm]
    val_pos = last_per_class(ordered, val_per_class) if val_per_class else np.zeros(0, dtype=np.int64)
    pool = np.ones(len(labels), dtype=bool)
    pool[val_pos] = False
    pool_pos = np.nonzero(pool)[0]
    train = np.sort(perm[pool_pos[first_per_class(ordered[pool_pos], counts)]])
    return Split(train=train, val=np.sort(perm[val_pos]).astype(np.int64), train_counts=counts)


def sinha2020(labels: np.ndarray, num_classes: int, rho: float, val_per_class: int = 25) -> Split:
    """Long-tailed CIFAR of Sinha et al. 2020 (CDB, section 4.1 and the official CIFAR-LT data code):
    the last ``val_per_class`` = 25 images of every class form a balanced validation split (used
    for the per-epoch class difficulty), then the first int(n_max·ρ^(−c/(C−1))) of the remaining
    images are kept, n_max = images per class − 25 (475 on CIFAR-100)."""
    labels = np.asarray(labels)
    n_max = int(np.bincount(labels, minlength=num_classes).min()) - val_per_class
    return holdout_then_exponential(labels, num_classes, rho, n_max, val_per_class)


PROTOCOLS = {"cui2019": cui2019, "sinha2020": sinha2020}


def get_protocol(name: str):
    try:
        return PROTOCOLS[name]
    except KeyError:
        raise KeyError(f"unknown long-tail protocol {name!r}; known: {sorted(PROTOCOLS)} "
                       f"(lt_repro/data/protocols.py: PROTOCOLS)") from None
