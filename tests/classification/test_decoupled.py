"""Decoupled classifier re-training (Seesaw sec. 4.4): class-balanced sampler, frozen backbone,
--init-from a stage-1 checkpoint, and the workflow's two-stage cells."""
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

pytest.importorskip("mmdet")
from lt_repro.mm import samplers  # noqa: E402
from lt_repro.mm.samplers import ClassBalancedSampler  # noqa: E402

REPO = Path(__file__).resolve().parents[2]


def long_tailed_labels(num_classes=100, head=500, rho=100):
    counts = np.floor(head * rho ** (-np.arange(num_classes) / (num_classes - 1))).astype(int)
    return np.random.default_rng(0).permutation(np.repeat(np.arange(num_classes), counts)), counts


def test_sampler_draws_classes_uniformly():
    labels, counts = long_tailed_labels()
    s = ClassBalancedSampler(SimpleNamespace(labels=labels), seed=0, num_samples=200_000)
    drawn = labels[np.asarray(list(s))]
    freq = np.bincount(drawn, minlength=100) / len(drawn)
    assert len(s) == 200_000 and np.abs(freq * 100 - 1).max() < 0.1  # every class ≈ 1/C despite ρ = 100
    # within a class, images are uniform too: the head class's 500 images each ≈ 2000/500 = 4 draws
    head = np.bincount(np.asarray(list(s))[drawn == 0], minlength=len(labels))[labels == 0]
    assert abs(head.mean() - 4) < 0.5 and (head == 0).mean() < 0.05  # Poisson(4): P(0) ≈ 1.8 %
    assert ClassBalancedSampler(SimpleNamespace(labels=labels), seed=0).__len__() == counts.sum()  # default: dataset size


def test_sampler_is_deterministic_per_seed_and_epoch():
    labels, _ = long_tailed_labels()
    ds = SimpleNamespace(labels=labels)
    a, b = ClassBalancedSampler(ds, seed=1), ClassBalancedSampler(ds, seed=1)
    assert list(a) == list(b)
    a.set_epoch(1)
    assert list(a) != list(b)
    b.set_epoch(1)
    assert list(a) == list(b)
    assert list(ClassBalancedSampler(ds, seed=2)) != list(ClassBalancedSampler(ds, seed=1))
    a.skip = 10  # mid-epoch resume continues the same order
    assert list(a) == list(b)[10:] and len(a) == len(b) - 10


def test_sampler_shards_across_ranks_without_overlap(monkeypatch):
    labels, _ = long_tailed_labels()
    ds = SimpleNamespace(labels=labels)
    whole = list(ClassBalancedSampler(ds, seed=0, num_samples=1001))
    shards = []
    for rank in (0, 1):
        monkeypatch.setattr(samplers, "get_dist_info", lambda rank=rank: (rank, 2))
        s = ClassBalancedSampler(ds, seed=0, num_samples=1001)
        shards.append(list(s))
        assert len(s) == 501
    # rank r takes positions r, r+2, ... of one global sequence (DefaultSampler's sharding, rounded up)
    monkeypatch.setattr(samplers, "get_dist_info", lambda: (0, 1))
    glob = list(ClassBalancedSampler(ds, seed=0, num_samples=1002))
    assert shards[0] == glob[0::2] and shards[1] == glob[1::2]
    assert len(whole) == 1001


def run_train(config, tmp_path, name, split, root, seed, extra=()):
    sets = {f"{p}_dataloader.{k}": v for p in ("train", "test") for k, v in
            (("num_workers", 0), ("dataset.root", str(root)), ("dataset.split_file", str(split)))}
    sets.update({"train_cfg.max_epochs": 1, "train_dataloader.batch_size": 32, "env_cfg.cudnn_benchmark": False})
    args = [sys.executable, "-m", "lt_repro.train", str(config), "--work-dir", str(tmp_path / name / "w"),
            "--out-dir", str(tmp_path / name / "o"), "--seed", str(seed), "--threads", "1", "--no-progress",
            *extra, "--set", *[f"{k}={v!r}" for k, v in sets.items()]]
    return subprocess.run(args, cwd=REPO, capture_output=True, text=True, env={**os.environ, "OMP_NUM_THREADS": "1"})


def test_stage2_loads_stage1_and_trains_only_the_classifier(tmp_path):
    root = write_cifar10(tmp_path / "cifar", per_class_train=20, per_class_test=2)
    split = tmp_path / "s.json"
    assert data_cli.main(["split", "cifar10", "--root", str(root), "--rho", "10", "--protocol", "cui2019",
                          "--seed", "0", "--out", str(split)]) == 0
    base = REPO / "configs/cb/resnet32_1xb128-200e_cifar-lt.py"
    res = run_train(base, tmp_path, "s1", split, root, seed=0)
    assert res.returncode == 0, res.stderr[-3000:]
    stage2 = tmp_path / "decoupled.py"  # the decoupled recipe's two changes, on the small CIFAR model
    stage2.write_text(f'_base_ = ["{base}"]\nmodel = dict(freeze_backbone=True)\n'
                      'train_dataloader = dict(sampler=dict(_delete_=True, type="ClassBalancedSampler"))\n')
    ckpt1 = tmp_path / "s1" / "w" / "epoch_1.pth"
    res = run_train(stage2, tmp_path, "s2", split, root, seed=1, extra=["--init-from", str(ckpt1)])
    assert res.returncode == 0, res.stderr[-3000:]
    load = lambda p: torch.load(p, map_location="cpu", weights_only=False)["state_dict"]  # noqa: E731
    s1, s2 = load(ckpt1), load(tmp_path / "s2" / "w" / "epoch_1.pth")
    backbone = [k for k in s1 if k.startswith("backbone.")]
    assert any("running_mean" in k for k in backbone)  # BN statistics are compared too (eval mode)
    assert all(torch.equal(s1[k], s2[k]) for k in backbone)  # loaded from stage 1 (seed 1 would init differently), frozen
    assert not torch.equal(s1["head.weight"], s2["head.weight"])  # the classifier trained
    record = (tmp_path / "s2" / "o" / "record.json").read_text()
    assert str(ckpt1) in record and "ClassBalancedSampler" in record
    # a missing stage-1 checkpoint is a config error naming the flag
    res = run_train(stage2, tmp_path, "s3", split, root, seed=1, extra=["--init-from", str(tmp_path / "nope.pth")])
    assert res.returncode == 2 and "--init-from" in res.stderr


def test_seesaw_decoupled_config():
    from mmengine.config import Config

    cfg = Config.fromfile(str(REPO / "configs/seesaw/cls-decoupled_resnext50_1xb512-10e_imagenet-lt.py"))
    assert cfg.model.freeze_backbone is True and cfg.model.backbone.arch == "resnext50_32x4d"
    assert cfg.train_dataloader.sampler == {"type": "ClassBalancedSampler"}
    assert cfg.train_cfg.max_epochs == 10 and cfg.param_scheduler[0]["T_max"] == 10


def test_workflow_decoupled_cells_depend_on_end_to_end_runs(tmp_path):
    pytest.importorskip("snakemake")
    from .test_workflow import dry_run, job_counts

    snakefile = tmp_path / "Snakefile"
    snakefile.write_text(
        f'configfile: "{REPO}/configs/workflow.yaml"\n'
        f'include: "{REPO}/workflows/common.smk"\ninclude: "{REPO}/workflows/train.smk"\n'
        f'include: "{REPO}/workflows/classification.smk"\ninclude: "{REPO}/workflows/classification_data.smk"\n'
        f'include: "{REPO}/workflows/seesaw.smk"\n'
        'rule target:\n    input: [p for p in PAPER_RUNS["seesaw"] if "-decoupled/" in p]\n')
    out = dry_run(tmp_path, "target", snakefile, "-p")
    assert job_counts(out)["train"] == 4  # 2 decoupled cells + the 2 end-to-end runs they need
    for loss in ("ce", "seesaw"):
        block = next(b for b in out.split("rule train:")[1:] if f"exp=imagenetlt_x50_{loss}-decoupled," in b)
        assert f"seesaw/imagenetlt_x50_{loss}/seed-0/metrics.json" in block  # input: the stage-1 run
        assert f"--init-from {tmp_path}/w/seesaw/imagenetlt_x50_{loss}/seed-0/epoch_90.pth" in block
        assert "cls-decoupled_resnext50_1xb512-10e_imagenet-lt.py" in block
