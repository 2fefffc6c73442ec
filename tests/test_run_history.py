"""record.json 'history' (per-epoch loss, validation metrics, CDB weights) and a non-finite loss recorded as a
result (record_nonfinite), through lt_repro.train on a small real MNIST-LT split."""
import json
import subprocess
import sys
from pathlib import Path

import pytest
import torch

from lt_repro.losses.cdb import cdb_weights

REPO = Path(__file__).resolve().parents[1]
CONFIG = REPO / "configs/demo/cnn_1xb128-6e_mnist-lt.py"

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def split(mnist_lt_split):
    return mnist_lt_split


def train(split, mnist_root, tmp_path, *extra, epochs=2):
    data = [f"{p}_dataloader.dataset.{k}={v}" for p in ("train", "val", "test")
            for k, v in (("split_file", split), ("root", mnist_root))]
    cmd = [sys.executable, "-m", "lt_repro.train", str(CONFIG), "--work-dir", str(tmp_path / "w"), "--out-dir",
           str(tmp_path / "o"), "--seed", "0", "--threads", "1", "--no-progress", "--set", *data,
           f"train_cfg.max_epochs={epochs}", "param_scheduler=[]", *extra]
    res = subprocess.run(cmd, cwd=REPO, capture_output=True, text=True, timeout=600)
    return res.returncode, res.stdout + res.stderr


def test_history_has_each_epochs_loss_validation_and_cdb_weights(split, mnist_root, tmp_path):
    cdb = ["model.loss={'type': 'LTCDBLoss', 'num_classes': 10, 'tau': 'dynamic', 'difficulty_floor': 0.05}",
           "custom_hooks=[{'type': 'CDBDifficultyHook'}]"]
    rc, out = train(split, mnist_root, tmp_path, *cdb)
    assert rc == 0, out[-3000:]
    history = json.loads((tmp_path / "o/record.json").read_text())["history"]
    metrics = json.loads((tmp_path / "o/metrics.json").read_text())
    assert [h["epoch"] for h in history] == [1, 2]
    for h in history:
        assert h["train_loss"] > 0 and len(h["val_per_class_acc_pct"]) == 10
        d = [1 - (a or 0) / 100 for a in h["val_per_class_acc_pct"]]  # the hook's difficulty
        assert h["cdb_difficulty"] == pytest.approx(d, abs=1e-6)
        # the weights recorded are those the floored official formula gives for that difficulty
        expected = cdb_weights(d, "dynamic", difficulty_floor=0.05)
        assert torch.allclose(torch.tensor(h["cdb_weight"]), expected, atol=1e-5)
        assert min(h["cdb_weight"]) > 0
    assert "run_status" not in metrics


def test_nonfinite_loss_is_a_recorded_result_when_the_grid_asks(split, mnist_root, tmp_path):
    nan = "model.loss={'type': 'LTCrossEntropyLoss', 'loss_weight': 'nan'}"
    rc, out = train(split, mnist_root, tmp_path, nan, "record_nonfinite=True", epochs=1)
    assert rc == 0, out[-3000:]
    metrics = json.loads((tmp_path / "o/metrics.json").read_text())
    assert metrics["run_status"] == "non-finite" and metrics["nonfinite_epoch"] == 1
    assert metrics["nonfinite_iter"] == 1 and "top1_err_pct" not in metrics
    assert json.loads((tmp_path / "o/record.json").read_text())["history"] == []
