r"""Equalization Loss (Tan et al., "Equalization Loss for Long-Tailed Object Recognition",
CVPR 2020, arXiv:2003.05176): sigmoid EQL for detection and softmax EQL for classification.

Sigmoid EQL (paper Sec. 3, equations for L_EQL, w_j, E(r), T_lambda), R RoIs x C classes, no
background column (label C = background, all-zero targets):

    L = -sum_j w_j [y_j log p_j + (1 - y_j) log(1 - p_j)],   p_j = sigmoid(z_j)
    w_j = 1 - E(r) T_lambda(f_j) (1 - y_j)
    E(r) = 1 if RoI r is foreground else 0,   T_lambda(f) = 1 if f < lambda else 0

f_j is the image-count frequency of class j (images containing j / training images; official
``get_image_count_frequency``). Default lambda = 0.00177 (official ``cfg.py``).
Official file followed: tztztztztz/eql.detectron2 ``projects/EQL/eql/fast_rcnn.py``
(``EQLFastRCNNOutputs.eql_loss``): the weighted BCE is summed over RoIs and classes and divided
by R. Here the per-RoI sum over classes goes through mmdet's ``weight_reduce_loss``: with
``avg_factor=None`` and 'mean' that is sum / R; mmdet's bbox head passes avg_factor = number of
RoIs with label_weight > 0 (= R), giving sum / (R + float32 eps). ``weight`` of shape (R,)
scales RoIs, shape (R, C) scales entries. 'none' returns the per-RoI loss (R,). The official
code ignores label weights and avg_factor (all sampled RoIs have weight 1 there).

Paper vs code: the paper (LVIS implementation notes) never ignores a category that is in the
image's positive set or verified-negative set (LVIS ``neg_category_ids``); the official code does
not do this. ``use_image_level_sets=True`` turns the rule on: ``forward`` then needs
``image_class_mask`` (R, C) bool, True where class j is in the positive or negative set of RoI r's
image, e.g. ``image_sets[roi_image_index]`` from a (num_images, C) bool table. Off by default.

mmdet bbox head (mmdet 3.x BBoxHead reads the flags below):
- ``custom_cls_channels``: fc_cls gets ``get_cls_channels(C) = C`` outputs (no background);
- ``custom_activation``: test scores come from ``get_activation`` = sigmoid plus an all-zero
  background column (as official ``predict_probs``), so NMS sees the usual C + 1 columns; the
  training log gets ``get_accuracy`` -> {'acc_classes'} on foreground RoIs;
- labels keep mmdet's convention (C = background); ``refine_bboxes`` (Cascade) also goes
  through ``get_activation`` and drops the zero column;
- the official classifier bias starts at -log((1 - pi) / pi), pi = 0.001 (fast_rcnn.py): in mmdet
  set ``init_cfg=dict(type='Normal', std=0.01, bias_prob=0.001, override=dict(name='fc_cls'))``.

Softmax EQL (paper Sec. 6, image classification, equations for p~_j and w~_k):

    p~_j = e^{z_j} / sum_k w~_k e^{z_k},   w~_k = 1 - beta T_lambda(f_k) (1 - y_k),
    beta ~ Bernoulli(gamma),  L = -log p~_y

f_k = n_k / sum n (training images of class k over all images). The paper does not say whether
beta is drawn once per sample or per (sample, class), and the official EQL repositories contain
no classification code. Default ``beta_per='element'``: one draw per (sample, class), as in
zhangyongshun/BagofTricks-LT ``lib/loss/loss_impl/equalization_loss.py`` (SEQL);
``beta_per='sample'`` draws one beta per sample. Only rare columns (T_lambda = 1) can be dropped,
so ``forward`` draws beta for those columns only (same distribution as a full (N, C) draw). gamma = 0 is plain cross-entropy. Computed in
log space: dropped classes get -inf logits and CE = logsumexp - z_y (w~_y = 1 always, so the
denominator is never empty); no NaN or inf at +-1000 logits.

Hand values checked in tests (zero logits):
- sigmoid, f = (0.5, 0.001), lambda = 0.00177 -> T = (0, 1); RoI labels (0, 2 = background):
  RoI 0 drops class 1 -> log 2; RoI 1 keeps both -> 2 log 2; loss = 3 log 2 / 2 = 1.03972
  (plain BCE: 2 log 2 = 1.38629).
- softmax, f = (0.7, 0.299, 0.001), lambda = 0.01, gamma = 1: label 0 drops class 2 -> log 2;
  label 2 drops nothing -> log 3; mean (log 2 + log 3) / 2 = 0.89588.
"""
from typing import Dict, Optional, Sequence, Union

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch import Tensor

from ._reduce import resolve_reduction, weight_reduce_loss
from .baselines import binary_targets, scale_loss
from .seesaw import _as_float, mmdet_top1_accuracy


def _frequency_tensor(class_frequency: Union[Sequence[float], Tensor], owner: str) -> Tensor:
    freq = torch.as_tensor(class_frequency, dtype=torch.float64).flatten()
    if freq.numel() == 0 or not torch.isfinite(freq).all() or (freq < 0).any() or (freq > 1).any():
        raise ValueError(f'{owner}: class_frequency must be a non-empty list of fractions in '
                         '[0, 1] (image count of class j / number of training images); divide '
                         'per-class counts by the number of training images')
    return freq.float()


class EqualizationLoss(nn.Module):
    """Sigmoid EQL for R x C logits without a background column (label C = background).

    Args:
        class_frequency: f_j per class (fractions, length C).
        lambda_: threshold; classes with f_j < lambda_ are "rare" (official: 0.00177).
        use_image_level_sets: paper's LVIS rule (see module docstring); off as in official code.
        reduction, loss_weight: mmdet semantics.
        use_sigmoid: accepted for mmdet configs; must be True.
    """

    def __init__(self, class_frequency: Union[Sequence[float], Tensor], lambda_: float = 0.00177,
                 use_image_level_sets: bool = False, reduction: str = 'mean',
                 loss_weight: float = 1.0, use_sigmoid: bool = True) -> None:
        super().__init__()
        if not use_sigmoid:
            raise ValueError('EqualizationLoss is a sigmoid loss; remove use_sigmoid=False from '
                             'loss_cls (use SoftmaxEqualizationLoss for the softmax form)')
        self.use_sigmoid = True
        freq = _frequency_tensor(class_frequency, 'EqualizationLoss')
        self.num_classes = freq.numel()
        self.lambda_ = float(lambda_)
        self.use_image_level_sets = use_image_level_sets
        self.reduction = resolve_reduction(reduction, None)
        self.loss_weight = loss_weight
        self.register_buffer('class_frequency', freq, persistent=False)
        self.register_buffer('rare', freq < self.lambda_, persistent=False)   # T_lambda(f_j)
        self.custom_cls_channels = True
        self.custom_activation = True
        self.custom_accuracy = True

    def extra_repr(self) -> str:
        return (f'num_classes={self.num_classes}, lambda_={self.lambda_}, '
                f'rare={int(self.rare.sum())}, use_image_level_sets={self.use_image_level_sets}')

    def get_cls_channels(self, num_classes: int) -> int:
        if num_classes != self.num_classes:
            raise ValueError(f'EqualizationLoss: head num_classes={num_classes} but '
                             f'class_frequency has {self.num_classes} entries; they must match')
        return num_classes

    def get_activation(self, cls_score: Tensor) -> Tensor:
        """(R, C) logits -> (R, C + 1) scores: sigmoid, then a zero background column."""
        scores = torch.sigmoid(cls_score)
        return torch.cat([scores, scores.new_zeros(scores.shape[:-1] + (1,))], dim=-1)

    def get_accuracy(self, cls_score: Tensor, labels: Tensor) -> Dict[str, Tensor]:
        pos = labels < self.num_classes
        return {'acc_classes': mmdet_top1_accuracy(cls_score[pos], labels[pos])}

    def forward(self, cls_score: Tensor, label: Tensor, weight: Optional[Tensor] = None,
                avg_factor: Optional[float] = None, reduction_override: Optional[str] = None,
                image_class_mask: Optional[Tensor] = None) -> Tensor:
        reduction = resolve_reduction(self.reduction, reduction_override)
        if cls_score.dim() != 2 or cls_score.size(1) != self.num_classes:
            raise ValueError(f'EqualizationLoss: cls_score must be (R, {self.num_classes}) '
                             f'(no background column), got {tuple(cls_score.shape)}')
        logits = _as_float(cls_score)
        label = label.long()
        target = binary_targets(label, self.num_classes, logits.dtype)
        is_fg = label < self.num_classes                                        # E(r)
        # E(r) T(f_j) (1 - y_j): rare columns of foreground RoIs, minus the label column
        ignore = (is_fg[:, None] & self.rare[None, :]).scatter_(
            1, label.clamp(max=self.num_classes - 1)[:, None], False)
        if self.use_image_level_sets:
            if image_class_mask is None:
                raise ValueError('EqualizationLoss(use_image_level_sets=True) needs '
                                 'image_class_mask (R, C) bool in forward')
            ignore = ignore & ~image_class_mask.bool()
        elif image_class_mask is not None:
            raise ValueError('EqualizationLoss: image_class_mask given but '
                             'use_image_level_sets=False; set it True in the loss config')
        loss = F.binary_cross_entropy_with_logits(logits, target, reduction='none')
        loss = loss.masked_fill(ignore, 0.0)
        if weight is not None and weight.dim() == 2:
            loss, weight = loss * weight.float(), None
        elif weight is not None:
            weight = weight.float()
        loss = weight_reduce_loss(loss.sum(dim=1), weight, reduction, avg_factor)
        return scale_loss(loss, self.loss_weight)


class SoftmaxEqualizationLoss(nn.Module):
    """Softmax EQL for N x C classification logits (paper Sec. 6).

    Args:
        class_frequency: f_k per class (fractions, length C).
        lambda_: rare threshold on f_k.  gamma: P(beta = 1), probability to drop a rare negative.
        beta_per: 'element' (one draw per sample and class) or 'sample' (one per sample).
        reduction, loss_weight: mmdet semantics.
    """

    def __init__(self, class_frequency: Union[Sequence[float], Tensor], lambda_: float,
                 gamma: float, beta_per: str = 'element', reduction: str = 'mean',
                 loss_weight: float = 1.0) -> None:
        super().__init__()
        if not 0.0 <= gamma <= 1.0:
            raise ValueError(f'SoftmaxEqualizationLoss: gamma is a probability, got {gamma}')
        if beta_per not in ('element', 'sample'):
            raise ValueError(f"SoftmaxEqualizationLoss: beta_per must be 'element' or 'sample', "
                             f'got {beta_per!r}')
        freq = _frequency_tensor(class_frequency, 'SoftmaxEqualizationLoss')
        self.num_classes = freq.numel()
        self.lambda_, self.gamma, self.beta_per = float(lambda_), float(gamma), beta_per
        self.reduction = resolve_reduction(reduction, None)
        self.loss_weight = loss_weight
        self.register_buffer('class_frequency', freq, persistent=False)
        self.register_buffer('rare', freq < self.lambda_, persistent=False)
        self.register_buffer('rare_index', self.rare.nonzero().flatten(), persistent=False)
        self.register_buffer('common_index', (~self.rare).nonzero().flatten(), persistent=False)

    def extra_repr(self) -> str:
        return (f'num_classes={self.num_classes}, lambda_={self.lambda_}, gamma={self.gamma}, '
                f'beta_per={self.beta_per!r}, rare={int(self.rare.sum())}')

    def _draw_rare(self, n: int, device: torch.device) -> Tensor:
        """Bernoulli(gamma) draws for the rare columns only: (n, n_rare) or (n, 1) bool."""
        shape = (n, self.rare_index.numel()) if self.beta_per == 'element' else (n, 1)
        return torch.rand(shape, device=device) < self.gamma

    def draw_beta(self, n: int, device: torch.device) -> Tensor:
        """Bernoulli(gamma) draws, (n, C) or (n, 1) bool. The rare columns are drawn first and
        from the same random stream as in ``forward``, so after the same seed both agree."""
        rare = self._draw_rare(n, device)
        if self.beta_per == 'sample':
            return rare
        beta = torch.empty(n, self.num_classes, dtype=torch.bool, device=device)
        beta[:, self.rare_index.to(device)] = rare
        common = self.common_index.to(device)
        beta[:, common] = torch.rand((n, common.numel()), device=device) < self.gamma
        return beta

    def forward(self, cls_score: Tensor, label: Tensor, weight: Optional[Tensor] = None,
                avg_factor: Optional[float] = None, reduction_override: Optional[str] = None,
                beta: Optional[Tensor] = None) -> Tensor:
        """``beta`` (optional, (N, C) or (N, 1) bool) replaces the random draw."""
        reduction = resolve_reduction(self.reduction, reduction_override)
        logits = _as_float(cls_score)
        label = label.long()
        rare_index = self.rare_index
        if rare_index.numel() and (beta is not None or self.gamma > 0):
            # only rare columns can be dropped: beta is drawn / read there only
            if beta is None:
                beta_rare = self._draw_rare(logits.size(0), logits.device)
            else:
                beta = beta.bool()
                beta_rare = beta if beta.size(1) == 1 else beta[:, rare_index]
            drop_rare = beta_rare & (label[:, None] != rare_index[None, :])   # w~_k = 0
            drop = torch.zeros(logits.shape, dtype=torch.bool, device=logits.device)
            drop.index_copy_(1, rare_index, drop_rare)
            logits = logits.masked_fill(drop, float('-inf'))
        loss = F.cross_entropy(logits, label, reduction='none')
        if weight is not None:
            weight = weight.float()
        return scale_loss(weight_reduce_loss(loss, weight, reduction, avg_factor), self.loss_weight)
