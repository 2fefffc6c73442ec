"""MultiLabelClassAwareSampler (DB's ClassAwareSampler for multi-label datasets)."""
from types import SimpleNamespace

import numpy as np
import pytest
import torch

pytest.importorskip("mmdet")
from lt_repro.mm import samplers  # noqa: E402
from lt_repro.mm.samplers import MultiLabelClassAwareSampler  # noqa: E402


def multilabel_dataset(num_classes=20, num_images=3000, seed=0):
    """Long-tailed multi-hot labels: class c appears in about 40 % * 0.8^c of the images; the last
    class has no image, and some images have no label."""
    rng = np.random.default_rng(seed)
    p = 0.4 * 0.8 ** np.arange(num_classes)
    labels = (rng.random((num_images, num_classes)) < p).astype(np.int64)
    labels[:, -1] = 0
    labels[rng.random(num_images) < 0.01, -2] = 1  # a rare class
    return SimpleNamespace(labels=labels)


def test_every_draw_contains_its_class_and_classes_are_uniform():
    ds = multilabel_dataset()
    labels = ds.labels
    s = MultiLabelClassAwareSampler(ds, seed=0, num_samples=60_000)
    cls, idx = (t.numpy() for t in s.draws())
    assert len(cls) == len(idx) == len(s) == 60_000
    assert (labels[idx, cls] == 1).all()
    assert np.array_equal(np.asarray(list(s)), idx)  # one rank: the whole global sequence
    # each visit takes 3 images of one class
    assert (cls.reshape(-1, 3) == cls.reshape(-1, 3)[:, :1]).all()
    present = np.flatnonzero(labels.sum(0))
    assert 19 not in present and not np.isin(19, cls)  # the class without images is never drawn
    freq = np.bincount(cls, minlength=20)[present] / len(cls)
    # i.i.d. uniform draws would give a binomial sd of sqrt(p(1-p)/n) ≈ 0.0009; the class cycle is
    # exact up to the last, unfinished cycle
    assert np.abs(freq - 1 / len(present)).max() < 0.004
    # within a class, images cycle: each image of class 0 is drawn floor or ceil(m / n_0) times
    m0 = np.bincount(idx[cls == 0], minlength=len(labels))[labels[:, 0] == 1]
    assert m0.max() - m0.min() <= 1
    # the rare class (about 30 images) is drawn about as often as the head class
    assert abs((cls == 18).sum() - (cls == 0).sum()) <= 3


def test_epoch_length_follows_the_official_rule():
    ds = multilabel_dataset()
    n_max = ds.labels.sum(0).max()
    assert len(MultiLabelClassAwareSampler(ds, seed=0)) == int(n_max * 20 / 4)  # reduce=4 (DB configs)
    assert len(MultiLabelClassAwareSampler(ds, seed=0, reduce=1)) == n_max * 20
    s = MultiLabelClassAwareSampler(ds, seed=0, num_samples=1001)  # not a multiple of 3: last visit cut
    assert len(list(s)) == 1001
    cls = s.draws()[0].numpy()
    assert cls[-1] == cls[-2] and (cls[:999].reshape(-1, 3) == cls[:999].reshape(-1, 3)[:, :1]).all()


def test_deterministic_per_seed_and_epoch_and_resumes():
    ds = multilabel_dataset()
    a, b = MultiLabelClassAwareSampler(ds, seed=1), MultiLabelClassAwareSampler(ds, seed=1)
    assert list(a) == list(b)
    a.set_epoch(1)
    assert list(a) != list(b)
    b.set_epoch(1)
    assert list(a) == list(b)
    assert list(MultiLabelClassAwareSampler(ds, seed=2)) != list(MultiLabelClassAwareSampler(ds, seed=1))
    a.skip = 10  # mid-epoch resume continues the same order
    assert list(a) == list(b)[10:] and len(a) == len(b) - 10
    # torch labels give the same order as numpy ones
    t = MultiLabelClassAwareSampler(SimpleNamespace(labels=torch.as_tensor(ds.labels)), seed=1)
    t.set_epoch(1)
    assert list(t) == list(b)


def test_shards_across_ranks_without_overlap(monkeypatch):
    ds = multilabel_dataset()
    shards = []
    for rank in (0, 1):
        monkeypatch.setattr(samplers, "get_dist_info", lambda rank=rank: (rank, 2))
        s = MultiLabelClassAwareSampler(ds, seed=0, num_samples=1001)
        shards.append(list(s))
        assert len(s) == 501
    # rank r takes positions r, r+2, ... of one global sequence (DefaultSampler's sharding, rounded up)
    monkeypatch.setattr(samplers, "get_dist_info", lambda: (0, 1))
    glob = list(MultiLabelClassAwareSampler(ds, seed=0, num_samples=1002))
    assert shards[0] == glob[0::2] and shards[1] == glob[1::2]
    monkeypatch.setattr(samplers, "get_dist_info", lambda: (1, 2))
    s = MultiLabelClassAwareSampler(ds, seed=0, num_samples=1001, round_up=False)
    assert len(s) == 500 and list(s) == glob[1:1001:2]


def test_small_classes_and_bad_inputs():
    labels = np.array([[1, 0, 0], [1, 1, 0], [1, 0, 0], [0, 0, 0], [1, 0, 0]])  # class 1: one image; 2: none
    s = MultiLabelClassAwareSampler(SimpleNamespace(labels=labels), seed=3, num_samples=60)
    cls, idx = (t.numpy() for t in s.draws())
    assert set(cls.tolist()) == {0, 1} and (idx[cls == 1] == 1).all()
    assert int(4 * 3 / 4) == len(MultiLabelClassAwareSampler(SimpleNamespace(labels=labels), seed=0))
    with pytest.raises(TypeError):
        MultiLabelClassAwareSampler(SimpleNamespace(), seed=0)
    with pytest.raises(ValueError):
        MultiLabelClassAwareSampler(SimpleNamespace(labels=np.array([0, 1, 2])), seed=0)
    with pytest.raises(ValueError):
        MultiLabelClassAwareSampler(SimpleNamespace(labels=np.zeros((3, 2))), seed=0)


@pytest.mark.needs_ops  # mmdet's registry imports mmcv's ops
def test_registered():
    from mmdet.registry import DATA_SAMPLERS

    assert DATA_SAMPLERS.get("MultiLabelClassAwareSampler") is MultiLabelClassAwareSampler
