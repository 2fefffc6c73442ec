"""Class-wise Difficulty-Balanced loss (Sinha, Ohashi, Nakamura, ACCV 2020, arXiv:2010.01824v1).

Equation: class difficulty d_c = 1 - A_c (A_c: accuracy of class c on a validation
set, re-measured during training), weight w_c = d_c^tau, and
    L_CDB(z, y) = -w_y log softmax(z)_y,
with tau a number or 'dynamic' (tau derived from the spread of the difficulties).
Weights are normalised to sum to C (official ``normalize=True``).

The official repository, hitachi-rd-cv/CDB-loss@82b0119e189a50beb3ae581d401dd8585739c112, has two
implementations that differ in the dynamic tau and in the reduction; ``variant`` selects one:

``variant='cifar'`` (default) -- ``CIFAR-LT/losses/cdb_loss.py`` (identical copy:
``EGTEA/losses/cdb_loss.py``), reduced as in ``CIFAR-LT/cifar_train.py`` /
``EGTEA/EGTEA_train.py`` (``nn.CrossEntropyLoss(weight=w, reduction='none')``
then ``torch.mean``):
    tau = sigmoid( (1 - min d) / (1 - max d + 0.01) )
    L = sum_i w_{y_i} CE_i / N
``variant='imagenet'`` -- ``ImageNet-LT/loss/CDBSoftmaxLoss.py`` (the same formula
is in the unused helper ``CIFAR-LT/utils.py::compute_weights``):
    tau = 2 * sigmoid( (1 - min d) / (1 - max d + 0.01) - 1 )
    L = sum_i w_{y_i} CE_i / sum_i w_{y_i}   (torch's weighted-mean CE)

Official vs guarded. With ``difficulty_floor=0`` (the default) the weights are the
official ones. The official w_c = d_c^tau is 0 for a class whose validation accuracy
is perfect: that class then contributes nothing to the loss for the next epoch and
can be forgotten (on an easy data set such as MNIST-LT this happens often, see the
demo report). ``difficulty_floor=f > 0`` is our guarded variant, not in the paper or
the official code: w_c = max(d_c, f)^tau, so every class keeps a weight of at least
f^tau (before normalisation); tau is still computed from the measured d.

Differences from the official code (deliberate, documented):
- official focal option of the ImageNet-LT code (``loss/FocalLoss.py``) is not
  reproduced: that file references an undefined ``size_average`` and cannot run.
- if every normalised weight would be 0/0 (all d_c = 0, i.e. a perfect
  validation score) we fall back to uniform weights (plain CE) instead of NaN.
- 'imagenet' mean with sum_i w_{y_i} = 0 returns 0 (torch returns NaN).
Both official training scripts start from ``class_difficulty = ones(C)`` (plain
CE) and rebuild the loss after every validation with ``1 - class_wise_accuracy``;
here call ``update_difficulty(d)`` (buffers are updated in place, so the device,
dtype and state_dict entry are kept).

mmdet contract: element-wise loss ``w_{y_i} CE_i`` (N,); 'mean' divides by N
('cifar') or by sum_i w_{y_i} * weight_i ('imagenet'); an explicit ``avg_factor``
replaces either denominator.
"""
import math
from typing import Optional, Sequence, Union

import torch
import torch.nn as nn

from ._reduce import cross_entropy, resolve_reduction
from .baselines import check_logits, scale_loss, upcast

__all__ = ['CDBLoss', 'cdb_weights', 'dynamic_tau_cifar', 'dynamic_tau_imagenet']

VARIANTS = ('cifar', 'imagenet')
_EPS = 0.01  # official epsilon in the dynamic-tau ratio (both files)


def _difficulty_tensor(class_difficulty) -> torch.Tensor:
    d = torch.as_tensor(class_difficulty, dtype=torch.float64).detach().flatten().cpu()
    if d.numel() == 0 or bool(((d < 0) | (d > 1) | torch.isnan(d)).any()):
        raise ValueError('CDBLoss: class_difficulty must be a non-empty list of values in '
                         '[0, 1] (1 - per-class validation accuracy)')
    return d


def _check_floor(floor) -> float:
    floor = float(floor)
    if not 0.0 <= floor < 1.0:
        raise ValueError(f'CDBLoss: difficulty_floor must be in [0, 1) (0: the official weights), got {floor}')
    return floor


def _spread_ratio(d: torch.Tensor) -> float:
    return float((1 - d.min()) / (1 - d.max() + _EPS))


def dynamic_tau_cifar(class_difficulty) -> float:
    """CIFAR-LT/losses/cdb_loss.py: tau = sigmoid((1 - min d)/(1 - max d + 0.01))."""
    return 1.0 / (1.0 + math.exp(-_spread_ratio(_difficulty_tensor(class_difficulty))))


def dynamic_tau_imagenet(class_difficulty) -> float:
    """ImageNet-LT/loss/CDBSoftmaxLoss.py: tau = 2 sigmoid((1 - min d)/(1 - max d + 0.01) - 1)."""
    return 2.0 / (1.0 + math.exp(-(_spread_ratio(_difficulty_tensor(class_difficulty)) - 1.0)))


def cdb_weights(class_difficulty, tau: Union[float, str] = 'dynamic', variant: str = 'cifar',
                normalize: bool = True, difficulty_floor: float = 0.0) -> torch.Tensor:
    """w_c = d_c^tau (tau 'dynamic' -> the variant's formula), normalised to sum to C.
    ``difficulty_floor`` f > 0: the guarded variant w_c = max(d_c, f)^tau (0: official)."""
    if variant not in VARIANTS:
        raise ValueError(f'CDBLoss: variant must be one of {VARIANTS}, got {variant!r}')
    d = _difficulty_tensor(class_difficulty)
    floor = _check_floor(difficulty_floor)
    if tau == 'dynamic':
        tau = dynamic_tau_cifar(d) if variant == 'cifar' else dynamic_tau_imagenet(d)
    elif isinstance(tau, str):
        raise ValueError(f"CDBLoss: tau must be a number or 'dynamic', got {tau!r}")
    w = d.clamp(min=floor) ** float(tau)
    if normalize:
        total = w.sum()
        w = w / total * d.numel() if total > 0 else torch.ones_like(w)
    return w.float()


class CDBLoss(nn.Module):
    """Softmax CE with class-difficulty weights d_c^tau (see module docstring)."""

    def __init__(self, class_difficulty: Optional[Sequence[float]] = None,
                 tau: Union[float, str] = 'dynamic', variant: str = 'cifar',
                 normalize: bool = True, num_classes: Optional[int] = None,
                 reduction: str = 'mean', loss_weight: float = 1.0, difficulty_floor: float = 0.0):
        super().__init__()
        self.difficulty_floor = _check_floor(difficulty_floor)  # 0: official; > 0: our guarded variant
        if class_difficulty is None:
            if num_classes is None:
                raise ValueError('CDBLoss: give class_difficulty or num_classes '
                                 '(num_classes alone starts from uniform difficulty = plain CE)')
            class_difficulty = [1.0] * int(num_classes)
        if variant not in VARIANTS:
            raise ValueError(f'CDBLoss: variant must be one of {VARIANTS}, got {variant!r}')
        self.tau = tau if tau == 'dynamic' else float(tau)
        self.variant = variant
        self.normalize = bool(normalize)
        self.reduction = resolve_reduction(reduction, None)
        self.loss_weight = float(loss_weight)
        d = _difficulty_tensor(class_difficulty)
        if num_classes is not None and d.numel() != int(num_classes):
            raise ValueError(f'CDBLoss: class_difficulty has {d.numel()} entries but '
                             f'num_classes={num_classes}')
        self.register_buffer('class_difficulty', d.float())
        self.register_buffer('class_weight', cdb_weights(d, self.tau, variant, self.normalize,
                                                         self.difficulty_floor))

    @property
    def num_classes(self) -> int:
        return self.class_weight.numel()

    def extra_repr(self) -> str:
        floor = f', difficulty_floor={self.difficulty_floor}' if self.difficulty_floor else ''
        return f'num_classes={self.num_classes}, tau={self.tau!r}, variant={self.variant!r}{floor}'

    @property
    def current_tau(self) -> float:
        """The tau of the current weights (the dynamic formula of the variant, or the fixed value)."""
        if self.tau != 'dynamic':
            return float(self.tau)
        d = self.class_difficulty
        return dynamic_tau_cifar(d) if self.variant == 'cifar' else dynamic_tau_imagenet(d)

    @torch.no_grad()
    def update_difficulty(self, class_difficulty) -> None:
        """Set new difficulties (1 - per-class val accuracy) and recompute weights."""
        d = _difficulty_tensor(class_difficulty)
        if d.numel() != self.num_classes:
            raise ValueError(f'CDBLoss.update_difficulty: got {d.numel()} difficulties for '
                             f'{self.num_classes} classes')
        self.class_difficulty.copy_(d)
        self.class_weight.copy_(cdb_weights(d, self.tau, self.variant, self.normalize, self.difficulty_floor))

    def forward(self, cls_score, label, weight=None, avg_factor=None, reduction_override=None):
        reduction = resolve_reduction(self.reduction, reduction_override)
        check_logits(cls_score, self.num_classes, type(self).__name__)
        logits = upcast(cls_score)
        label = label.long()
        cw = self.class_weight.to(logits.dtype)
        if self.variant == 'imagenet' and reduction == 'mean' and avg_factor is None:
            w_y = cw[label]
            denom = w_y if weight is None else w_y * weight
            avg_factor = denom.sum()  # torch weighted mean; 0 -> loss 0 (helper adds eps)
        return scale_loss(cross_entropy(logits, label, cw, weight, reduction, avg_factor),
                          self.loss_weight)                               # w_y * CE_i
