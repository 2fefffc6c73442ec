"""The device-resident data path (lt_repro/mm/device_data.py) against the per-image one: the same
order, images and labels through the runner's dataloaders; ResumableSampler's seeded, sharded,
resumable order kept; and short MNIST-LT trainings through lt_repro.train that give the same metrics
(bit for bit without augmentation, within seed noise with it), and a preempted run with augmentation
that resumes to the uninterrupted result."""
import json
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
import torch


pytest.importorskip("mmengine")
REPO = Path(__file__).resolve().parents[2]
CONFIG = REPO / "configs/demo/cnn_1xb128-6e_mnist-lt.py"


@pytest.fixture(scope="module")
def split(mnist_lt_split):
    return mnist_lt_split


@pytest.fixture(scope="module")
def runner_cls():
    from mmengine.registry import init_default_scope

    import lt_repro.mm  # noqa: F401
    from lt_repro.mm.runner import AtomicCheckpointRunner

    init_default_scope("lt_repro")
    return AtomicCheckpointRunner


def loader_cfg(kind, split, root, subset="train", source="mnist", batch_size=32, **extra):
    return dict(batch_size=batch_size, num_workers=0, sampler=dict(type="ResumableSampler", shuffle=True),
                collate_fn=dict(type="default_collate"),
                dataset=dict(type=kind, source=source, root=str(root), split_file=str(split), subset=subset), **extra)


def epoch_batches(loader, epoch):
    loader.batch_sampler.sampler.set_epoch(epoch)
    return list(loader)


@pytest.mark.parametrize("subset", ["train", "test"])
def test_same_batches_as_the_per_sample_dataloader(runner_cls, split, mnist_root, subset):
    per_sample = runner_cls.build_dataloader(loader_cfg("LTSplitDataset", split, mnist_root, subset), seed=3)
    device = runner_cls.build_dataloader(loader_cfg("LTDeviceSplitDataset", split, mnist_root, subset), seed=3)
    assert device.num_workers == 0 and type(device.batch_sampler).__name__ == "KeyedBatchSampler"
    assert len(device) == len(per_sample)
    for epoch in (0, 1):
        a, b = epoch_batches(per_sample, epoch), epoch_batches(device, epoch)
        assert len(a) == len(b)
        for x, y in zip(a, b):  # MNIST has no train augmentation: same images, same order
            assert torch.equal(x["labels"], y["labels"]) and torch.equal(x["inputs"], y["inputs"])


def keyed(loader, epoch):
    loader.batch_sampler.sampler.set_epoch(epoch)
    return [(b.indices.tolist(), b.key) for b in loader.batch_sampler]


def test_keys_follow_seed_epoch_and_batch_and_survive_a_mid_epoch_skip(runner_cls, split, mnist_root):
    cfg = loader_cfg("LTDeviceSplitDataset", split, mnist_root)
    loader = runner_cls.build_dataloader(cfg, seed=5)
    full = keyed(loader, 2)
    assert full == keyed(loader, 2)                                  # deterministic per (seed, epoch)
    assert [k for _, k in full] != [k for _, k in keyed(loader, 3)]  # new draws every epoch
    assert len({k for _, k in full}) == len(full)                    # and every batch
    other_seed = runner_cls.build_dataloader(cfg, seed=6)
    assert keyed(other_seed, 2)[0][1] != full[0][1]
    sampler = loader.batch_sampler.sampler
    sampler.skip = 3 * 32                                            # as ResumableEpochBasedTrainLoop sets it
    try:
        assert keyed(loader, 2) == full[3:] and len(loader) == len(full) - 3
    finally:
        sampler.skip = 0


def test_ddp_shards_are_those_of_the_sampler(runner_cls, split, mnist_root):
    cfg = loader_cfg("LTDeviceSplitDataset", split, mnist_root)
    ranks = []
    for rank in (0, 1):
        loader = runner_cls.build_dataloader(cfg, seed=1)
        s = loader.batch_sampler.sampler
        s.rank, s.world_size = rank, 2
        s.num_samples = -(-len(s.dataset) // 2)
        s.total_size = s.num_samples * 2
        assert sum(len(i) for i, _ in keyed(loader, 0)) == len(s) == s.num_samples
        ranks.append(keyed(loader, 0))
    flat = [[i for batch, _ in r for i in batch] for r in ranks]
    whole = list(torch.randperm(len(s.dataset), generator=torch.Generator().manual_seed(1)).tolist())
    whole += whole[:s.total_size - len(whole)]
    assert flat[0] == whole[0::2] and flat[1] == whole[1::2]         # DefaultSampler's sharding
    assert {k for _, k in ranks[0]}.isdisjoint(k for _, k in ranks[1])


def test_drop_last_moves_into_the_batch_sampler(runner_cls, split, mnist_root):
    n = len(json.loads(split.read_text())["train"])
    loader = runner_cls.build_dataloader(loader_cfg("LTDeviceSplitDataset", split, mnist_root, batch_size=100,
                                                    drop_last=True, persistent_workers=True), seed=0)
    assert len(loader) == n // 100 and all(len(b["labels"]) == 100 for b in loader)
    keep = runner_cls.build_dataloader(loader_cfg("LTDeviceSplitDataset", split, mnist_root, batch_size=100), seed=0)
    assert len(keep) == -(-n // 100) and sum(len(b["labels"]) for b in keep) == n


def test_refuses_file_based_sources_and_multi_hot_labels(tmp_path, split, mnist_root):
    from lt_repro.mm.device_data import LTDeviceSplitDataset

    with pytest.raises(ValueError, match="file-based"):
        LTDeviceSplitDataset("imagenet-lt", str(tmp_path), str(split), "train")
    with pytest.raises(ValueError, match="image_size"):
        LTDeviceSplitDataset("mnist", str(mnist_root), str(split), "train", image_size=224)
    ds = LTDeviceSplitDataset("mnist", str(mnist_root), str(split), "val")
    assert ds.images.dtype == torch.uint8 and ds.images.shape[1:] == (1, 28, 28) and len(ds) == 200
    one = ds[7]
    assert one["inputs"].shape == (1, 28, 28) and one["labels"].dtype == torch.long


# ---- training through lt_repro.train ----

def train_args(split, mnist_root, tmp_path, name, seed, *, device, source="mnist", epochs=3):
    kind = "LTDeviceSplitDataset" if device else "LTSplitDataset"
    sets = [f"{p}_dataloader.dataset.{k}={v}" for p in ("train", "val", "test")
            for k, v in (("split_file", split), ("root", mnist_root), ("type", kind))]
    sets += [f"train_dataloader.dataset.source={source}", f"train_cfg.max_epochs={epochs}", "param_scheduler=[]"]
    return [str(CONFIG), "--work-dir", str(tmp_path / name / "w"), "--out-dir", str(tmp_path / name / "o"),
            "--seed", str(seed), "--threads", "1", "--no-progress", "--set", *sets]


def run_helper(runs, **kw):
    return subprocess.Popen([sys.executable, "-m", "tests.classification.device_path_runs", json.dumps(runs)],
                            cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, **kw)


def finish(proc, timeout=900):
    out, _ = proc.communicate(timeout=timeout)
    return proc.returncode, out


def metrics(tmp_path, name):
    return json.loads((tmp_path / name / "o" / "metrics.json").read_text())


@pytest.mark.slow
def test_mnist_lt_same_metrics_without_augmentation(split, mnist_root, tmp_path):
    """No augmentation on MNIST: both paths train on the same batches, so every metric is equal."""
    runs = [train_args(split, mnist_root, tmp_path, n, 0, device=d) for n, d in (("ref", False), ("dev", True))]
    rc, out = finish(run_helper(runs))
    assert rc == 0, out[-3000:]
    ref, dev = metrics(tmp_path, "ref"), metrics(tmp_path, "dev")
    assert ref == dev
    record = json.loads((tmp_path / "dev/o/record.json").read_text())
    assert record["config"]["train_dataloader"]["dataset"]["type"] == "LTDeviceSplitDataset"


@pytest.mark.slow
def test_mnist_lt_with_augmentation_same_metrics_within_seed_noise(split, mnist_root, tmp_path):
    """Pad-4 crop + flip on MNIST-LT, 3 seeds per path, 4 epochs. Tolerance: the mean test error and the
    mean per-class accuracy of the two paths differ by at most 3 standard errors of the difference of
    means (sample standard deviations over the seeds), and never by more than 1.5 points when the seeds
    happen to agree closely."""
    seeds = (0, 1, 2)
    runs = [train_args(split, mnist_root, tmp_path, f"{p}{s}", s, device=p == "dev", source="mnist-padcrop",
                       epochs=4) for p in ("ref", "dev") for s in seeds]
    rc, out = finish(run_helper(runs), timeout=1800)
    assert rc == 0, out[-3000:]
    for key in ("top1_err_pct", "mean_class_acc_pct"):
        a = np.array([metrics(tmp_path, f"ref{s}")[key] for s in seeds])
        b = np.array([metrics(tmp_path, f"dev{s}")[key] for s in seeds])
        se = np.sqrt(a.var(ddof=1) / len(a) + b.var(ddof=1) / len(b))
        print(f"{key}: per-image {a.round(2)} device {b.round(2)}; |diff of means| {abs(a.mean() - b.mean()):.2f}, "
              f"3 SE {3 * se:.2f}")
        assert abs(a.mean() - b.mean()) <= max(3 * se, 1.5), (key, a, b)
    assert metrics(tmp_path, "dev0") != metrics(tmp_path, "ref0")  # the draws differ, so the runs do


@pytest.mark.slow
def test_preempted_device_run_with_augmentation_resumes_to_the_uninterrupted_result(split, mnist_root, tmp_path):
    args = dict(device=True, source="mnist-padcrop", epochs=3)
    rc, out = finish(run_helper([train_args(split, mnist_root, tmp_path, "ref", 0, **args)]))
    assert rc == 0, out[-3000:]
    work = tmp_path / "run" / "w"
    proc = run_helper([train_args(split, mnist_root, tmp_path, "run", 0, **args)])
    deadline = time.time() + 600
    while not (work / "epoch_1.pth").exists():  # in epoch 2 now
        assert proc.poll() is None and time.time() < deadline, "training ended before it could be preempted"
        time.sleep(0.05)
    proc.send_signal(signal.SIGTERM)
    rc, out = finish(proc)
    assert rc == 143, out[-3000:]
    last = Path((work / "last_checkpoint").read_text().strip())
    assert last.name.startswith("preempt_iter_")
    rc, out = finish(run_helper([train_args(split, mnist_root, tmp_path, "run", 0, **args)]))
    assert rc == 0, out[-3000:]
    resumed = json.loads((tmp_path / "run/o/record.json").read_text())["resumed_from"]
    per_epoch = -(-len(json.loads(split.read_text())["train"]) // 128)
    assert resumed["epoch"] == 1 and per_epoch < resumed["iter"] < 2 * per_epoch, resumed  # inside epoch 2
    assert metrics(tmp_path, "run") == metrics(tmp_path, "ref")
