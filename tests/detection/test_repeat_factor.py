"""Repeat-factor sampling as the official EQL code draws it (detectron2's RepeatFactorTrainingSampler):
the images are kept once with their repeat factors, and every epoch rounds each factor stochastically."""
import json
import math
from collections import Counter
from pathlib import Path

import pytest

pytest.importorskip("mmcv._ext", reason="needs mmcv's compiled ops (mmcv-lite has none): run scripts/setup.sh --ops")

import torch

import lt_repro.mm  # noqa: F401
from lt_repro.mm.detection import LTRepeatFactorDataset, LTRepeatFactorSampler

REPO = Path(__file__).resolve().parents[2]


class _Factors:
    """The one attribute the sampler reads."""

    def __init__(self, factors):
        self.repeat_factors = torch.tensor(factors, dtype=torch.float64)


def _expected_factors(ann_file, thr):
    """r(I) = max over the categories c of I of max(1, sqrt(thr / f(c))), f(c) = images with c / images."""
    data = json.loads(open(ann_file).read())
    cats = {}
    for a in data["annotations"]:
        cats.setdefault(a["image_id"], set()).add(a["category_id"])
    n = len(cats)  # images without annotations are filtered out of the training set
    freq = Counter(c for s in cats.values() for c in s)
    return {img: max(max(1.0, math.sqrt(thr / (freq[c] / n))) for c in s) for img, s in cats.items()}


def test_dataset_keeps_each_image_once_with_its_repeat_factor(lvis_v05):
    from mmdet.utils import register_all_modules

    register_all_modules(init_default_scope=True)
    inner = dict(type="LVISV05Dataset", data_root=str(lvis_v05["root"]) + "/", ann_file=str(lvis_v05["train"]),
                 data_prefix=dict(img="train2017/"), filter_cfg=dict(filter_empty_gt=True, min_size=0), pipeline=[])
    ds = LTRepeatFactorDataset(dataset=inner, oversample_thr=0.3)
    assert len(ds) == len(ds.dataset) == 8  # mmengine's ClassBalancedDataset would hold ceil(r) copies
    expected = _expected_factors(lvis_v05["train"], 0.3)
    got = {ds.get_data_info(i)["img_id"]: float(ds.repeat_factors[i]) for i in range(len(ds))}
    assert got == pytest.approx(expected)
    assert max(got.values()) == pytest.approx(math.sqrt(0.3 / 0.125))  # the rare category: 1 of 8 images
    assert any(1 < r < 2 for r in got.values())  # a fractional factor: the case where rounding matters


def test_each_epoch_rounds_every_factor_up_or_down_and_matches_it_on_average():
    factors = [1.0, 1.25, 2.5, 3.0, 1.9]
    sampler = LTRepeatFactorSampler(_Factors(factors), seed=3)
    totals, lengths = Counter(), set()
    epochs = 4000
    for epoch in range(epochs):
        sampler.set_epoch(epoch)
        order = list(sampler)
        assert len(order) == len(sampler)
        lengths.add(len(order))
        counts = Counter(order)
        for i, r in enumerate(factors):
            assert counts[i] in (math.floor(r), math.ceil(r))
        totals.update(counts)
    assert len(lengths) > 1  # the epoch length follows the draw
    for i, r in enumerate(factors):
        frac = r - math.floor(r)
        sd = math.sqrt(frac * (1 - frac) / epochs)
        assert abs(totals[i] / epochs - r) <= 4 * sd + 1e-12, (i, totals[i] / epochs, r)


def test_the_order_is_fixed_by_seed_and_epoch_and_shuffled():
    factors = [1.5] * 40 + [2.0] * 10
    a = LTRepeatFactorSampler(_Factors(factors), seed=0)
    b = LTRepeatFactorSampler(_Factors(factors), seed=0)
    first = list(a)
    assert first == list(b)
    a.set_epoch(1)
    assert list(a) != first
    a.set_epoch(0)
    assert list(a) == first
    assert first != sorted(first)


def test_ranks_share_one_padded_order():
    factors = [1.0, 1.5, 2.2, 1.0, 3.7, 1.1, 1.0]
    world = 3
    shards = []
    for rank in range(world):
        s = LTRepeatFactorSampler(_Factors(factors), seed=5)
        s.rank, s.world_size = rank, world
        s.set_epoch(2)
        shards.append(list(s))
    order = LTRepeatFactorSampler(_Factors(factors), seed=5).epoch_order(2).tolist()
    assert {len(x) for x in shards} == {math.ceil(len(order) / world)}
    merged = [shards[k % world][k // world] for k in range(world * len(shards[0]))]
    assert merged == (order * 2)[:len(merged)]  # rank r takes r, r + world, ...; padded with the start


def test_sampler_refuses_a_dataset_without_factors():
    with pytest.raises(TypeError, match="LTRepeatFactorDataset"):
        LTRepeatFactorSampler(object(), seed=0)


def test_rfs_config_builds_a_dataloader_that_repeats_the_rare_image(lvis_v05, tmp_path):
    from mmengine.config import Config
    from mmengine.runner import Runner
    from mmdet.utils import register_all_modules

    register_all_modules(init_default_scope=True)
    cfg = Config.fromfile(str(REPO / "configs/eql/eql_mask-rcnn-r50-fpn_8xb2-90k_lvis-v05-rfs.py"))
    loader = cfg.train_dataloader
    loader.update(num_workers=0, persistent_workers=False, batch_size=1)
    loader.dataset.oversample_thr = 0.5  # the fixture's rare category (f = 1/8) gets r = 2
    loader.dataset.dataset.update(data_root=str(lvis_v05["root"]) + "/", ann_file=str(lvis_v05["train"]))
    for t in loader.dataset.dataset.pipeline:
        if t.type == "RandomChoiceResize":
            t.scales = [(160, 96)]
    dl = Runner.build_dataloader(loader, seed=0)
    assert type(dl.batch_sampler.sampler).__name__ == "LTRepeatFactorSampler"
    ids = Counter(int(batch["data_samples"][0].img_id) for batch in dl)
    rare = {a["image_id"] for a in json.loads(open(lvis_v05["train"]).read())["annotations"] if a["category_id"] == 4}
    assert len(rare) == 1 and ids[rare.pop()] == 2 and sum(ids.values()) == len(dl.batch_sampler.sampler)
