"""Two CPU processes over gloo: CDB's difficulty must agree across ranks and come from the whole
validation split; Seesaw's counts stay per rank unless sync_counts=True."""
import json
import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest
import torch
import torch.distributed as dist
import torch.multiprocessing as mp

from lt_repro.losses import SeesawLoss

REPO = Path(__file__).resolve().parents[1]
CONFIG = REPO / "configs/demo/cnn_1xb128-6e_mnist-lt.py"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _seesaw_worker(rank, port, sync, out):
    dist.init_process_group("gloo", init_method=f"tcp://127.0.0.1:{port}", rank=rank, world_size=2)
    torch.manual_seed(rank)
    loss = SeesawLoss(num_classes=4, sync_counts=sync)
    labels = torch.tensor([0, 0, 1] if rank == 0 else [2, 3, 3, 3])
    loss(torch.randn(len(labels), 6), labels)
    out[rank] = loss.cum_samples.tolist()
    dist.destroy_process_group()


@pytest.mark.slow  # spawns two processes
@pytest.mark.parametrize("sync", [False, True])
def test_seesaw_counts_per_rank_or_synchronised(sync):
    out = mp.Manager().dict()
    mp.spawn(_seesaw_worker, args=(free_port(), sync, out), nprocs=2)
    if sync:
        assert out[0] == out[1] == [2, 1, 1, 3, 0]
    else:  # the official behaviour: each GPU counts its own images
        assert out[0] == [2, 1, 0, 0, 0] and out[1] == [0, 0, 1, 3, 0]


@pytest.mark.slow
def test_cdb_difficulty_is_the_all_reduced_validation_accuracy(mnist_root, tmp_path):
    from lt_repro.data.__main__ import make_split
    from lt_repro.record import atomic_write_json

    split = tmp_path / "split.json"
    atomic_write_json(split, make_split("mnist", str(mnist_root), rho=10, n_max=300, val_per_class=15))
    work, out = tmp_path / "work", tmp_path / "out"
    data = [f"{p}_dataloader.dataset.{k}={v}" for p in ("train", "val", "test")
            for k, v in (("split_file", split), ("root", mnist_root))]
    cdb = ["model.loss={'type': 'LTCDBLoss', 'num_classes': 10, 'tau': 'dynamic'}",
           "custom_hooks=[{'type': 'CDBDifficultyHook'}]"]
    cmd = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc-per-node", "2",
           "-m", "lt_repro.train", str(CONFIG), "--work-dir", str(work), "--out-dir", str(out),
           "--launcher", "pytorch", "--threads", "1", "--no-progress",
           "--set", *data, *cdb, "train_cfg.max_epochs=2", "param_scheduler=[]"]
    res = subprocess.run(cmd, cwd=REPO, capture_output=True, text=True, timeout=600,
                         env={**os.environ, "OMP_NUM_THREADS": "1"})
    assert res.returncode == 0, res.stdout[-3000:] + res.stderr[-3000:]
    assert (out / "metrics.json").exists()
    ranks = [[json.loads(l) for l in (work / f"cdb_difficulty.rank{r}.jsonl").read_text().splitlines()] for r in (0, 1)]
    assert ranks[0] == ranks[1] and len(ranks[0]) == 2

    # recompute the last difficulty on the WHOLE validation split from the final weights
    from mmengine.config import Config

    import lt_repro.mm  # noqa: F401
    from lt_repro.mm.classification import LTImageClassifier, LTSplitDataset
    from lt_repro.mm.compat import own_checkpoint_globals

    cfg = Config.fromfile(CONFIG)
    model = LTImageClassifier(backbone=cfg.model.backbone, num_classes=10, loss={"type": "LTCrossEntropyLoss"})
    with own_checkpoint_globals():
        state = torch.load(work / "epoch_2.pth", map_location="cpu", weights_only=True)["state_dict"]
    model.load_state_dict({k: v for k, v in state.items() if not k.startswith("loss_fn.")})
    val = LTSplitDataset("mnist", str(mnist_root), str(split), "val")
    with torch.no_grad():
        pred = model(val.images).argmax(1)
    acc = torch.stack([(pred[val.labels == c] == c).float().mean() for c in range(10)])
    assert torch.allclose(torch.tensor(ranks[0][-1]["difficulty"]), 1 - acc, atol=1e-6)
