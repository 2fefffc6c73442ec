"""mmdet parts for the EQL paper's LVIS rule (Tan et al., CVPR 2020, sec. 4.2 / LVIS notes): a
category in an image's positive set (its annotated categories) or verified-negative set (LVIS
``neg_category_ids``) is never ignored by EQL, even if it is rare.

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
Importing this module registers the parts: ``custom_imports=dict(imports=['lt_repro.mm',
'lt_repro.mm.detection'])``.
"""
from __future__ import annotations

import torch
from mmdet.datasets import LVISV1Dataset, LVISV05Dataset
from mmdet.models.roi_heads import StandardRoIHead
from mmdet.models.roi_heads.bbox_heads import Shared2FCBBoxHead
from mmdet.registry import DATASETS, MODELS


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
