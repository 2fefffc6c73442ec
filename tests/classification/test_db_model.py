"""The DB track's model pieces: mmdet-style frozen stages / norm_eval on torchvision ResNets, the PFC
neck, the multi-label classifier mode, the split placeholders its config uses and its train loader."""
import json
from pathlib import Path

import pytest
import torch

from lt_repro.models import PFCNeck, TorchvisionResNet

pytest.importorskip("mmdet")


def test_frozen_stages_and_norm_eval_follow_mmdet_resnet():
    net = TorchvisionResNet("resnet50", frozen_stages=1, norm_eval=True)
    frozen = [net.net.conv1, net.net.bn1, net.net.layer1]
    assert not any(p.requires_grad for m in frozen for p in m.parameters())
    assert all(p.requires_grad for p in net.net.layer2.parameters())
    net.train()
    bns = [m for m in net.modules() if isinstance(m, torch.nn.BatchNorm2d)]
    assert bns and not any(m.training for m in bns)          # norm_eval: running stats frozen everywhere
    assert net.net.layer2.training and not net.net.layer1.training
    plain = TorchvisionResNet("resnet50").train()
    assert all(m.training for m in plain.modules() if isinstance(m, torch.nn.BatchNorm2d))
    with pytest.raises(ValueError, match="frozen_stages"):
        TorchvisionResNet("resnet50", frozen_stages=5)


def test_pfc_neck_is_fc_bn_dropout():
    torch.manual_seed(0)
    neck = PFCNeck(8, 4, dropout=0.5).eval()
    x = torch.randn(6, 8)
    ref = neck.bn(neck.fc(x))                                 # eval: dropout is the identity
    torch.testing.assert_close(neck(x), ref)
    torch.testing.assert_close(neck(x[:, :, None, None].expand(6, 8, 3, 3)), ref)  # pools a 4-d map
    assert torch.count_nonzero(neck.fc.bias) == 0 and neck.out_channels == 4


@pytest.mark.needs_ops  # built through mmdet's registry, which imports mmcv's ops
def test_multi_label_classifier_predicts_logit_scores():
    from mmdet.registry import MODELS

    import lt_repro.mm  # noqa: F401

    model = MODELS.build(dict(type="LTImageClassifier", backbone=dict(type="SmallCNN", in_channels=3),
                              neck=dict(type="PFCNeck", in_channels=128, out_channels=16), num_classes=5,
                              head_init_std=0.01, multi_label=True,
                              loss=dict(type="LTDistributionBalancedLoss", class_freq=[5, 4, 3, 2, 1],
                                        train_num=9)))
    x, y = torch.randn(4, 3, 28, 28), (torch.rand(4, 5) < 0.4).float()
    loss = model(x, y, mode="loss")["loss"]
    loss.backward()
    assert torch.isfinite(loss) and model.head.weight.grad is not None
    model.eval()
    out, = model(x, y, mode="predict")
    torch.testing.assert_close(out["scores"], model(x, mode="tensor"))   # raw logits, as the official eval
    assert torch.equal(out["labels"], y) and torch.count_nonzero(model.head.bias) == 0


def test_split_placeholders_train_num_and_class_split(tmp_path):
    from mmengine.config import Config

    from lt_repro.train import resolve_placeholders

    split = tmp_path / "s.json"
    split.write_text(json.dumps({"train": [0, 1, 2], "val": [], "train_counts": [2, 2],
                                 "class_split": {"head": [0], "medium": [], "tail": [1]}}))
    cfg = Config(dict(train_dataloader=dict(dataset=dict(split_file=str(split))),
                      model=dict(loss=dict(class_freq="${train_counts}", train_num="${train_num}")),
                      val_evaluator=None, test_evaluator=dict(class_split="${class_split}")))
    assert resolve_placeholders(cfg) == [2, 2]
    assert cfg.model.loss.train_num == 3 and cfg.model.loss.class_freq == [2, 2]
    assert cfg.test_evaluator.class_split == {"head": [0], "medium": [], "tail": [1]}
    split.write_text(json.dumps({"train": [0], "val": [], "train_counts": [1]}))
    cfg.test_evaluator = dict(class_split="${class_split}")
    with pytest.raises(KeyError, match="class_split"):
        resolve_placeholders(cfg)


class _MultiHot(torch.utils.data.Dataset):
    """(image, labels) pairs whose only content is the (N, C) multi-hot ``labels`` the sampler reads."""

    def __init__(self, labels: torch.Tensor):
        self.labels = labels

    def __len__(self) -> int:
        return len(self.labels)

    def __getitem__(self, i: int):
        return torch.zeros(1), self.labels[i]


def test_db_train_loader_drops_the_last_partial_batch_as_the_official_loader():
    """The official DataLoader has drop_last=True (build_loader.py): an epoch of the class-aware sampler
    (int(max_c n_c × C / 4) draws) gives floor(draws / 32) full batches, none smaller."""
    from mmengine.config import Config
    from mmengine.registry import DefaultScope
    from mmengine.runner import Runner

    import lt_repro.mm  # noqa: F401

    cfg = Config.fromfile(str(Path(__file__).resolve().parents[2] / "configs/db/resnet50_pfc_8e_mlt.py"))
    loader_cfg = cfg.train_dataloader.to_dict()
    labels = torch.zeros(40, 20)
    labels[torch.arange(40), torch.arange(40) % 20] = 1           # 2 images per class
    labels[:10, 19] = 1                                             # class 19: 2 + 10 = 12 images
    draws = int(12 * 20 / 4)                                        # 60 draws: one full batch of 32 + 28
    loader_cfg.update(dataset=_MultiHot(labels), num_workers=0, persistent_workers=False)
    with DefaultScope.overwrite_default_scope(cfg.default_scope):
        loader = Runner.build_dataloader(loader_cfg, seed=0)
    assert len(loader.sampler) == draws and loader_cfg["batch_size"] == 32
    sizes = [len(y) for _, y in loader]
    assert sizes == [32] * (draws // 32) and len(loader) == draws // 32 == 1
