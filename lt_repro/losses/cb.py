"""Class-Balanced Loss (Cui et al., "Class-Balanced Loss Based on Effective
Number of Samples", CVPR 2019, arXiv:1901.05555v1).

Paper (Sec. 3-4): effective number
    E_n = (1 - beta^n) / (1 - beta), class weight
    w_c = 1 / E_{n_c} = (1 - beta) / (1 - beta^{n_c}),
    CB(p, y) = w_y * L(p, y)   with L = softmax CE, sigmoid CE (sum over the C
    binary terms) or focal (-w_y sum_c (1 - p_c^t)^gamma log p_c^t).

Default behaviour follows the official code,
richardaecn/class-balanced-loss@1d7857208a2abc03d84e35a9d5383af8225d4b4d:src/cifar_main.py:
- weights: ``weights = (1-beta)/(1-beta**n); weights = weights/sum(weights)*C``
  (``main()``); the paper states the same normalisation (weights sum to C).
- ``loss_type='softmax'``: ``tf.losses.softmax_cross_entropy(onehot, logits,
  weights=w_y)`` whose default reduction divides the weighted sum by the number
  of non-zero weights, i.e. by N (all w_c > 0): ``mean_i w_{y_i} CE_i``
  (NOT ``/ sum_i w_{y_i}``).
- ``'sigmoid'``: ``sum_{i,c} w_{y_i} BCE(z_ic, onehot_ic) / sum(onehot)`` = ... / N.
- ``'focal'``: ``focal_loss()``: same as sigmoid with the modulator
  ``exp(-gamma*y*z - gamma*log1p(exp(-z)))`` = (1 - p_t)^gamma (gradient not
  stopped); we evaluate it as ``sigmoid(u)^gamma`` with the signed logit u = (1 - 2y) z,
  identical for y in {0, 1}, inside one fused autograd node with the class weights
  (``_fused.focal_bce``), so that logits of +-1000 give finite values and gradients (the
  modulator's gradient included). No extra alpha (the class weight is
  the alpha_t). Official argparse defaults: ``--beta 0.0``, ``--gamma 1.0``.

Paper/code differences: none in the loss itself; the official sigmoid/focal runs
also initialise the last-layer bias to -log((1-pi)/pi) with pi = 1/C, i.e. -log(C-1)
(paper Sec. 5.2; src/model_base.py ``_fully_connected``), and exclude it from weight
decay -- that is the model's job, not the loss's.
beta = 1 is accepted as the limit w_c = 1/n_c (inverse frequency) before
normalisation; the official code would divide by zero.

mmdet contract: element-wise (per-sample) loss is ``w_{y_i} * L_i`` (for
sigmoid/focal L_i sums the C binary terms), 'mean' divides by N, ``avg_factor``
replaces N, ``weight`` is per-sample (N,) or, for sigmoid/focal, (N, C)
per-element. 'none' returns the (N,) per-sample losses.

Hand-derived value (checked in tests): n = [1, 3], beta = 0.5 ->
raw w = [0.5/0.5, 0.5/0.875] = [1, 4/7], normalised to sum 2 -> [14/11, 8/11].
Logits all 0, labels [0, 0] (N = 2, C = 2):
softmax = 14/11 ln2 = 0.882187; sigmoid = 28/11 ln2 = 1.764373;
focal (gamma = 2, modulator 1/4) = 7/11 ln2 = 0.441093.
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
