"""Class-Balanced Loss (Cui et al., CVPR 2019, arXiv:1901.05555v1).

Equation: effective number E_n = (1 - beta^n) / (1 - beta), class weight
w_c = 1 / E_{n_c} = (1 - beta) / (1 - beta^{n_c}) rescaled to sum to C, and

    CB(z, y) = w_y * L(z, y)

with L = softmax CE, sigmoid CE (the sum of the C binary terms) or focal
-sum_c (1 - p_c^t)^gamma log p_c^t; the class weight is the alpha_t (no other alpha).

Official file: richardaecn/class-balanced-loss@1d7857208a2abc03d84e35a9d5383af8225d4b4d:src/cifar_main.py
(weights in ``main()``, losses in ``_tower_fn()`` and ``focal_loss()``), followed in its normalisation:
- 'softmax': ``tf.losses.softmax_cross_entropy(onehot, logits, weights=w_y)`` divides the weighted sum by
  the number of non-zero weights, i.e. by N: mean_i w_{y_i} CE_i, NOT / sum_i w_{y_i};
- 'sigmoid', 'focal': sum_{i,c} w_{y_i} term_ic / sum(onehot) = / N; the focal modulator
  ``exp(-gamma*y*z - gamma*log1p(exp(-z)))`` = (1 - p_t)^gamma, its gradient not stopped.
gamma defaults to 1.0, as the official ``--gamma``.

Deviations (paper and official code agree on the loss; the weights sum to C in both):
- beta = 1 is accepted as the limit w_c = 1/n_c before normalisation (the official code divides by zero).
- (1 - p_t)^gamma is evaluated as sigmoid(u)^gamma with the signed logit u = (1 - 2y) z (identical for
  y in {0, 1}) in one fused autograd node with the class weights (``_fused.focal_bce``): finite values and
  gradients, the modulator's included, at +-1000 logits.
- not in the loss: the official sigmoid/focal runs start the last-layer bias at -log(C - 1) (pi = 1/C,
  paper Sec. 5.2; src/model_base.py ``_fully_connected``) and exclude it from weight decay (the model's job).

mmdet contract: the element-wise loss is w_{y_i} L_i (N,), L_i summing the C binary terms for
sigmoid/focal; 'mean' divides by N, ``avg_factor`` replaces N; ``weight`` is per sample (N,) or, for
sigmoid/focal, per element (N, C).
"""
from typing import Sequence, Union

import torch
import torch.nn as nn

from ._fused import reduced_focal_bce
from ._reduce import cross_entropy, resolve_reduction
from .baselines import check_logits, expand_weight, scale_loss, upcast

__all__ = ['ClassBalancedLoss', 'class_balanced_weights']

LOSS_TYPES = ('softmax', 'sigmoid', 'focal')


def class_balanced_weights(samples_per_class: Union[Sequence[float], torch.Tensor],
                           beta: float) -> torch.Tensor:
    """w_c = (1-beta)/(1-beta^n_c), rescaled to sum to C (float64 maths, float32 out)."""
    n = torch.as_tensor(samples_per_class, dtype=torch.float64).flatten()
    if n.numel() == 0 or bool((n <= 0).any()):
        raise ValueError('ClassBalancedLoss: samples_per_class must be non-empty and every '
                         f'count > 0 (got {n.tolist()[:10]}...); drop empty classes or use counts >= 1')
    beta = float(beta)
    if not 0.0 <= beta <= 1.0:
        raise ValueError(f'ClassBalancedLoss: beta must be in [0, 1], got {beta}')
    if beta == 1.0:
        w = 1.0 / n  # limit of (1-beta)/(1-beta^n) as beta -> 1
    else:
        w = (1.0 - beta) / (1.0 - torch.pow(torch.tensor(beta, dtype=torch.float64), n))
    w = w / w.sum() * n.numel()
    return w.float()


class ClassBalancedLoss(nn.Module):
    """Class-balanced softmax / sigmoid / focal loss (official normalisation: / N)."""

    def __init__(self, samples_per_class, beta: float, loss_type: str = 'softmax',
                 gamma: float = 1.0, reduction: str = 'mean', loss_weight: float = 1.0):
        super().__init__()
        if loss_type not in LOSS_TYPES:
            raise ValueError(f'ClassBalancedLoss: loss_type must be one of {LOSS_TYPES}, '
                             f'got {loss_type!r}')
        self.beta = float(beta)
        self.loss_type = loss_type
        self.gamma = float(gamma)
        self.reduction = resolve_reduction(reduction, None)
        self.loss_weight = float(loss_weight)
        self.register_buffer('class_weight', class_balanced_weights(samples_per_class, beta))

    @property
    def num_classes(self) -> int:
        return self.class_weight.numel()

    def extra_repr(self) -> str:
        return f'num_classes={self.num_classes}, beta={self.beta}, loss_type={self.loss_type!r}, gamma={self.gamma}'

    def forward(self, cls_score, label, weight=None, avg_factor=None, reduction_override=None):
        reduction = resolve_reduction(self.reduction, reduction_override)
        check_logits(cls_score, self.num_classes, type(self).__name__)
        logits = upcast(cls_score)
        label = label.long()
        cw = self.class_weight.to(logits.dtype)
        if self.loss_type == 'softmax':   # w_y * CE_i fused in the CE kernel
            return scale_loss(cross_entropy(logits, label, cw, weight, reduction, avg_factor),
                              self.loss_weight)
        # sigmoid / focal: sum over the C terms of w_{y_i} * weight_i(c) * term_ic, fused
        w = cw[label][:, None]
        if weight is not None:
            w = w * expand_weight(weight.to(logits.dtype), logits)
        gamma = self.gamma if self.loss_type == 'focal' else 0.0
        loss = reduced_focal_bce(logits, label, gamma, reduction, avg_factor, per_row=True,
                                 weight=w)
        return scale_loss(loss, self.loss_weight)
