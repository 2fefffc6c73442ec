"""Decoupled classifier re-training (cRT, Kang et al. 2020; Seesaw sec. 4.4): classifier-balancing's class-aware
sampler, the frozen backbone whose BatchNorm still follows the data, the classifier re-initialised on load, the
Seesaw stage-2 config, and the workflow's two-stage cells (every stage-2 cell starts from the CE run)."""
import os
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest
import torch

from lt_repro.data import __main__ as data_cli

from .fixtures import write_cifar10

pytest.importorskip("mmengine")
from lt_repro.mm import samplers  # noqa: E402
from lt_repro.mm.samplers import LTClassAwareSampler  # noqa: E402

pytestmark = pytest.mark.slow  # trains through lt_repro.train

REPO = Path(__file__).resolve().parents[2]
DECOUPLED = REPO / "configs/seesaw/cls-decoupled_resnext50_1xb512-10e_imagenet-lt.py"
END_TO_END = REPO / "configs/seesaw/cls_resnext50_1xb512-90e_imagenet-lt.py"
GRID = REPO / "configs/seesaw/cls_grid.yaml"


def long_tailed_labels(num_classes=100, head=500, rho=100):
    counts = np.floor(head * rho ** (-np.arange(num_classes) / (num_classes - 1))).astype(int)
    return np.random.default_rng(0).permutation(np.repeat(np.arange(num_classes), counts)), counts


# --- LTClassAwareSampler (classifier-balancing data/ClassAwareSampler.py) ---------------------------------------

def test_sampler_cycles_classes_and_takes_four_images_per_visit():
    labels, counts = long_tailed_labels()
    s = LTClassAwareSampler(SimpleNamespace(labels=labels), seed=0, num_samples_cls=4, num_samples=40_000)
    cls, idx = (t.numpy() for t in s.draws())
    assert len(cls) == len(idx) == len(s) == 40_000
    assert (labels[idx] == cls).all()
    visits = cls.reshape(-1, 4)
    assert (visits == visits[:, :1]).all()  # 4 consecutive images of one class per visit (num_samples_cls)
    # the class cycle: 10,000 visits over 100 classes = every class exactly 100 times, despite rho = 100
    assert (np.bincount(visits[:, 0], minlength=100) == 100).all()
    # and each cycle (100 consecutive visits) is a permutation of the classes
    assert all(len(set(c)) == 100 for c in visits[:, 0].reshape(-1, 100))
    # within a class, images cycle too: the head class's 500 images are each drawn 400 * 4 / 500 = 0.8 times,
    # so 0 or 1 times; the tail class's 5 images 80 times each
    head = np.bincount(idx[cls == 0], minlength=len(labels))[labels == 0]
    tail = np.bincount(idx[cls == 99], minlength=len(labels))[labels == 99]
    assert set(head) <= {0, 1} and head.sum() == 400 and (tail == 80).all() and counts[99] == 5


def test_sampler_epoch_is_the_dataset_size_as_cRT_runs_it(monkeypatch):
    labels, counts = long_tailed_labels()
    assert len(LTClassAwareSampler(SimpleNamespace(labels=labels), seed=0)) == counts.sum()
    # ImageNet-LT (115,846 images) on 8 GPUs x 64 with drop_last: int(115846 / 512) = 226 batches per epoch,
    # run_networks.py's epoch_steps (the official sampler's own length would be 1280 x 1000)
    imagenet_lt = np.repeat(np.arange(1000), 115_846 // 1000)
    imagenet_lt = np.concatenate([imagenet_lt, np.arange(115_846 - len(imagenet_lt))])
    monkeypatch.setattr(samplers, "get_dist_info", lambda: (3, 8))
    s = LTClassAwareSampler(SimpleNamespace(labels=imagenet_lt), seed=0, num_samples_cls=4)
    loader = torch.utils.data.DataLoader(range(len(imagenet_lt)), batch_size=64, sampler=s, drop_last=True)
    assert len(loader) == 115_846 // 512 == 226


def test_sampler_is_deterministic_per_seed_and_epoch_and_resumes():
    labels, _ = long_tailed_labels()
    ds = SimpleNamespace(labels=labels)
    a, b = LTClassAwareSampler(ds, seed=1, num_samples_cls=4), LTClassAwareSampler(ds, seed=1, num_samples_cls=4)
    assert list(a) == list(b)
    a.set_epoch(1)
    assert list(a) != list(b)
    b.set_epoch(1)
    assert list(a) == list(b)
    assert list(LTClassAwareSampler(ds, seed=2)) != list(LTClassAwareSampler(ds, seed=1))
    a.skip = 10  # mid-epoch resume continues the same order
    assert list(a) == list(b)[10:] and len(a) == len(b) - 10
    t = LTClassAwareSampler(SimpleNamespace(labels=torch.as_tensor(labels)), seed=1, num_samples_cls=4)
    t.set_epoch(1)
    assert list(t) == list(b)  # torch labels give the numpy order


def test_sampler_shards_one_global_sequence(monkeypatch):
    labels, _ = long_tailed_labels()
    ds = SimpleNamespace(labels=labels)
    whole = list(LTClassAwareSampler(ds, seed=0, num_samples_cls=4, num_samples=1024))
    shards = []
    for rank in range(4):
        monkeypatch.setattr(samplers, "get_dist_info", lambda rank=rank: (rank, 4))
        shards.append(list(LTClassAwareSampler(ds, seed=0, num_samples_cls=4, num_samples=1024)))
    # rank r takes positions r, r + 4, ...: batch i of 4 ranks x 64 is the single process's batch i of 256
    assert all(shards[r] == whole[r::4] for r in range(4))
    assert sorted(x for s in shards for x in s[:64]) == sorted(whole[:256])


def test_sampler_refuses_multi_hot_labels():
    with pytest.raises(ValueError, match="MultiLabelClassAwareSampler"):
        LTClassAwareSampler(SimpleNamespace(labels=np.eye(3, dtype=np.int64)))


# --- stage 2 end to end on CIFAR-10 (a small ResNet-32 with BatchNorm) ------------------------------------------

STAGE1 = '''default_scope = "lt_repro"
custom_imports = dict(imports=["lt_repro.mm"], allow_failed_imports=False)
model = dict(type="LTImageClassifier", backbone=dict(type="ResNet32"), num_classes=10,
             loss=dict(type="LTCrossEntropyLoss"))
train_dataloader = dict(batch_size=32, num_workers=0, sampler=dict(type="ResumableSampler", shuffle=True),
                        collate_fn=dict(type="default_collate"),
                        dataset=dict(type="LTSplitDataset", source="cifar10", root="{root}", split_file="{split}",
                                     subset="train"))
test_dataloader = dict(batch_size=50, num_workers=0, sampler=dict(type="DefaultSampler", shuffle=False),
                       collate_fn=dict(type="default_collate"),
                       dataset=dict(type="LTSplitDataset", source="cifar10", root="{root}", split_file="{split}",
                                    subset="test"))
val_dataloader = None
val_evaluator = None
val_cfg = None
test_evaluator = dict(type="LTClassificationMetric", train_counts="${{train_counts}}")
train_cfg = dict(type="ResumableEpochBasedTrainLoop", max_epochs=1)
test_cfg = dict(type="TestLoop")
optim_wrapper = dict(optimizer=dict(type="SGD", lr=0.1, momentum=0.9, weight_decay=5e-4))
default_hooks = dict(checkpoint=dict(type="CheckpointHook", interval=1))
env_cfg = dict(cudnn_benchmark=False, dist_cfg=dict(backend="gloo"))
log_level = "WARNING"
'''


def _decoupled_keys() -> str:
    """The stage-2 keys of the Seesaw decoupled config, as config text for the small model."""
    from mmengine.config import Config

    cfg = Config.fromfile(str(DECOUPLED))
    return (f"model = dict(freeze_backbone={cfg.model.freeze_backbone!r}, "
            f"frozen_bn_stats={cfg.model.frozen_bn_stats!r})\n"
            f"load_from_skip = {list(cfg.load_from_skip)!r}\n"
            f"train_dataloader = dict(sampler=dict(_delete_=True, **{dict(cfg.train_dataloader.sampler)!r}), "
            f"drop_last={cfg.train_dataloader.drop_last!r})\n")


def run_train(config, tmp_path, name, seed, extra=(), sets=None):
    args = [sys.executable, "-m", "lt_repro.train", str(config), "--work-dir", str(tmp_path / name / "w"),
            "--out-dir", str(tmp_path / name / "o"), "--seed", str(seed), "--threads", "1", "--no-progress", *extra]
    if sets:
        args += ["--set", *[f"{k}={v!r}" for k, v in sets.items()]]
    return subprocess.run(args, cwd=REPO, capture_output=True, text=True, env={**os.environ, "OMP_NUM_THREADS": "1"})


def _state(path):
    return torch.load(path, map_location="cpu", weights_only=False)["state_dict"]


def test_stage2_reinitialises_the_classifier_and_lets_frozen_batchnorm_follow_the_data(tmp_path):
    root = write_cifar10(tmp_path / "cifar", per_class_train=20, per_class_test=2)
    split = tmp_path / "s.json"
    assert data_cli.main(["split", "cifar10", "--root", str(root), "--rho", "10", "--protocol", "cui2019",
                          "--seed", "0", "--out", str(split)]) == 0
    stage1 = tmp_path / "stage1.py"
    stage1.write_text(STAGE1.format(root=root, split=split))
    res = run_train(stage1, tmp_path, "s1", seed=0)
    assert res.returncode == 0, res.stderr[-3000:]
    stage2 = tmp_path / "stage2.py"
    stage2.write_text(f'_base_ = ["{stage1}"]\n' + _decoupled_keys())
    ckpt1 = tmp_path / "s1" / "w" / "epoch_1.pth"
    s1 = _state(ckpt1)
    # lr 0: every weight stays where loading and initialisation put it
    res = run_train(stage2, tmp_path, "s2", seed=1, extra=["--init-from", str(ckpt1)],
                    sets={"optim_wrapper.optimizer.lr": 0.0})
    assert res.returncode == 0, res.stderr[-3000:]
    s2 = _state(tmp_path / "s2" / "w" / "epoch_1.pth")
    stats = [k for k in s1 if k.endswith(("running_mean", "running_var"))]
    weights = [k for k in s1 if k.startswith("backbone.") and k not in stats and not k.endswith("num_batches_tracked")]
    assert weights and stats
    assert all(torch.equal(s1[k], s2[k]) for k in weights)  # loaded from stage 1 (seed 1 inits otherwise), frozen
    assert not any(torch.equal(s1[k], s2[k]) for k in stats)  # BatchNorm in train mode: stats follow the new batches
    assert not torch.equal(s1["head.weight"], s2["head.weight"])  # the classifier is a fresh one, not stage 1's
    record = (tmp_path / "s2" / "o" / "record.json").read_text()
    assert str(ckpt1) in record and "LTClassAwareSampler" in record
    # control: without load_from_skip and with frozen statistics, stage 2 keeps stage 1's classifier and BatchNorm
    res = run_train(stage2, tmp_path, "s3", seed=1, extra=["--init-from", str(ckpt1)],
                    sets={"optim_wrapper.optimizer.lr": 0.0, "load_from_skip": [], "model.frozen_bn_stats": True})
    assert res.returncode == 0, res.stderr[-3000:]
    s3 = _state(tmp_path / "s3" / "w" / "epoch_1.pth")
    assert all(torch.equal(s1[k], s3[k]) for k in weights + stats + ["head.weight", "head.bias"])
    # a missing stage-1 checkpoint is a config error naming the flag
    res = run_train(stage2, tmp_path, "s4", seed=1, extra=["--init-from", str(tmp_path / "nope.pth")])
    assert res.returncode == 2 and "--init-from" in res.stderr


# --- the Seesaw ImageNet-LT configs and grid --------------------------------------------------------------------

def test_seesaw_decoupled_config_is_cRT():
    from mmengine.config import Config

    cfg = Config.fromfile(str(DECOUPLED))
    assert cfg.model.backbone.arch == "resnext50_32x4d"
    assert cfg.model.freeze_backbone is True and cfg.model.frozen_bn_stats is False  # cls_crt.yaml fix: true
    assert list(cfg.load_from_skip) == ["head.", "loss_fn."]  # classifier re-initialised (stage1_weights: false)
    assert cfg.train_dataloader.sampler == {"type": "LTClassAwareSampler", "num_samples_cls": 4}
    assert cfg.train_dataloader.drop_last is True and cfg.train_dataloader.batch_size == 512
    assert cfg.train_cfg.max_epochs == 10
    assert cfg.optim_wrapper.optimizer == {"type": "SGD", "lr": 0.2, "momentum": 0.9, "weight_decay": 5e-4}
    assert cfg.param_scheduler == [
        {"type": "EpochStartCosineAnnealingLR", "by_epoch": True, "T_max": 10, "eta_min": 0.0}]


def test_seesaw_end_to_end_config_is_the_resnext50_recipe():
    from mmengine.config import Config

    cfg = Config.fromfile(str(END_TO_END))
    assert cfg.optim_wrapper.optimizer == {"type": "SGD", "lr": 0.2, "momentum": 0.9, "weight_decay": 5e-4}
    assert cfg.train_cfg.max_epochs == 90 and cfg.param_scheduler[0]["T_max"] == 90
    assert cfg.train_dataloader.batch_size == 512 and cfg.train_dataloader.drop_last is True
    assert cfg.default_hooks.checkpoint.save_best == "top1_acc_pct"  # the decoupled stage starts from this file


def test_every_decoupled_cell_starts_from_the_cross_entropy_run():
    grid_mod = pytest.importorskip("lt_repro.grid")
    grid = grid_mod.load_grid(GRID)
    cells = {e.name: e for e in grid_mod.experiments(grid, slug="seesaw", data_root="data")}
    for loss in ("x50_ce", "x50_seesaw"):
        stage2 = cells[f"imagenetlt_{loss}-decoupled"]
        assert stage2.stage1 == "imagenetlt_x50_ce" and stage2.config == str(DECOUPLED.relative_to(REPO))
        assert stage2.overrides["model.loss"] == grid.losses[loss]["model.loss"]  # the stage-2 loss is the cell's
        cmd = grid_mod.command(stage2, 0, python="python", work_root="w", out_dir="o")
        assert cmd.endswith("--init-from w/seesaw/imagenetlt_x50_ce/seed-0/best_top1_acc_pct_epoch_*.pth")
