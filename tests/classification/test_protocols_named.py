import numpy as np
import pytest

from lt_repro.data import protocols

# Cui et al. 2019 / Cao et al. 2019: training-set sizes of long-tailed CIFAR at ρ = 200/100/50/20/10
CIFAR10_TOTALS = {200: 11203, 100: 12406, 50: 13996, 20: 17023, 10: 20431}
CIFAR100_TOTALS = {200: 9502, 100: 10847, 50: 12608, 20: 15907, 10: 19573}


def real_labels(num_classes, per_class, seed=0):
    """Labels with the real CIFAR class sizes (5000 or 500 per class), shuffled like the batches."""
    return np.random.default_rng(seed).permutation(np.repeat(np.arange(num_classes), per_class))


@pytest.mark.parametrize("num_classes,per_class,totals", [(10, 5000, CIFAR10_TOTALS), (100, 500, CIFAR100_TOTALS)])
def test_cui2019_exact_totals(num_classes, per_class, totals):
    labels = real_labels(num_classes, per_class)
    for rho, total in totals.items():
        s = protocols.PROTOCOLS["cui2019"](labels, num_classes, rho, seed=0)
        assert len(s.train) == total == sum(s.train_counts)
        assert np.bincount(labels[s.train], minlength=num_classes).tolist() == s.train_counts
        assert s.train_counts[0] == per_class and s.train_counts[-1] == int(per_class / rho)
        assert len(s.val) == 0


def test_cui2019_seeded_and_first():
    labels = real_labels(10, 5000)
    a = protocols.cui2019(labels, 10, 100, seed=0)
    b = protocols.cui2019(labels, 10, 100, seed=0)
    c = protocols.cui2019(labels, 10, 100, seed=1)
    assert np.array_equal(a.train, b.train) and not np.array_equal(a.train, c.train)
    first = protocols.cui2019(labels, 10, 100, order="first")
    for k in (0, 9):
        pos = np.nonzero(labels == k)[0]
        assert first.train[labels[first.train] == k].tolist() == pos[: first.train_counts[k]].tolist()
    with pytest.raises(ValueError, match="order must be"):
        protocols.cui2019(labels, 10, 100, order="shuffled")


def test_sinha2020_counts_and_holdout():
    labels = real_labels(100, 500)
    for rho in (100, 10):
        s = protocols.PROTOCOLS["sinha2020"](labels, 100, rho)
        assert s.train_counts == [int(475 * rho ** (-c / 99)) for c in range(100)]
        assert np.bincount(labels[s.val], minlength=100).tolist() == [25] * 100
        assert not set(s.train.tolist()) & set(s.val.tolist())
        for c in (0, 50, 99):  # val = last 25 of each class; train = first n_c of the rest
            pos = np.nonzero(labels == c)[0]
            assert set(s.val[labels[s.val] == c].tolist()) == set(pos[-25:].tolist())
            assert s.train[labels[s.train] == c].tolist() == pos[: s.train_counts[c]].tolist()


def test_unknown_protocol_lists_known():
    with pytest.raises(KeyError, match=r"unknown long-tail protocol 'cao2019'.*cui2019.*sinha2020"):
        protocols.get_protocol("cao2019")


def test_cui2019_with_a_validation_holdout():
    labels = np.repeat(np.arange(10), 100)[np.random.default_rng(3).permutation(1000)]
    plain = protocols.cui2019(labels, 10, 10, seed=0)
    held = protocols.cui2019(labels, 10, 10, seed=0, val_per_class=5)
    assert len(plain.val) == 0
    assert np.bincount(labels[held.val], minlength=10).tolist() == [5] * 10  # balanced
    assert not set(held.val) & set(held.train)
    assert held.train_counts == protocols.exponential_counts(95, 10, 10)  # n_max = 100 - 5
    assert np.bincount(labels[held.train], minlength=10).tolist() == held.train_counts
    # the hold-out is the last 5 of each class in the seeded order, so the same seed gives the same split
    again = protocols.cui2019(labels, 10, 10, seed=0, val_per_class=5)
    assert np.array_equal(again.val, held.val) and np.array_equal(again.train, held.train)
    perm = np.random.default_rng(0).permutation(1000)
    last5 = sorted(i for c in range(10) for i in [j for j in perm if labels[j] == c][-5:])
    assert held.val.tolist() == last5
