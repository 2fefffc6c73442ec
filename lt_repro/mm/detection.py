"""mmdet parts for EQL on LVIS (Tan et al., CVPR 2020): the paper's LVIS rule and the official code's
repeat-factor sampling.

The LVIS rule (arXiv:2003.05176v2, sec. 4.2): a category in an image's positive set (its annotated
categories) or verified-negative set (LVIS ``neg_category_ids``) is never ignored by EQL, even if rare.

mmdet's bbox head passes no image information to its loss, so three small parts carry it there:

- ``LTLVISV05Dataset`` / ``LTLVISV1Dataset``: mmdet's LVIS datasets that also keep each image's
  ``neg_category_ids`` as label indices in ``neg_labels`` (add 'neg_labels' to PackDetInputs'
  ``meta_keys``);
- ``LTEQLRoIHead``: a StandardRoIHead that, in training, builds the (num_images, C) bool table
  "class j is in image i's positive or negative set" and hands it to its bbox head;
- ``LTEQLBBoxHead``: a Shared2FCBBoxHead whose classification loss gets, per RoI, the row of that
  table for the RoI's image (``image_class_mask`` of ``lt_repro.losses.EqualizationLoss`` with
  ``use_image_level_sets=True``). Box regression is mmdet's, unchanged.

The official code (eql.detectron2) does not apply this rule; its configs use the plain mmdet heads.

Repeat-factor sampling as the official EQL code draws it (detectron2's ``RepeatFactorTrainingSampler``,
tztztztztz/eql.detectron2 ``detectron2/data/samplers/distributed_sampler.py``):

- ``LTRepeatFactorDataset``: mmengine's ClassBalancedDataset computes the same image repeat factors
  r(I) = max over the categories c of I of max(1, sqrt(t / f(c))) (f(c): fraction of the training images
  that contain c), but then repeats every image ceil(r(I)) times, once and for all: an image with
  r = 1.01 is seen twice per epoch. This wrapper keeps the images once and only carries r(I);
- ``LTRepeatFactorSampler``: each epoch draws floor(r) copies plus one more with probability
  r - floor(r) (stochastic rounding, so an image is seen r(I) times per epoch on average), then
  shuffles; seeded per (seed, epoch), sharded across ranks as mmengine's DefaultSampler.

Importing this module registers the parts: ``custom_imports=dict(imports=['lt_repro.mm',
'lt_repro.mm.detection'])``.
"""
from __future__ import annotations

import torch
from mmdet.datasets import LVISV1Dataset, LVISV05Dataset
from mmdet.models.roi_heads import StandardRoIHead
from mmdet.models.roi_heads.bbox_heads import Shared2FCBBoxHead
from mmdet.registry import DATA_SAMPLERS, DATASETS, MODELS
from mmengine.dataset import ClassBalancedDataset

from .samplers import _IndexSampler, shard_sizes


class _NegLabels:
    def parse_data_info(self, raw_data_info: dict):
        info = super().parse_data_info(raw_data_info)
        negs = raw_data_info["raw_img_info"].get("neg_category_ids", [])
        info["neg_labels"] = [self.cat2label[c] for c in negs if c in self.cat2label]
        return info


@DATASETS.register_module()
class LTLVISV05Dataset(_NegLabels, LVISV05Dataset):
    """LVIS v0.5 with each image's verified-negative categories as ``neg_labels``."""


@DATASETS.register_module()
class LTLVISV1Dataset(_NegLabels, LVISV1Dataset):
    """LVIS v1 with each image's verified-negative categories as ``neg_labels``."""


def image_class_sets(batch_data_samples, num_classes: int, device) -> torch.Tensor:
    """(num_images, C) bool: True where class j is annotated in image i or verified absent from it."""
    sets = torch.zeros(len(batch_data_samples), num_classes, dtype=torch.bool, device=device)
    for i, sample in enumerate(batch_data_samples):
        if "neg_labels" not in sample.metainfo:
            raise KeyError("LTEQLRoIHead needs 'neg_labels' in the data samples: use LTLVISV05Dataset/"
                           "LTLVISV1Dataset and add 'neg_labels' to PackDetInputs meta_keys in the config")
        sets[i, sample.gt_instances.labels.to(device)] = True
        sets[i, torch.as_tensor(sample.metainfo["neg_labels"], dtype=torch.long, device=device)] = True
    return sets


@MODELS.register_module()
class LTEQLRoIHead(StandardRoIHead):
    """StandardRoIHead that gives its bbox head the images' positive/negative category sets."""

    def loss(self, x, rpn_results_list, batch_data_samples):
        self.bbox_head.image_sets = image_class_sets(batch_data_samples, self.bbox_head.num_classes, x[0].device)
        try:
            return super().loss(x, rpn_results_list, batch_data_samples)
        finally:
            self.bbox_head.image_sets = None


@MODELS.register_module()
class LTEQLBBoxHead(Shared2FCBBoxHead):
    """Shared2FCBBoxHead whose EQL loss sees, per RoI, its image's positive/negative sets."""

    image_sets = None

    def loss(self, cls_score, bbox_pred, rois, labels, label_weights, bbox_targets, bbox_weights,
             reduction_override=None) -> dict:
        if not getattr(self.loss_cls, "use_image_level_sets", False):
            return super().loss(cls_score, bbox_pred, rois, labels, label_weights, bbox_targets,
                                bbox_weights, reduction_override)
        if self.image_sets is None:
            raise RuntimeError("LTEQLBBoxHead with use_image_level_sets=True needs roi_head type 'LTEQLRoIHead'")
        losses = super().loss(None, bbox_pred, rois, labels, label_weights, bbox_targets, bbox_weights,
                              reduction_override)  # box regression only
        if cls_score is not None and cls_score.numel() > 0:
            avg_factor = max(torch.sum(label_weights > 0).float().item(), 1.0)  # as mmdet BBoxHead.loss
            mask = self.image_sets[rois[:, 0].long()]
            losses["loss_cls"] = self.loss_cls(cls_score, labels, label_weights, avg_factor=avg_factor,
                                               reduction_override=reduction_override, image_class_mask=mask)
            losses.update(self.loss_cls.get_accuracy(cls_score, labels))
        return losses


@DATASETS.register_module()
class LTRepeatFactorDataset(ClassBalancedDataset):
    """ClassBalancedDataset's repeat factors without its ceil repetition: indexes the wrapped dataset
    unchanged and exposes ``repeat_factors`` (float64, one per image) for ``LTRepeatFactorSampler``.
    Same arguments as ClassBalancedDataset (``oversample_thr`` = detectron2's REPEAT_THRESHOLD)."""

    def full_init(self) -> None:
        if self._fully_initialized:
            return
        self.dataset.full_init()
        factors = self._get_repeat_factors(self.dataset, self.oversample_thr)
        self.repeat_factors = torch.tensor(factors, dtype=torch.float64)
        self.repeat_indices = list(range(len(self.dataset)))
        self._fully_initialized = True


@DATA_SAMPLERS.register_module()
class LTRepeatFactorSampler(_IndexSampler):
    """Stochastic rounding of the dataset's ``repeat_factors``, redrawn every epoch (see the module
    docstring). An epoch's length varies with the draw: ``set_epoch`` draws the epoch's global order
    and sets this rank's length from it (padded to a multiple of the world size when ``round_up``)."""

    def __init__(self, dataset, seed: int | None = None, round_up: bool = True):
        factors = getattr(dataset, "repeat_factors", None)
        if factors is None:
            raise TypeError(f"LTRepeatFactorSampler needs a dataset with 'repeat_factors'; wrap "
                            f"{type(dataset).__name__} in dict(type='LTRepeatFactorDataset', oversample_thr=..., "
                            f"dataset=...) in train_dataloader")
        factors = torch.as_tensor(factors, dtype=torch.float64)
        self.whole = torch.floor(factors)
        self.frac = factors - self.whole
        self._setup(dataset, seed, len(factors), round_up)
        self.set_epoch(0)

    def epoch_order(self, epoch: int) -> torch.Tensor:
        """The global order of ``epoch`` (all ranks, no padding): floor(r) + Bernoulli(r - floor(r))
        copies of each image, shuffled."""
        g = torch.Generator().manual_seed(self.seed + epoch)
        copies = self.whole + (torch.rand(len(self.frac), generator=g, dtype=torch.float64) < self.frac)
        order = torch.repeat_interleave(torch.arange(len(copies)), copies.long())
        return order[torch.randperm(len(order), generator=g)]

    def set_epoch(self, epoch: int) -> None:
        self.epoch = epoch
        self.order = self.epoch_order(epoch)
        self.num_samples, self.total_size = shard_sizes(len(self.order), self.rank, self.world_size, self.round_up)

    def indices(self) -> torch.Tensor:
        """This rank's indices for the current epoch (before ``skip``)."""
        order = self.order
        if self.total_size > len(order):  # round_up: pad with the start of the order, as DefaultSampler
            order = order.repeat(-(-self.total_size // len(order)))[:self.total_size]
        return order[self.rank:self.total_size:self.world_size]
