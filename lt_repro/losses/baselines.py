"""Baseline losses the five papers compare against (thin, mmdet contract).

- ``CrossEntropyLoss``: softmax CE, ``L_i = -log softmax(z_i)[y_i]``; optional
  per-class ``class_weight`` (a buffer). 'mean' divides by N (mmdet
  ``cross_entropy`` semantics, *not* torch's weighted mean ``/ sum w_y``).
- ``SigmoidBCELoss``: per-element ``BCE(z_ic, y_ic)``; 'mean' divides by N*C
  (mmdet ``binary_cross_entropy``; also the DB repo's BCE baseline,
  wutong16/DistributionBalancedLoss@14460d0acda6a3e77a8a6a5999b9746243cb1535:mllt/models/losses/cross_entropy_loss.py).
- ``FocalLoss``: sigmoid focal loss (Lin et al., ICCV'17, Eq. 5)
  ``FL = -alpha_t (1 - p_t)^gamma log p_t``; 'mean' divides by N*C like mmdet's
  ``FocalLoss``. ``alpha=None`` disables alpha_t (the CB paper's focal baseline
  has no alpha; mmdet's default is 0.25).
mmdet files: open-mmlab/mmdetection@cfd5d3a985b0249de009b67d04f37263e11cdf3d (v3.3.0):
mmdet/models/losses/cross_entropy_loss.py, mmdet/models/losses/focal_loss.py.

``sum_over_classes=True`` (sigmoid/focal) instead sums the C binary terms of a
sample so that 'mean' divides by N (the CB official normalisation,
richardaecn/class-balanced-loss@1d7857208a2abc03d84e35a9d5383af8225d4b4d:src/cifar_main.py).

Sigmoid labels may be an (N,) int class index (``num_classes`` = background,
giving an all-zero row, mmdet's ``_expand_onehot_labels`` convention) or an
(N, C) multi-hot / soft target.

The focal modulator is the stable form of the CB official code,
``(1 - p_t)^gamma = exp(-gamma * (y*z + log1p(exp(-z))))`` (exact for y in {0, 1}), evaluated
as ``sigmoid(u)^gamma`` with the signed logit u = (1 - 2y) z for class-index / 0-1 targets, and
as ``exp(-gamma * (softplus(z) - (1 - y) z))`` (identical, any y) for (N, C) targets, which may
be soft. Focal terms and their weights run as one fused autograd node (``_fused.focal_bce``:
the gradient, modulator term included, is formed in the forward pass); plain BCE (gamma = 0,
no alpha) calls ``F.binary_cross_entropy_with_logits``, whose ATen kernels are faster. Finite
value and gradient for any z, +-1000 included.
"""
from typing import Optional

import torch
import torch.nn as nn
import torch.nn.functional as F

from ._fused import reduced_focal_bce
from ._reduce import cross_entropy, resolve_reduction, weight_reduce_loss

__all__ = ['CrossEntropyLoss', 'SigmoidBCELoss', 'FocalLoss']


def upcast(x: torch.Tensor) -> torch.Tensor:
    """float16/bfloat16 -> float32 (loss maths in fp32); float32/64 unchanged."""
    return x.float() if x.dtype in (torch.float16, torch.bfloat16) else x


def check_logits(cls_score: torch.Tensor, num_classes: Optional[int], owner: str) -> None:
    if cls_score.dim() != 2:
        raise ValueError(f'{owner}: cls_score must be (N, C), got shape {tuple(cls_score.shape)}')
    if num_classes is not None and cls_score.size(1) != num_classes:
        raise ValueError(f'{owner}: cls_score has {cls_score.size(1)} columns but the loss was '
                         f'built for {num_classes} classes; pass per-class statistics of '
                         f'length {cls_score.size(1)}')


def scale_loss(loss: torch.Tensor, loss_weight: float) -> torch.Tensor:
    """loss_weight * loss; skipped (bit-identical) for loss_weight == 1."""
    return loss if loss_weight == 1.0 else loss_weight * loss


def expand_weight(weight: Optional[torch.Tensor], loss: torch.Tensor) -> Optional[torch.Tensor]:
    """Per-sample (N,) weight -> (N, 1) for an element-wise (N, C) loss."""
    if weight is None:
        return None
    if loss.dim() == 2 and weight.dim() == 1:
        return weight.reshape(-1, 1)
    return weight


class CrossEntropyLoss(nn.Module):
    """Softmax cross-entropy; 'mean' = sum_i w_{y_i} CE_i / N."""

    def __init__(self, class_weight=None, reduction: str = 'mean', loss_weight: float = 1.0):
        super().__init__()
        self.reduction = resolve_reduction(reduction, None)
        self.loss_weight = float(loss_weight)
        cw = None if class_weight is None else torch.as_tensor(class_weight, dtype=torch.float32)
        self.register_buffer('class_weight', cw)

    def forward(self, cls_score, label, weight=None, avg_factor=None, reduction_override=None):
        reduction = resolve_reduction(self.reduction, reduction_override)
        n_cls = None if self.class_weight is None else self.class_weight.numel()
        check_logits(cls_score, n_cls, type(self).__name__)
        logits = upcast(cls_score)
        cw = None if self.class_weight is None else self.class_weight.to(logits.dtype)
        return scale_loss(cross_entropy(logits, label.long(), cw, weight, reduction, avg_factor),
                          self.loss_weight)


class SigmoidBCELoss(nn.Module):
    """Binary cross-entropy on sigmoid logits; 'mean' over N*C elements."""

    gamma = 0.0          # focal exponent; 0 = plain BCE (the fused terms in ``_fused.py``)

    def __init__(self, sum_over_classes: bool = False, reduction: str = 'mean',
                 loss_weight: float = 1.0):
        super().__init__()
        self.sum_over_classes = bool(sum_over_classes)
        self.reduction = resolve_reduction(reduction, None)
        self.loss_weight = float(loss_weight)

    def neg_pos_weights(self):
        """Factors of negative and positive terms (focal alpha_t); 1 for BCE."""
        return 1.0, 1.0

    def forward(self, cls_score, label, weight=None, avg_factor=None, reduction_override=None):
        reduction = resolve_reduction(self.reduction, reduction_override)
        check_logits(cls_score, None, type(self).__name__)
        logits = upcast(cls_score)
        neg, pos = self.neg_pos_weights()
        if self.gamma == 0 and neg == pos == 1:    # plain BCE: ATen's fused kernels are faster
            return scale_loss(self._bce(logits, label, weight, reduction, avg_factor),
                              self.loss_weight)
        soft = label.dim() == 2          # (N, C) targets may be soft: the general form
        if weight is not None:           # (N,) per sample or (N, C) per element
            weight = expand_weight(weight.to(logits.dtype), logits)
        loss = reduced_focal_bce(logits, label, self.gamma, reduction, avg_factor,
                                 per_row=self.sum_over_classes, weight=weight, neg_weight=neg,
                                 pos_weight=pos, soft=soft)
        return scale_loss(loss, self.loss_weight)

    def _bce(self, logits, label, weight, reduction, avg_factor):
        if label.dim() == 1:   # class index, C = background: one-hot (a column more, sliced off)
            n, c = logits.shape
            label = torch.zeros(n, c + 1, dtype=logits.dtype, device=logits.device).scatter_(
                1, label.long()[:, None], 1.0)[:, :c]
        loss = F.binary_cross_entropy_with_logits(logits, label.to(logits.dtype),
                                                  reduction='none')
        if self.sum_over_classes:
            if weight is not None and weight.dim() == 2:
                loss, weight = loss * weight, None
            loss = loss.sum(dim=1)
        return weight_reduce_loss(loss, expand_weight(weight, loss), reduction, avg_factor)


class FocalLoss(SigmoidBCELoss):
    """Sigmoid focal loss ``-alpha_t (1 - p_t)^gamma log p_t``; 'mean' over N*C."""

    def __init__(self, gamma: float = 2.0, alpha: Optional[float] = 0.25,
                 sum_over_classes: bool = False, reduction: str = 'mean',
                 loss_weight: float = 1.0):
        super().__init__(sum_over_classes, reduction, loss_weight)
        self.gamma = float(gamma)
        self.alpha = None if alpha is None else float(alpha)

    def neg_pos_weights(self):
        if self.alpha is None:
            return 1.0, 1.0
        return 1.0 - self.alpha, self.alpha              # alpha_t
