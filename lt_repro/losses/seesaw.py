r"""Seesaw Loss (Wang et al., CVPR 2021, arXiv:2008.10032v4), a vectorised re-implementation of the official
code, mmdet 3.3.0's open-mmlab/mmdetection@cfd5d3a985b0249de009b67d04f37263e11cdf3d:mmdet/models/losses/seesaw_loss.py
(values, gradients and counts matched against it in tests/losses/test_seesaw.py).

Paper (Sec. 3, equations for L_seesaw, sigma_hat, S, M, C), sample of class i, logits z (C):

    L = -log sigma_hat_i,   sigma_hat_i = e^{z_i} / (sum_{j != i} S_ij e^{z_j} + e^{z_i}),
    S_ij = M_ij * C_ij,
    M_ij = (N_j / N_i)^p  if N_i > N_j else 1        (mitigation, N = cumulative counts)
    C_ij = (sigma_j / sigma_i)^q  if sigma_j > sigma_i else 1   (compensation, sigma = softmax(z))

Both factors enter as log S_ij added to the negative logits z_j, so L = CE(z + log S, i).

Classifier layout (paper's objectness branch, as in mmdet): the head outputs C + 2 logits,
C class logits then a 2-way objectness pair (index 0 = foreground, 1 = background). Label C is
background: it only enters the objectness cross-entropy; the Seesaw class loss uses foreground
RoIs only. Scores at test time are softmax(classes) * p_fg, with p_bg as the last column.

Official code, followed here (differences from the paper's text):
- counts N are clamped to >= 1 before the ratio; they are counts of sampled RoI labels
  (background included at index C), accumulated in the buffer ``cum_samples`` *with the current
  batch before* the loss is computed, separately on every GPU (no all-reduce);
- compensation uses detached scores and divides by max(sigma_i, eps) with eps = 1e-2;
- with mmdet's bbox head, ``avg_factor`` = number of RoIs, so the class loss is the sum over
  foreground RoIs divided by the number of *all* RoIs;
- the paper's normalized linear activation (mmdet ``NormedLinear``, temperature 20) is a head
  setting, not part of this loss.

Differences from mmdet's implementation (not in the numbers): mmdet builds a C x C ratio matrix
and loops over unique labels; here the counts are a bincount, and the log factors are computed in
log space only for the N x C entries: log M = p * min(0, log N_j - log N_{y}), log C =
q * max(0, log sigma_j - max(log sigma_y, log eps)). No pow/log of underflowed values, so +-1000
logits give finite losses and gradients.

``sync_counts=False`` (default) keeps mmdet's per-GPU counts (mmengine wraps models with
``broadcast_buffers=False``, so ranks never overwrite each other's counts).
``sync_counts=True`` all-reduces each batch's counts (SUM) in :meth:`SeesawLoss.accumulate`
when torch.distributed is initialised, so every rank holds the global counts; every rank must
then call ``forward`` the same number of times (true for DDP training). A hook that sets
``sync_counts`` (or calls ``accumulate``) needs no change to the loss math.
"""
import math
from typing import Dict, Optional, Tuple, Union

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch import Tensor

from ._reduce import cross_entropy, resolve_reduction
from .baselines import scale_loss, upcast


def mmdet_top1_accuracy(pred: Tensor, target: Tensor) -> Tensor:
    """mmdet's ``accuracy(pred, target, topk=1)``: percent, shape (1,), 0 for no samples."""
    if pred.size(0) == 0:
        return pred.new_tensor(0.)
    top1 = pred.topk(1, dim=1)[1].view(-1)
    correct = top1.eq(target).float().sum(0, keepdim=True)
    return correct * (100.0 / pred.size(0))


def seesaw_log_factors(cls_score: Tensor, labels: Tensor, cum_samples: Tensor, p: float,
                       q: float, eps: float) -> Optional[Tensor]:
    """log S for each (sample, class), shape (N, C); 0 at the label column. O(N*C), no grad.
    None when p = q = 0 (S = 1). Built in place on fresh temporaries:
    p * min(0, log N_j - log N_y) + q * max(0, log sigma_j - max(log sigma_y, log eps))."""
    z = cls_score.detach()
    log_s = None
    if p > 0:
        log_n = cum_samples.clamp(min=1).log_()
        if log_n.dtype != z.dtype:
            log_n = log_n.to(z.dtype)
        log_s = (log_n - log_n.index_select(0, labels)[:, None]).clamp_(max=0).mul_(p)
    if q > 0:
        log_sigma = F.log_softmax(z, dim=1)
        log_self = log_sigma.gather(1, labels[:, None]).clamp_(min=math.log(eps))
        log_c = log_sigma.sub_(log_self).clamp_(min=0)
        log_s = log_c.mul_(q) if log_s is None else log_s.add_(log_c, alpha=q)
    return log_s


def seesaw_ce_loss(cls_score: Tensor, labels: Tensor, label_weights: Optional[Tensor],
                   cum_samples: Tensor, p: float, q: float, eps: float,
                   reduction: str = 'mean', avg_factor: Optional[float] = None) -> Tensor:
    """Seesaw cross-entropy over C class logits (no state change): CE(z + log S, y)."""
    cls_score = upcast(cls_score)
    labels = labels.long()
    log_s = seesaw_log_factors(cls_score, labels, cum_samples, p, q, eps)
    logits = cls_score if log_s is None else cls_score + log_s
    if label_weights is not None:
        label_weights = label_weights.float()
    return cross_entropy(logits, labels, None, label_weights, reduction, avg_factor)


class SeesawLoss(nn.Module):
    """Seesaw loss with objectness branch; same arguments and outputs as mmdet's SeesawLoss.

    Args:
        num_classes: C, foreground classes (the classifier has C + 2 outputs).
        p: mitigation exponent (paper: 0.8).  q: compensation exponent (paper: 2.0).
        eps: floor of sigma_i in the compensation ratio (mmdet: 1e-2).
        loss_weight: multiplies both losses.  reduction: 'mean' | 'sum' | 'none'.
        return_dict: True -> {'loss_cls_objectness', 'loss_cls_classes'}; False -> their sum.
        sync_counts: all-reduce batch counts across ranks (see module docstring).
        use_sigmoid: accepted for mmdet configs; must be False.
    """

    def __init__(self, num_classes: int, p: float = 0.8, q: float = 2.0, eps: float = 1e-2,
                 loss_weight: float = 1.0, reduction: str = 'mean', return_dict: bool = True,
                 sync_counts: bool = False, use_sigmoid: bool = False) -> None:
        super().__init__()
        if use_sigmoid:
            raise ValueError('SeesawLoss: use_sigmoid=True is not supported (softmax loss); '
                             'remove use_sigmoid from loss_cls in the config')
        self.use_sigmoid = False
        self.num_classes = int(num_classes)
        self.p, self.q, self.eps = float(p), float(q), float(eps)
        self.loss_weight = loss_weight
        self.reduction = resolve_reduction(reduction, None)
        self.return_dict = return_dict
        self.sync_counts = sync_counts
        # cumulative RoI count per class, background last (same name/shape as mmdet's buffer)
        self.register_buffer('cum_samples', torch.zeros(self.num_classes + 1, dtype=torch.float))
        # mmdet BBoxHead reads these flags
        self.custom_cls_channels = True
        self.custom_activation = True
        self.custom_accuracy = True

    def extra_repr(self) -> str:
        return (f'num_classes={self.num_classes}, p={self.p}, q={self.q}, eps={self.eps}, '
                f'sync_counts={self.sync_counts}')

    # ---- count state ----
    def count_labels(self, labels: Tensor) -> Tensor:
        """Per-class counts of ``labels`` (background at index C), int64, shape (C + 1,)."""
        try:
            counts = torch.bincount(labels.reshape(-1).long(), minlength=self.num_classes + 1)
        except RuntimeError:                   # a negative label
            counts = None
        if counts is None or counts.numel() != self.num_classes + 1:
            raise ValueError(f'SeesawLoss: labels must lie in [0, {self.num_classes}] '
                             f'({self.num_classes} = background); got '
                             f'{int(labels.min())}..{int(labels.max())}. '
                             'Check num_classes in the loss config.')
        return counts

    @torch.no_grad()
    def accumulate(self, labels: Tensor, counts: Optional[Tensor] = None) -> Tensor:
        """Add the batch counts (``count_labels(labels)`` unless given) to ``cum_samples``
        (all-reduced first if ``sync_counts``)."""
        if counts is None:
            counts = self.count_labels(labels)
        counts = counts.to(self.cum_samples.device)
        if self.sync_counts and torch.distributed.is_available() \
                and torch.distributed.is_initialized():
            torch.distributed.all_reduce(counts)
        self.cum_samples += counts
        return counts

    # ---- mmdet head interface ----
    def _split_cls_score(self, cls_score: Tensor) -> Tuple[Tensor, Tensor]:
        if cls_score.size(-1) != self.num_classes + 2:
            raise ValueError(f'SeesawLoss: cls_score has {cls_score.size(-1)} channels, expected '
                             f'num_classes + 2 = {self.num_classes + 2}. The bbox head must use '
                             'get_cls_channels (mmdet does when custom_cls_channels is set).')
        return cls_score[..., :-2], cls_score[..., -2:]

    def get_cls_channels(self, num_classes: int) -> int:
        if num_classes != self.num_classes:
            raise ValueError(f'SeesawLoss: head num_classes={num_classes} but loss '
                             f'num_classes={self.num_classes}; set both to the same value')
        return num_classes + 2

    def get_activation(self, cls_score: Tensor) -> Tensor:
        """(N, C + 2) logits -> (N, C + 1) scores: softmax(classes) * p_fg, then p_bg."""
        classes, objectness = self._split_cls_score(cls_score)
        score_classes = F.softmax(classes, dim=-1)
        score_obj = F.softmax(objectness, dim=-1)
        return torch.cat([score_classes * score_obj[..., [0]], score_obj[..., [1]]], dim=-1)

    def get_accuracy(self, cls_score: Tensor, labels: Tensor) -> Dict[str, Tensor]:
        pos = labels < self.num_classes
        obj_labels = (labels == self.num_classes).long()
        classes, objectness = self._split_cls_score(cls_score)
        return {'acc_objectness': mmdet_top1_accuracy(objectness, obj_labels),
                'acc_classes': mmdet_top1_accuracy(classes[pos], labels[pos])}

    def forward(self, cls_score: Tensor, labels: Tensor, label_weights: Optional[Tensor] = None,
                avg_factor: Optional[float] = None, reduction_override: Optional[str] = None
                ) -> Union[Tensor, Dict[str, Tensor]]:
        """cls_score (N, C + 2), labels (N,) in [0, C]; updates ``cum_samples`` first."""
        reduction = resolve_reduction(self.reduction, reduction_override)
        if reduction == 'none' and not self.return_dict:
            raise ValueError("SeesawLoss: reduction 'none' needs return_dict=True (the class loss "
                             'has one entry per foreground RoI, the objectness loss one per RoI, '
                             "so they cannot be summed); set return_dict=True or use 'mean'/'sum'")
        classes, objectness = self._split_cls_score(cls_score)
        labels = labels.long()
        counts = self.accumulate(labels)
        num_fg = labels.numel() - int(counts[-1])
        if label_weights is not None:
            label_weights = label_weights.float()

        if num_fg == labels.numel():              # no background: no row selection
            fg_classes, fg_labels, fg_weights = classes, labels, label_weights
        else:
            fg_index = (labels < self.num_classes).nonzero().squeeze(1)
            fg_classes, fg_labels = classes.index_select(0, fg_index), labels[fg_index]
            fg_weights = None if label_weights is None else label_weights[fg_index]
        if num_fg:
            loss_classes = seesaw_ce_loss(fg_classes, fg_labels, fg_weights,
                                          self.cum_samples[:self.num_classes], self.p, self.q,
                                          self.eps, reduction, avg_factor)
        else:
            loss_classes = fg_classes.sum()   # zero, keeps the graph (as mmdet)
        loss_classes = scale_loss(loss_classes, self.loss_weight)
        obj_labels = (labels == self.num_classes).long()
        loss_obj = scale_loss(cross_entropy(upcast(objectness), obj_labels, None, label_weights,
                                        reduction, avg_factor),
                          self.loss_weight)
        if self.return_dict:
            return {'loss_cls_objectness': loss_obj, 'loss_cls_classes': loss_classes}
        return loss_classes + loss_obj


class SeesawClassificationLoss(SeesawLoss):
    """Seesaw loss for plain classification (Wang et al. 2021, section 4.4, ImageNet-LT): C logits,
    labels in [0, C), no objectness branch and no background. The mitigation and compensation
    factors and the cumulative count state are those of :class:`SeesawLoss`; the paper uses
    q = 1 on ImageNet-LT. Follows the mmdet contract ``forward(cls_score, label, weight, avg_factor,
    reduction_override)`` and returns a tensor.
    """

    def __init__(self, num_classes: int, p: float = 0.8, q: float = 2.0, eps: float = 1e-2,
                 loss_weight: float = 1.0, reduction: str = 'mean', sync_counts: bool = False) -> None:
        super().__init__(num_classes, p, q, eps, loss_weight, reduction, return_dict=False,
                         sync_counts=sync_counts)
        self.custom_cls_channels = self.custom_activation = self.custom_accuracy = False

    def forward(self, cls_score: Tensor, label: Tensor, weight: Optional[Tensor] = None,
                avg_factor: Optional[float] = None, reduction_override: Optional[str] = None) -> Tensor:
        reduction = resolve_reduction(self.reduction, reduction_override)
        if cls_score.size(-1) != self.num_classes:
            raise ValueError(f'SeesawClassificationLoss: expected {self.num_classes} logits per sample, '
                             f'got {cls_score.size(-1)}; set num_classes to the classifier width')
        label = label.long()
        try:
            counts = self.count_labels(label)
        except ValueError:                      # a label > C
            counts = None
        if counts is None or counts[-1] > 0:
            raise ValueError(f'SeesawClassificationLoss: labels must lie in [0, {self.num_classes})')
        self.accumulate(label, counts)
        return scale_loss(seesaw_ce_loss(cls_score, label, weight, self.cum_samples[:self.num_classes],
                                     self.p, self.q, self.eps, reduction, avg_factor),
                      self.loss_weight)
