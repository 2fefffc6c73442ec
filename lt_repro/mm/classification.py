"""mmengine components for single-label long-tailed classification: model, dataset, metric."""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import torch
from mmdet.registry import DATASETS, METRICS, MODELS
from mmengine.evaluator import BaseMetric
from mmengine.model import BaseModel
from torch import nn

from lt_repro.data import sources
from lt_repro.metrics.classification import classification_metrics
from lt_repro import models as lt_models


@MODELS.register_module()
class LTImageClassifier(BaseModel):
    """Backbone → linear classifier → a loss built from the registry.

    ``backbone`` names a class of :mod:`lt_repro.models` (``dict(type='SmallCNN', ...)``).
    ``prior_bias`` initialises the classifier bias to −log(C−1), the prior of Cui et al. 2019
    (section 4.3) and Lin et al. 2017 for sigmoid and focal heads, so that p ≈ 1/C at the start.
    ``freeze_backbone`` trains the classifier only (decoupled re-training, Kang et al. 2020 cRT;
    Seesaw sec. 4.4): backbone parameters get no gradient and the backbone stays in eval mode, so
    its BatchNorm statistics do not change either.
    """

    def __init__(self, backbone: dict, num_classes: int, loss: dict, prior_bias: bool = False,
                 freeze_backbone: bool = False, data_preprocessor: dict | None = None, init_cfg=None):
        super().__init__(data_preprocessor=data_preprocessor, init_cfg=init_cfg)
        backbone = dict(backbone)
        cls = getattr(lt_models, backbone.pop("type"))
        self.backbone = cls(**backbone)
        self.head = nn.Linear(self.backbone.out_channels, num_classes)
        if prior_bias:
            nn.init.constant_(self.head.bias, -float(np.log(num_classes - 1)))
        self.loss_fn = MODELS.build(loss)
        self.num_classes = num_classes
        self.freeze_backbone = freeze_backbone
        if freeze_backbone:
            self.backbone.requires_grad_(False)

    def train(self, mode: bool = True):
        super().train(mode)
        if self.freeze_backbone:
            self.backbone.eval()
        return self

    def forward(self, inputs: torch.Tensor, labels: torch.Tensor | None = None, mode: str = "tensor"):
        if self.freeze_backbone:
            with torch.no_grad():
                features = self.backbone(inputs)
        else:
            features = self.backbone(inputs)
        logits = self.head(features)
        if mode == "tensor":
            return logits
        if mode == "loss":
            loss = self.loss_fn(logits, labels)
            return dict(loss) if isinstance(loss, dict) else {"loss": loss}
        if mode == "predict":
            out = {"pred": logits.argmax(1).cpu(), "label": labels.cpu()}
            if logits.size(1) >= 5:                      # top-5 error (CB Table 3)
                out["top5"] = logits.topk(5, dim=1).indices.cpu()
            return [out]
        raise ValueError(f"unknown mode {mode!r}; use 'tensor', 'loss' or 'predict'")


@DATASETS.register_module()
class LTSplitDataset(torch.utils.data.Dataset):
    """One subset ('train', 'val' or 'test') of a long-tailed split.

    ``split_file`` is the JSON written by ``python -m lt_repro.data split``: it holds the indices
    into the source's official training set for 'train' and 'val'; 'test' is the whole official
    test set. ``source`` names a loader in :mod:`lt_repro.data.sources`. ``augment`` picks the
    train-time augmentation (:data:`lt_repro.data.sources.AUGMENTS`; ignored for 'val'/'test').
    ``image_size``: crop size of file-based sources (default 224; CB's Table 3 also uses 320).
    """

    def __init__(self, source: str, root: str, split_file: str, subset: str, augment: str | None = "default",
                 image_size: int | None = None):
        if subset not in ("train", "val", "test"):
            raise ValueError(f"subset must be 'train', 'val' or 'test', got {subset!r}")
        split = json.loads(Path(split_file).read_text())
        loader = sources.get(source)
        images, labels = loader.load(root, "test" if subset == "test" else "train")
        if subset != "test":
            idx = np.asarray(split[subset], dtype=np.int64)
            images, labels = images[idx], labels[idx]
        self.images = loader.images_for(images, subset, augment, image_size)  # augmented on access for train
        self.labels = torch.as_tensor(labels, dtype=torch.long)
        self.train_counts = split["train_counts"]
        self.metainfo = {"source": source, "subset": subset, "num_classes": len(self.train_counts)}

    def __len__(self) -> int:
        return len(self.labels)

    def __getitem__(self, i: int) -> dict:
        return {"inputs": self.images[i], "labels": self.labels[i]}


@METRICS.register_module()
class LTClassificationMetric(BaseMetric):
    """Top-1 (and, with 5+ classes, top-5) error, mean per-class, many/medium/few-shot and
    per-class accuracy (percent).

    Under DDP mmengine gathers every rank's predictions before ``compute_metrics`` runs on rank 0
    and broadcasts the result, so all ranks see the accuracy of the whole split.
    """

    default_prefix = ""

    def __init__(self, train_counts: list[int], many_above: int = 100, few_below: int = 20, **kwargs):
        super().__init__(**kwargs)
        self.train_counts = list(train_counts)
        self.many_above, self.few_below = many_above, few_below

    def process(self, data_batch, data_samples) -> None:
        for s in data_samples:
            top5 = s.get("top5")
            self.results.append((s["pred"].numpy(), s["label"].numpy(),
                                 None if top5 is None else top5.numpy()))

    def compute_metrics(self, results) -> dict:
        pred = np.concatenate([r[0] for r in results])
        label = np.concatenate([r[1] for r in results])
        top5 = None
        if results and all(r[2] is not None for r in results):
            top5 = np.concatenate([r[2] for r in results])
        return classification_metrics(pred, label, self.train_counts, self.many_above, self.few_below,
                                      top5=top5)

