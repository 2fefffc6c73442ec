"""Baselines of the CDB paper's EGTEA comparison as its official code implements them (Sinha et al., ACCV 2020,
arXiv:2010.01824v1), where they differ from the other papers' losses in this package. Official files:
hitachi-rd-cv/CDB-loss@82b0119e189a50beb3ae581d401dd8585739c112:EGTEA/losses/ (the same files as
CIFAR-LT/losses/), used by EGTEA/EGTEA_train.py.

``SoftmaxFocalLoss`` -- ``focal_loss.py`` ``FocalLoss(gamma, alpha)``, softmax focal loss:

    L_i = -(1 - p_t)^gamma * alpha_{y_i} * log p_t,    p_t = softmax(z_i)[y_i]

with the modulator ``pt = Variable(logpt.data.exp())`` taken out of the graph: its gradient is that of
-alpha_y log p_t scaled by (1 - p_t)^gamma (a paper's focal loss also differentiates the modulator).
``EGTEA_train.py`` builds it as ``FocalLoss(gamma=args.gamma)`` (FL, no alpha) and, for CB focal, as
``class_balanced_loss.py`` ``CB_Focal``: alpha = the class-balanced weights (1 - beta) / (1 - beta^n_c)
normalised to sum to C (``samples_per_class`` and ``beta`` here). Reduced as the training loop does
(``reduction='none'`` then ``torch.mean``): 'mean' divides by N.

``BatchSwitchedEQLLoss`` -- ``eql_loss.py`` ``EQLloss``: sigmoid BCE on the C logits (no background) with
one-hot targets,

    L = sum_{i,c} w_ic BCE(z_ic, y_ic) / N,    w_ic = 1 - E T_lambda(f_c) (1 - y_ic),

T_lambda(f) = [f < lambda] (lambda = 0.03, f_c = n_c / sum n), and E one draw per forward call: 0 when
``torch.rand(1) > 0.95`` (``self.gamma``), else 1 -- the rare-class suppression is off for a whole batch
with probability 0.05. Under DDP rank 0's draw is broadcast, so that the global batch shares one E as under
the official nn.DataParallel.
"""
from typing import Optional, Sequence

import torch
import torch.distributed as dist
import torch.nn as nn
import torch.nn.functional as F

from ._reduce import resolve_reduction, weight_reduce_loss
from .baselines import check_logits, scale_loss, upcast
from .cb import class_balanced_weights

__all__ = ['SoftmaxFocalLoss', 'BatchSwitchedEQLLoss']


class SoftmaxFocalLoss(nn.Module):
    """Softmax focal loss with a detached modulator, optionally class-balanced (module docstring)."""

    def __init__(self, gamma: float = 1.0, samples_per_class: Optional[Sequence[float]] = None,
                 beta: Optional[float] = None, reduction: str = 'mean', loss_weight: float = 1.0):
        super().__init__()
        if (samples_per_class is None) != (beta is None):
            raise ValueError('SoftmaxFocalLoss: give samples_per_class and beta together (class-balanced '
                             'alpha, CB_Focal) or neither (FocalLoss without alpha)')
        self.gamma = float(gamma)
        self.reduction = resolve_reduction(reduction, None)
        self.loss_weight = float(loss_weight)
        alpha = None if beta is None else class_balanced_weights(samples_per_class, beta)
        self.register_buffer('alpha', alpha)

    def forward(self, cls_score, label, weight=None, avg_factor=None, reduction_override=None):
        reduction = resolve_reduction(self.reduction, reduction_override)
        check_logits(cls_score, None if self.alpha is None else self.alpha.numel(), type(self).__name__)
        logits = upcast(cls_score)
        label = label.long()
        logpt = F.log_softmax(logits, dim=1).gather(1, label[:, None]).squeeze(1)
        pt = logpt.detach().exp()
        if self.alpha is not None:
            logpt = logpt * self.alpha.to(logits.dtype)[label]
        loss = -(1 - pt).pow(self.gamma) * logpt
        return scale_loss(weight_reduce_loss(loss, weight, reduction, avg_factor), self.loss_weight)


class BatchSwitchedEQLLoss(nn.Module):
    """Sigmoid EQL of the CDB repository: rare negatives dropped with probability ``switch_prob`` per batch."""

    def __init__(self, class_frequency: Sequence[float], lambda_: float = 0.03, switch_prob: float = 0.95,
                 reduction: str = 'mean', loss_weight: float = 1.0):
        super().__init__()
        freq = torch.as_tensor(class_frequency, dtype=torch.float64).flatten()
        if freq.numel() == 0 or bool(((freq < 0) | (freq > 1)).any()):
            raise ValueError('BatchSwitchedEQLLoss: class_frequency must be fractions n_c / sum n in [0, 1]')
        if not 0.0 <= switch_prob <= 1.0:
            raise ValueError(f'BatchSwitchedEQLLoss: switch_prob is a probability, got {switch_prob}')
        self.lambda_, self.switch_prob = float(lambda_), float(switch_prob)
        self.reduction = resolve_reduction(reduction, None)
        self.loss_weight = float(loss_weight)
        self.register_buffer('rare', freq < self.lambda_, persistent=False)   # T_lambda(f_c)

    def draw_switch(self, device) -> torch.Tensor:
        """E: 1 (suppress rare negatives) unless ``torch.rand(1) > switch_prob``; rank 0's draw under DDP."""
        e = (torch.rand(1) <= self.switch_prob).float().to(device)
        if dist.is_available() and dist.is_initialized() and dist.get_world_size() > 1:
            dist.broadcast(e, src=0)
        return e

    def forward(self, cls_score, label, weight=None, avg_factor=None, reduction_override=None):
        reduction = resolve_reduction(self.reduction, reduction_override)
        check_logits(cls_score, self.rare.numel(), type(self).__name__)
        logits = upcast(cls_score)
        target = F.one_hot(label.long(), logits.size(1)).to(logits.dtype)
        e = self.draw_switch(logits.device).to(logits.dtype)
        w = 1 - e * self.rare.to(logits.dtype) * (1 - target)
        loss = (F.binary_cross_entropy_with_logits(logits, target, reduction='none') * w).sum(1)
        return scale_loss(weight_reduce_loss(loss, weight, reduction, avg_factor), self.loss_weight)
