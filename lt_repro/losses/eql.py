r"""Equalization Loss (Tan et al., CVPR 2020, arXiv:2003.05176v2): sigmoid EQL for detection and softmax EQL
for classification.

Sigmoid EQL (paper Sec. 3, equations for L_EQL, w_j, E(r), T_lambda), R RoIs x C classes, no
background column (label C = background, all-zero targets):

    L = -sum_j w_j [y_j log p_j + (1 - y_j) log(1 - p_j)],   p_j = sigmoid(z_j)
    w_j = 1 - E(r) T_lambda(f_j) (1 - y_j)
    E(r) = 1 if RoI r is foreground else 0,   T_lambda(f) = 1 if f < lambda else 0

f_j is the image-count frequency of class j (images containing j / training images).

Official file: tztztztztz/eql.detectron2@29224acf4ea549c53264e6229da69868bd5470f3:
projects/EQL/eql/fast_rcnn.py (``EQLFastRCNNOutputs.eql_loss``): the weighted BCE summed over RoIs
and classes, divided by R; f_j as ``get_image_count_frequency`` (projects/EQL/eql/lvis_v0_5_categories.py);
default lambda = 0.00177 (projects/EQL/eql/cfg.py).

Reduction (mmdet's ``weight_reduce_loss``): 'mean' without ``avg_factor`` is sum / R; mmdet's bbox head
passes avg_factor = number of RoIs with label_weight > 0 (= R), giving sum / (R + float32 eps).
``weight`` of shape (R,) scales RoIs, (R, C) scales entries; 'none' returns the per-RoI loss (R,). The
official code ignores label weights and avg_factor (all sampled RoIs have weight 1 there). w_j multiplies
the BCE terms inside one fused autograd node (``_fused.focal_bce``, gamma = 0).

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

f_k = n_k / sum n (training images of class k over all images). The official EQL repositories contain no
classification code, and the paper does not say whether beta is drawn once per sample or per (sample,
class). Default ``beta_per='element'``: one draw per (sample, class), as
zhangyongshun/BagofTricks-LT@ce7859a930649d10fb2a4fd4ed9242007eb25e2f:lib/loss/loss_impl/equalization_loss.py
(SEQL); ``beta_per='sample'`` draws one beta per sample. Only rare columns (T_lambda = 1) can be dropped
(beta T_lambda). The draw is ``bernoulli_mask``: on the CPU it draws only the rarer outcome's
positions (same distribution). gamma = 0 is plain cross-entropy. Computed in log space: dropped
classes get -inf logits (a float offset) and CE = logsumexp - z_y (w~_y = 1 always, so the
denominator is never empty); no NaN or inf at +-1000 logits.
"""
import math
from typing import Dict, Optional, Sequence, Tuple, Union

import torch
import torch.nn as nn
from torch import Tensor

from ._fused import reduced_focal_bce
from ._reduce import cross_entropy, resolve_reduction
from .baselines import expand_weight, scale_loss, upcast
from .seesaw import mmdet_top1_accuracy


def sparse_bernoulli(numel: int, p: float,
                     device: torch.device) -> Optional[Tuple[Tensor, bool]]:
    """Flat positions of the rarer outcome of ``numel`` i.i.d. Bernoulli(p) draws, and that
    outcome's value; None where ``bernoulli_mask`` draws densely (see there).

    In an i.i.d. Bernoulli sequence the gaps between successive rare outcomes are geometric
    with q = min(p, 1 - p): gaps by inversion from float64 uniforms and their cumulative sum
    give the same distribution with ~q * numel uniform draws instead of numel (p = 0.9: 10x
    fewer). Only on the CPU, for numel >= 2^14 and q <= 1/4.
    """
    q = min(p, 1.0 - p)
    if q <= 0 or device.type != 'cpu' or numel < _SPARSE_MIN_NUMEL or q > _SPARSE_MAX_Q:
        return None
    mean = numel * q
    log_not_q = math.log1p(-q)
    positions = []
    end = -1.0                                  # flat index of the last rare outcome so far
    while end < numel:                          # one round with probability ~1 - 1e-15
        # geometric(q) gaps >= 1: floor(log(1 - u) / log(1 - q)) + 1, u ~ U[0, 1)
        u = torch.rand(int(mean + 8 * math.sqrt(mean) + 16), dtype=torch.float64)
        cum = u.neg_().log1p_().div_(log_not_q).floor_().add_(1).cumsum_(0).add_(end)
        positions.append(cum)
        end = float(cum[-1])
    flat = torch.cat(positions)                 # ascending: cut at the first >= numel
    return flat[:int(torch.searchsorted(flat, numel))].long(), p < 0.5


def bernoulli_mask(shape: Tuple[int, ...], p: float, device: torch.device) -> Tensor:
    """i.i.d. Bernoulli(p) draws as a bool tensor: ``sparse_bernoulli`` where it applies, else
    ``rand < p``. Both use torch's default generator (``torch.manual_seed`` reproduces them)."""
    if min(p, 1.0 - p) <= 0:                    # p = 0 or 1: no randomness
        return torch.full(shape, p > 0.5, dtype=torch.bool, device=device)
    numel = math.prod(shape)
    sparse = sparse_bernoulli(numel, p, device)
    if sparse is None:
        return torch.rand(shape, device=device) < p
    flat, rare = sparse
    out = torch.full((numel,), not rare, dtype=torch.bool)
    out[flat] = rare
    return out.view(shape)


_SPARSE_MIN_NUMEL = 1 << 14
_SPARSE_MAX_Q = 0.25


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
        logits = upcast(cls_score)
        label = label.long()
        if self.use_image_level_sets:
            if image_class_mask is None:
                raise ValueError('EqualizationLoss(use_image_level_sets=True) needs '
                                 'image_class_mask (R, C) bool in forward')
        elif image_class_mask is not None:
            raise ValueError('EqualizationLoss: image_class_mask given but '
                             'use_image_level_sets=False; set it True in the loss config')

        def eql_weight() -> Tensor:
            """w = 1 - E(r) T(f_j) (1 - y_j) (times ``weight``): 0 on the rare columns of
            foreground RoIs except the label column and the image's positive/negative sets."""
            is_fg = (label < self.num_classes).to(logits.dtype)                # E(r)
            w = torch.outer(is_fg, self.rare.to(logits.dtype)).neg_().add_(1)
            w.scatter_(1, label.clamp(max=self.num_classes - 1)[:, None], 1.0)
            if image_class_mask is not None:
                w.masked_fill_(image_class_mask.bool(), 1.0)
            if weight is not None:
                w.mul_(expand_weight(weight.to(logits.dtype), w))
            return w

        loss = reduced_focal_bce(logits, label, 0.0, reduction, avg_factor, per_row=True,
                                 weight=eql_weight)
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
        self.has_rare = bool(self.rare.any())
        self.register_buffer('rare_offset', torch.zeros(self.num_classes).masked_fill_(
            self.rare, float('-inf')), persistent=False)

    def extra_repr(self) -> str:
        return (f'num_classes={self.num_classes}, lambda_={self.lambda_}, gamma={self.gamma}, '
                f'beta_per={self.beta_per!r}, rare={int(self.rare.sum())}')

    def draw_beta(self, n: int, device: torch.device) -> Tensor:
        """Bernoulli(gamma) draws, (n, C) or (n, 1) bool; ``forward`` draws exactly this (same
        random stream), so after the same seed both agree."""
        shape = (n, self.num_classes) if self.beta_per == 'element' else (n, 1)
        return bernoulli_mask(shape, self.gamma, device)

    @torch.no_grad()
    def drop_offset(self, label: Tensor, beta: Optional[Tensor], dtype: torch.dtype) -> Tensor:
        """(N, C) logit offset: -inf where beta T_lambda(f_k) (1 - y_k) = 1 (w~_k = 0), else 0,
        so that softmax(z + offset) = w~_k e^z_k / sum_j w~_j e^z_j.

        Float arithmetic, not a bool mask (masked_fill on the CPU costs ~10 element-wise adds).
        A sparse draw (``sparse_bernoulli``, the same stream as ``draw_beta``) writes only the
        rarer outcome's positions."""
        n, c = label.numel(), self.num_classes
        rare_offset = self.rare_offset.to(dtype)                       # -inf T_lambda(f_k)
        sparse = None
        if beta is None and self.beta_per == 'element':
            sparse = sparse_bernoulli(n * c, self.gamma, label.device)
        if sparse is None:
            if beta is None:
                beta = self.draw_beta(n, label.device)
            offset = torch.where(beta.bool(), rare_offset, 0.0)         # (N, C)
        else:
            flat, dropped = sparse
            if dropped:       # drawn positions have beta = 1
                offset = torch.zeros(n * c, dtype=dtype, device=label.device)
                offset[flat] = rare_offset[flat % c]
            else:             # drawn positions have beta = 0: kept
                offset = rare_offset.repeat(n)
                offset[flat] = 0.0
            offset = offset.view(n, c)
        return offset.scatter_(1, label[:, None], 0.0)                 # w~_y = 1

    def forward(self, cls_score: Tensor, label: Tensor, weight: Optional[Tensor] = None,
                avg_factor: Optional[float] = None, reduction_override: Optional[str] = None,
                beta: Optional[Tensor] = None) -> Tensor:
        """``beta`` (optional, (N, C) or (N, 1) bool) replaces the random draw."""
        reduction = resolve_reduction(self.reduction, reduction_override)
        logits = upcast(cls_score)
        label = label.long()
        if self.has_rare and (beta is not None or self.gamma > 0):
            logits = logits + self.drop_offset(label, beta, logits.dtype)
        if weight is not None:
            weight = weight.float()
        loss = cross_entropy(logits, label, None, weight, reduction, avg_factor)
        return scale_loss(loss, self.loss_weight)
