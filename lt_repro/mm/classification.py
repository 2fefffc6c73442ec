"""mmengine components for long-tailed classification (single-label, and multi-label for DB): model,
dataset, metrics."""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import torch
from .registry import MODELS, register
from mmengine.evaluator import BaseMetric
from mmengine.model import BaseModel
from torch import nn

from lt_repro.data import sources
from lt_repro.metrics.classification import classification_metrics
from lt_repro.metrics.multilabel import multilabel_metrics
from lt_repro import models as lt_models


def _build(spec: dict) -> nn.Module:
    spec = dict(spec)
    return getattr(lt_models, spec.pop("type"))(**spec)


@register("MODELS")
class LTImageClassifier(BaseModel):
    """Backbone → linear classifier → a loss built from the registry.

    ``backbone`` names a class of :mod:`lt_repro.models` (``dict(type='SmallCNN', ...)``).
    ``prior_bias`` initialises the classifier bias to −log(C−1), the prior of Cui et al. 2019
    (section 4.3) and Lin et al. 2017 for sigmoid and focal heads, so that p ≈ 1/C at the start.
    ``freeze_backbone`` trains the classifier only (decoupled re-training, Kang et al. 2020 cRT;
    Seesaw sec. 4.4): backbone parameters get no gradient. ``frozen_bn_stats`` (default True) also
    keeps the backbone in eval mode, so its BatchNorm layers normalise with, and keep, their stored
    statistics; False leaves them in train mode as cRT does (classifier-balancing ``run_networks.py``
    freezes the feature model by ``requires_grad`` only and calls ``train()`` on every network), so
    they normalise with batch statistics and their running averages follow the re-sampled data.
    ``neck`` (a class of :mod:`lt_repro.models`, e.g. DB's ``PFCNeck``) sits between the pooled
    feature and the classifier; ``head_init_std`` draws the classifier weight from N(0, std²) with
    zero bias (DB's ClsHead: 0.01; CB's TPU ResNet); ``head_init='glorot_uniform'`` draws it as TF 1's
    ``tf.layers.dense`` does by default (U(±sqrt(6 / (fan_in + fan_out))), bias 0; CB's CIFAR network).
    ``multi_label``: labels are (N, C) multi-hot and 'predict'
    returns the logits as scores for :class:`LTMultiLabelMetric`.
    """

    def __init__(self, backbone: dict, num_classes: int, loss: dict, prior_bias: bool = False,
                 freeze_backbone: bool = False, frozen_bn_stats: bool = True, neck: dict | None = None,
                 head_init_std: float | None = None, head_init: str | None = None,
                 multi_label: bool = False, data_preprocessor: dict | None = None, init_cfg=None):
        super().__init__(data_preprocessor=data_preprocessor, init_cfg=init_cfg)
        self.backbone = _build(backbone)
        self.neck = nn.Identity() if neck is None else _build(neck)
        width = self.backbone.out_channels if neck is None else self.neck.out_channels
        self.head = nn.Linear(width, num_classes)
        self.multi_label = multi_label
        if head_init not in (None, "glorot_uniform") or (head_init and head_init_std is not None):
            raise ValueError(f"head_init must be None or 'glorot_uniform' (and not given with head_init_std), "
                             f"got {head_init!r}")
        if head_init_std is not None:
            nn.init.normal_(self.head.weight, 0.0, head_init_std)
            nn.init.zeros_(self.head.bias)
        if head_init == "glorot_uniform":
            nn.init.xavier_uniform_(self.head.weight)
            nn.init.zeros_(self.head.bias)
        if prior_bias:
            nn.init.constant_(self.head.bias, -float(np.log(num_classes - 1)))
        self.loss_fn = MODELS.build(loss)
        self.num_classes = num_classes
        self.freeze_backbone = freeze_backbone
        self.frozen_bn_stats = frozen_bn_stats
        if freeze_backbone:
            self.backbone.requires_grad_(False)

    def train(self, mode: bool = True):
        super().train(mode)
        if self.freeze_backbone and self.frozen_bn_stats:
            self.backbone.eval()
        return self

    def forward(self, inputs: torch.Tensor, labels: torch.Tensor | None = None, mode: str = "tensor"):
        if self.freeze_backbone:
            with torch.no_grad():
                features = self.backbone(inputs)
        else:
            features = self.backbone(inputs)
        logits = self.head(self.neck(features))
        if mode == "tensor":
            return logits
        if mode == "loss":
            loss = self.loss_fn(logits, labels)
            return dict(loss) if isinstance(loss, dict) else {"loss": loss}
        if mode == "predict" and self.multi_label:
            # logits, not sigmoid(logits): the official evaluation ranks raw fc outputs, and AP depends
            # only on the ranking, which float32 sigmoid would tie above z ~ 17
            return [{"scores": logits.float().cpu(), "labels": labels.cpu()}]
        if mode == "predict":
            out = {"pred": logits.argmax(1).cpu(), "label": labels.cpu()}
            if logits.size(1) >= 5:                      # top-5 error (CB Table 3)
                out["top5"] = logits.topk(5, dim=1).indices.cpu()
            return [out]
        raise ValueError(f"unknown mode {mode!r}; use 'tensor', 'loss' or 'predict'")


@register("DATASETS")
class LTSplitDataset(torch.utils.data.Dataset):
    """One subset ('train', 'val' or 'test') of a long-tailed split.

    ``split_file`` is the JSON written by ``python -m lt_repro.data split``: it holds the indices
    into the source's official training set for 'train' and 'val'; 'test' is the whole official
    test set. ``source`` names a loader in :mod:`lt_repro.data.sources`. ``augment`` picks the
    train-time augmentation (:data:`lt_repro.data.sources.AUGMENTS`; ignored for 'val'/'test').
    ``image_size``: crop size of file-based sources (default 224; CB's Table 3 also uses 320).
    ``mean``/``std``: per-channel normalisation of an array source instead of the source's own (CDB's
    CIFAR code normalises with ImageNet statistics, CB's with x/128 − 1).
    """

    def __init__(self, source: str, root: str, split_file: str, subset: str, augment: str | None = "default",
                 image_size: int | None = None, mean: list[float] | None = None, std: list[float] | None = None):
        if subset not in ("train", "val", "test"):
            raise ValueError(f"subset must be 'train', 'val' or 'test', got {subset!r}")
        split = json.loads(Path(split_file).read_text())
        loader = sources.get(source)
        images, labels = loader.load(root, "test" if subset == "test" else "train")
        if subset != "test":
            idx = np.asarray(split[subset], dtype=np.int64)
            images, labels = images[idx], labels[idx]
        self.images = loader.images_for(images, subset, augment, image_size, mean, std)  # augmented on access for train
        labels = np.asarray(labels)  # (N,) class indices, or (N, C) multi-hot (DB's COCO-/VOC-MLT)
        self.labels = torch.as_tensor(labels, dtype=torch.float32 if labels.ndim == 2 else torch.long)
        self.train_counts = split["train_counts"]
        self.metainfo = {"source": source, "subset": subset, "num_classes": len(self.train_counts)}

    def __len__(self) -> int:
        return len(self.labels)

    def __getitem__(self, i: int) -> dict:
        return {"inputs": self.images[i], "labels": self.labels[i]}


@register("METRICS")
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


@register("METRICS")
class LTMultiLabelMetric(BaseMetric):
    """Multi-label mAP (percent) over all classes and over the head / medium / tail class groups
    (DB, Wu et al. 2020; ``class_split`` from the split file, '${class_split}' in configs); see
    :func:`lt_repro.metrics.multilabel.multilabel_metrics`. Under DDP mmengine gathers every
    rank's scores before ``compute_metrics``, as for :class:`LTClassificationMetric`."""

    default_prefix = ""

    def __init__(self, class_split: dict | None = None, **kwargs):
        super().__init__(**kwargs)
        self.class_split = class_split

    def process(self, data_batch, data_samples) -> None:
        for s in data_samples:
            self.results.append((s["scores"].numpy(), s["labels"].numpy()))

    def compute_metrics(self, results) -> dict:
        scores = np.concatenate([r[0] for r in results])
        labels = np.concatenate([r[1] for r in results])
        return multilabel_metrics(scores, labels, self.class_split)
