"""The CDB ImageNet-LT config trained for two epochs on the CPU (images from an ILSVRC-style folder tree,
so the list checksums of the 'imagenet-lt' source do not apply): the official training loop's
iterations per epoch, learning rates, difficulty updates and best-validation test."""
import json
import math

import numpy as np
import pytest
import torch

from lt_repro.data import imagenet

from .test_imagenet_inat import write_imagenet_lt
from .test_training import train

pytest.importorskip("mmengine")

CONFIG = "configs/cdb/resnet10_1xb512-90e_imagenet-lt.py"


@pytest.mark.slow  # trains
def test_cdb_imagenet_lt_config_runs_the_official_loop(tmp_path):
    root = write_imagenet_lt(tmp_path / "in", train_per_class=(4, 3, 2), val_per_class=1, test_per_class=1)
    paths, _ = imagenet.load_full(str(root), "train")  # 12 images: 9 in the train list, 3 in the val list
    train_list = (root / "ImageNet_LT_train.txt").read_text().split()[::2]
    is_train = np.isin([str(p)[len(str(root)) + 1:] for p in paths], train_list)
    split = tmp_path / "s.json"
    split.write_text(json.dumps({"train": np.flatnonzero(is_train).tolist(), "val": np.flatnonzero(~is_train).tolist(),
                                 "train_counts": [4, 3, 2]}))
    parts = ("train", "val", "test")
    m = train(CONFIG, split, root, tmp_path, {
        **{f"{p}_dataloader.dataset.source": "imagenet" for p in parts},
        "train_dataloader.batch_size": 4, "val_dataloader.batch_size": 3, "test_dataloader.batch_size": 3,
        "model.num_classes": 3, "model.loss.num_classes": 3}, parts=parts, epochs=2)

    ckpt = torch.load(tmp_path / "w" / "epoch_2.pth", map_location="cpu", weights_only=False)
    assert ckpt["meta"]["iter"] == 4  # 9 images, batch 4: 2 iterations per epoch, the partial batch dropped
    lr = ckpt["optimizer"]["param_groups"][0]["lr"]
    # the second (last) epoch trained at η(2) of the 90-epoch cosine (a stock CosineAnnealingLR: η(1))
    assert lr == pytest.approx(0.2 * (1 + math.cos(math.pi * 2 / 90)) / 2, rel=1e-9)
    # difficulty re-measured on the validation list after each epoch; the second epoch (saved in epoch_2.pth
    # before its own validation) trained with the one measured after the first
    history = [json.loads(line) for line in (tmp_path / "w" / "cdb_difficulty.rank0.jsonl").read_text().splitlines()]
    assert [h["epoch"] for h in history] == [1, 2]  # runner.epoch after each training epoch
    assert torch.equal(ckpt["state_dict"]["loss_fn.class_difficulty"], torch.tensor(history[0]["difficulty"]))
    assert m["best_val/checkpoint"].startswith("best_top1_acc_pct_epoch_")  # selected on validation top-1
    assert m["num_samples"] == m["best_val/num_samples"] == 3
