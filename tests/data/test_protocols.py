import numpy as np
import pytest

from lt_repro.data import protocols


def test_exponential_counts_cifar_totals():
    # Cui et al. 2019 / Cao et al. 2019: CIFAR-10-LT ρ=100 has 12,406 images, CIFAR-100-LT ρ=100 10,847
    assert sum(protocols.exponential_counts(5000, 10, 100)) == 12406
    assert sum(protocols.exponential_counts(500, 100, 100)) == 10847
    assert protocols.exponential_counts(5000, 10, 100) == [5000, 2997, 1796, 1077, 645, 387, 232, 139, 83, 50]


def test_exponential_counts_balanced_and_invalid():
    assert protocols.exponential_counts(7, 4, 1) == [7, 7, 7, 7]
    with pytest.raises(ValueError, match="imbalance ratio"):
        protocols.exponential_counts(10, 3, 0.5)


def test_first_per_class_keeps_dataset_order():
    labels = np.array([1, 0, 1, 2, 0, 1, 0, 2])
    idx = protocols.first_per_class(labels, [2, 1, 1])
    assert idx.tolist() == [0, 1, 3, 4]
    idx = protocols.first_per_class(labels, [1, 1, 1], offset=np.array([1, 2, 1]))
    assert idx.tolist() == [4, 5, 7]


def test_first_per_class_too_few():
    with pytest.raises(ValueError, match="class 2 has 2 samples but the protocol needs 3"):
        protocols.first_per_class(np.array([0, 1, 2, 2]), [1, 1, 3])


def test_holdout_then_exponential_is_disjoint_and_exact():
    rng = np.random.default_rng(0)
    labels = rng.permutation(np.repeat(np.arange(10), 120))
    s = protocols.holdout_then_exponential(labels, 10, 10, 100, 15)
    assert np.bincount(labels[s.val]).tolist() == [15] * 10
    assert np.bincount(labels[s.train], minlength=10).tolist() == s.train_counts
    assert s.train_counts == protocols.exponential_counts(100, 10, 10)
    assert not set(s.train) & set(s.val)
    # validation = the LAST 15 of each class; training = the FIRST n_c of the rest
    for c in range(10):
        pos = np.nonzero(labels == c)[0]
        assert set(pos[-15:]) == set(s.val[labels[s.val] == c])
        assert set(pos[: s.train_counts[c]]) == set(s.train[labels[s.train] == c])
