"""lt_repro.train on the demo config with a small real MNIST-LT split: resume after SIGTERM,
NaN losses, config typos and a full disk. Each case checks what was kept."""
import json
import resource
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest


REPO = Path(__file__).resolve().parents[1]
CONFIG = REPO / "configs/demo/cnn_1xb128-6e_mnist-lt.py"

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def split(mnist_lt_split):
    return mnist_lt_split


def train_args(split, mnist_root, work, out, *extra, epochs=3):
    data = [f"{p}_dataloader.dataset.{k}={v}" for p in ("train", "val", "test")
            for k, v in (("split_file", split), ("root", mnist_root))]
    return [str(CONFIG), "--work-dir", str(work), "--out-dir", str(out), "--seed", "0", "--threads", "1",
            "--no-progress", "--set", *data, f"train_cfg.max_epochs={epochs}", "param_scheduler=[]", *extra]


def run_train(args, **kw):
    return subprocess.Popen([sys.executable, "-m", "lt_repro.train", *args], cwd=REPO,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, **kw)


def finish(proc, timeout=300):
    out, _ = proc.communicate(timeout=timeout)
    return proc.returncode, out


def test_unknown_config_key_lists_close_matches(split, mnist_root, tmp_path):
    rc, out = finish(run_train(train_args(split, mnist_root, tmp_path / "w", tmp_path / "o", "train_cfg.max_epoch=1")))
    assert rc == 2
    assert "no key 'train_cfg.max_epoch'" in out and "Did you mean 'max_epochs'" in out
    assert not (tmp_path / "o").exists()


def test_unknown_loss_argument_lists_close_matches(split, mnist_root, tmp_path):
    bad = "model.loss={'type': 'LTCDBLoss', 'num_classes': 10, 'tua': 1.0}"
    rc, out = finish(run_train(train_args(split, mnist_root, tmp_path / "w", tmp_path / "o", bad)))
    assert rc == 2 and "LTCDBLoss has no argument 'tua'" in out and "'tau'" in out


def test_sigterm_mid_epoch_resumes_to_the_uninterrupted_result(split, mnist_root, tmp_path):
    rc, out = finish(run_train(train_args(split, mnist_root, tmp_path / "w_ref", tmp_path / "ref")))
    assert rc == 0, out
    reference = json.loads((tmp_path / "ref/metrics.json").read_text())

    work, result = tmp_path / "w", tmp_path / "res"
    proc = run_train(train_args(split, mnist_root, work, result))
    deadline = time.time() + 240
    while not (work / "epoch_1.pth").exists():  # in epoch 2 now
        assert proc.poll() is None and time.time() < deadline, "training ended before it could be preempted"
        time.sleep(0.05)
    proc.send_signal(signal.SIGTERM)
    rc, out = finish(proc)
    assert rc == 143, out
    assert not (result / "metrics.json").exists()
    last = Path((work / "last_checkpoint").read_text().strip())
    assert last.name.startswith("preempt_iter_") and last.exists()

    rc, out = finish(run_train(train_args(split, mnist_root, work, result)))
    assert rc == 0, out
    record = json.loads((result / "record.json").read_text())
    resumed = record["resumed_from"]
    per_epoch = -(-len(json.loads(split.read_text())["train"]) // 128)
    print(f"preempted run resumed from {resumed} ({per_epoch} iterations per epoch)")
    assert resumed["epoch"] == 1 and per_epoch < resumed["iter"] < 2 * per_epoch, resumed  # inside epoch 2
    metrics = json.loads((result / "metrics.json").read_text())
    for key in ("top1_err_pct", "per_class_acc_pct", "mean_class_acc_pct", "best_val/top1_err_pct"):
        assert metrics[key] == reference[key], key


def test_nan_loss_stops_and_keeps_the_last_good_checkpoint(split, mnist_root, tmp_path):
    work = tmp_path / "w"
    rc, out = finish(run_train(train_args(split, mnist_root, work, tmp_path / "o1", epochs=1)))
    assert rc == 0, out
    good = (work / "epoch_1.pth").read_bytes()
    nan = "model.loss={'type': 'LTCrossEntropyLoss', 'loss_weight': 'nan'}"
    rc, out = finish(run_train(train_args(split, mnist_root, work, tmp_path / "o2", nan, epochs=2)))
    assert rc == 3, out
    assert "non-finite loss" in out and "epoch_1.pth" in out
    assert not (tmp_path / "o2/metrics.json").exists()
    assert (work / "epoch_1.pth").read_bytes() == good
    assert Path((work / "last_checkpoint").read_text().strip()).name == "epoch_1.pth"


def test_full_disk_never_replaces_a_good_checkpoint(split, mnist_root, tmp_path):
    work = tmp_path / "w"
    rc, out = finish(run_train(train_args(split, mnist_root, work, tmp_path / "o1", epochs=1)))
    assert rc == 0, out
    good = (work / "epoch_1.pth").read_bytes()

    def small_files():  # writes past 256 KiB fail with EFBIG, as on a full disk
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (256 * 1024, 256 * 1024))

    rc, out = finish(run_train(train_args(split, mnist_root, work, tmp_path / "o2", epochs=2), preexec_fn=small_files))
    assert rc == 4, out
    assert "could not write" in out and "epoch_2.pth.partial (File too large)" in out
    assert (work / "epoch_1.pth").read_bytes() == good
    assert Path((work / "last_checkpoint").read_text().strip()).name == "epoch_1.pth"
    assert not list(work.glob("*.partial")) and not (tmp_path / "o2/metrics.json").exists()
