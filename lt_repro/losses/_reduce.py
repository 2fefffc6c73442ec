"""Shared reduction helper following mmdet's loss contract.

Mirrors ``weight_reduce_loss`` of mmdet 3.3.0
(open-mmlab/mmdetection@cfd5d3a985b0249de009b67d04f37263e11cdf3d:mmdet/models/losses/utils.py) exactly,
with one deliberate addition: ``reduction='mean'`` over an empty tensor returns
``loss.sum()`` (a 0 that keeps the autograd graph) instead of NaN.

Semantics:
- ``weight`` (broadcastable to ``loss``) multiplies the element-wise loss.
- ``avg_factor is None``: 'none' -> unchanged, 'mean' -> ``loss.mean()``,
  'sum' -> ``loss.sum()``.
- ``avg_factor`` given: 'mean' -> ``loss.sum() / (avg_factor + eps)`` with
  ``eps = finfo(float32).eps``; 'none' -> unchanged; 'sum' -> ValueError.
"""
from typing import Optional, Union

import torch
import torch.nn.functional as F

_REDUCTIONS = ('none', 'mean', 'sum')
_EPS = torch.finfo(torch.float32).eps


def check_reduction(reduction: str) -> str:
    if reduction not in _REDUCTIONS:
        raise ValueError(f'reduction must be one of {_REDUCTIONS}, got {reduction!r}')
    return reduction


def reduce_loss(loss: torch.Tensor, reduction: str) -> torch.Tensor:
    """'none' | 'mean' | 'sum'; mean of an empty tensor is 0 (with grad)."""
    check_reduction(reduction)
    if reduction == 'none':
        return loss
    if reduction == 'sum' or loss.numel() == 0:
        return loss.sum()
    return loss.mean()


def weight_reduce_loss(loss: torch.Tensor,
                       weight: Optional[torch.Tensor] = None,
                       reduction: str = 'mean',
                       avg_factor: Optional[Union[float, torch.Tensor]] = None
                       ) -> torch.Tensor:
    """Apply element-wise ``weight`` then reduce (mmdet semantics)."""
    check_reduction(reduction)
    if weight is not None:
        loss = loss * weight
    if avg_factor is None:
        return reduce_loss(loss, reduction)
    if reduction == 'none':
        return loss
    return finish_sum(loss.sum(), loss.numel(), reduction, avg_factor)


def resolve_reduction(default: str, reduction_override: Optional[str]) -> str:
    """mmdet: ``reduction_override`` (if given) wins over the module default."""
    return check_reduction(reduction_override if reduction_override else default)


def finish_sum(total: torch.Tensor, count: int, reduction: str,
               avg_factor: Optional[Union[float, torch.Tensor]] = None) -> torch.Tensor:
    """'mean' / 'sum' of ``count`` weighted terms given their sum ``total``: the same result as
    ``weight_reduce_loss`` on the terms (mean of no terms = 0, ``avg_factor`` replaces count)."""
    if avg_factor is None:
        return total if reduction == 'sum' or count == 0 else total / count
    if reduction == 'mean':
        return total / (avg_factor + _EPS)
    raise ValueError('avg_factor can not be used with reduction="sum"')


def cross_entropy(logits: torch.Tensor, label: torch.Tensor,
                  class_weight: Optional[torch.Tensor] = None,
                  weight: Optional[torch.Tensor] = None, reduction: str = 'mean',
                  avg_factor: Optional[Union[float, torch.Tensor]] = None) -> torch.Tensor:
    """mmdet's softmax ``cross_entropy``: CE_i times ``class_weight[y_i]``, then
    ``weight_reduce_loss`` ('mean' = sum_i w_{y_i} CE_i / N, not torch's / sum w). Without a
    per-sample ``weight`` the sum runs inside the CE kernel (no (N,) loss vector and one
    autograd node less; the same value)."""
    if weight is None and reduction != 'none' and logits.size(0) > 0:
        if reduction == 'mean' and avg_factor is None and class_weight is None:
            return F.cross_entropy(logits, label, reduction='mean')
        total = F.cross_entropy(logits, label, weight=class_weight, reduction='sum')
        return finish_sum(total, logits.size(0), reduction, avg_factor)
    loss = F.cross_entropy(logits, label, weight=class_weight, reduction='none')
    return weight_reduce_loss(loss, weight, reduction, avg_factor)
