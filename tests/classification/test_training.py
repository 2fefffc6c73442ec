"""A few real training iterations of the classification configs on CPU, through lt_repro.train, on
CIFAR pickles written by the test (grid entries applied exactly as the workflow does)."""
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import torch
import yaml

from lt_repro.data import __main__ as data_cli
from lt_repro.grid import experiments, load_grid

from .fixtures import write_cifar10, write_cifar100

pytestmark = pytest.mark.slow  # trains through lt_repro.train

pytest.importorskip("mmengine")
pytest.importorskip("mmdet")

REPO = Path(__file__).resolve().parents[2]


def train(config, split, root, tmp_path, overrides, parts=("train", "test"), epochs=1):
    sets = {f"{p}_dataloader.{k}": v for p in parts for k, v in (("num_workers", 0), ("dataset.root", str(root)),
                                                                  ("dataset.split_file", str(split)))}
    sets.update({"train_cfg.max_epochs": epochs, "train_dataloader.batch_size": 32,
                 "env_cfg.dist_cfg.backend": "gloo", "env_cfg.cudnn_benchmark": False, **overrides})
    args = [sys.executable, "-m", "lt_repro.train", str(REPO / config), "--work-dir", str(tmp_path / "w"),
            "--out-dir", str(tmp_path / "o"), "--seed", "0", "--slug", "t", "--exp", "a_b", "--threads", "1",
            "--no-progress", "--set", *[f"{k}={v!r}" for k, v in sets.items()]]
    res = subprocess.run(args, cwd=REPO, capture_output=True, text=True, env={**os.environ, "OMP_NUM_THREADS": "1"})
    assert res.returncode == 0, res.stderr[-3000:]
    return json.loads((tmp_path / "o" / "metrics.json").read_text())


def test_cb_cifar10_focal_grid_cell(tmp_path):
    root = write_cifar10(tmp_path / "cifar", per_class_train=30, per_class_test=2)
    split = tmp_path / "s.json"
    assert data_cli.main(["split", "cifar10", "--root", str(root), "--rho", "10", "--protocol", "cui2019",
                          "--seed", "0", "--out", str(split)]) == 0
    cell = next(e for e in experiments(load_grid(REPO / "configs/cb/grid.yaml"), slug="cb")
                if e.name == "cifar10lt-r50_cb-focal")  # the workflow's overrides, but this test's data
    overrides = {k: v for k, v in cell.overrides.items() if not k.endswith((".split_file", ".root"))}
    m = train(cell.config, split, root, tmp_path, overrides)
    assert m["num_samples"] == 20 and len(m["per_class_acc_pct"]) == 10
    assert 0 <= m["top1_err_pct"] <= 100 and not any(k.startswith("best_val/") for k in m)  # no validation split
    assert 0 <= m["top5_err_pct"] <= m["top1_err_pct"]          # 10 classes: top-5 is written
    record = json.loads((tmp_path / "o" / "record.json").read_text())
    assert record["exp"] == "a_b" and record["seed"] == 0
    loss = record["config"]["model"]["loss"]
    assert (loss["type"], loss["beta"], loss["gamma"]) == ("LTClassBalancedLoss", 0.9999, 2.0)  # Table 2 column ρ=50
    assert loss["samples_per_class"] == json.loads(split.read_text())["train_counts"]
    # the sigmoid/focal cells exclude the classifier bias from weight decay (official cifar_main.py)
    ckpt = torch.load(next((tmp_path / "w").glob("epoch_1.pth")), map_location="cpu", weights_only=False)
    decays = sorted({g["weight_decay"] for g in ckpt["optimizer"]["param_groups"]})
    assert decays == [0.0, 2e-4]
    bias = ckpt["state_dict"]["head.bias"]
    # prior −log(C−1), after 1 epoch
    assert torch.allclose(bias, torch.full_like(bias, -torch.log(torch.tensor(9.0))), atol=0.5)

    # the run joins CB Table 2 (CIFAR-10-LT, ρ=50, class-balanced) in the comparison and on the cb page
    from tests.report.in_comparison import compare_run

    rows, page = compare_run(tmp_path / "o", "cb", "cifar10lt-r50_cb-focal", tmp_path / "cmp")
    ours = [r for r in rows if r["n"] == "1"]
    assert len(ours) == 1 and ours[0]["verdict"] != "not run"
    assert float(ours[0]["ours_mean"]) == m["top1_err_pct"] and ours[0]["table"].startswith("Table 2")
    assert sum(r["verdict"] == "not run" for r in rows) == len(rows) - 1
    assert "../results/cb/cifar10lt-r50_cb-focal/seed-0/metrics.json" in page


def test_cdb_cifar100_uses_validation_difficulty_and_best_val(tmp_path):
    root = write_cifar100(tmp_path / "cifar", per_class_train=8, per_class_test=1)
    split = tmp_path / "s.json"
    # the paper holds out 25 per class; 2 here keeps the CPU run short (same rule, smaller numbers)
    assert data_cli.main(["split", "cifar100", "--root", str(root), "--rho", "6", "--protocol", "sinha2020",
                          "--val-per-class", "2", "--out", str(split)]) == 0
    assert json.loads(split.read_text())["train_counts"][:2] == [6, 5]
    grid = yaml.safe_load((REPO / "configs/cdb/grid.yaml").read_text())
    m = train(grid["config"], split, root, tmp_path, {"val_dataloader.batch_size": 500, **grid["losses"]["cdb-ce"]},
              parts=("train", "val", "test"), epochs=2)
    assert m["num_samples"] == 100 and "best_val/top1_err_pct" in m
    ckpt = torch.load(tmp_path / "w" / "epoch_2.pth", map_location="cpu", weights_only=False)
    d = ckpt["state_dict"]["loss_fn.class_difficulty"]
    assert d.shape == (100,) and not torch.all(d == 1.0)  # re-measured on the 25-per-class validation split


def test_eql_softmax_cell_gets_class_frequencies(tmp_path):
    root = write_cifar100(tmp_path / "cifar", per_class_train=12, per_class_test=1)
    split = tmp_path / "s.json"
    assert data_cli.main(["split", "cifar100", "--root", str(root), "--rho", "10", "--protocol", "cui2019",
                          "--seed", "0", "--out", str(split)]) == 0
    grid = yaml.safe_load((REPO / "configs/eql/cls_grid.yaml").read_text())
    m = train(grid["config"], split, root, tmp_path, grid["losses"]["eql"])
    assert m["num_samples"] == 100
