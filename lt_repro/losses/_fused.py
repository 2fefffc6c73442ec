r"""Fused sigmoid focal / BCE terms: one autograd node, the gradient formed in the forward pass.

The forward pass evaluates the loss and, when the logits need a gradient, its derivative from
the same intermediates, in place where it can; backward is one multiply by the incoming
gradient. Only that derivative is kept (no softplus/sigmoid/modulator tensors). The backward
is not differentiable again (``once_differentiable``: second derivatives raise an error).
Weights, targets and biases are constants (no gradient), as mmdet's label weights. (The softmax
losses use ``F.cross_entropy``: a node like this one measured slower than its fused ATen kernels,
see benchmarks/README.md.)

Sigmoid focal / BCE (``focal_bce``). Binary targets y in {0, 1} (an (N,) class index with C =
background, or an (N, C) 0/1 tensor): with the signed logit u = (1 - 2y) z' (u = -z' for a
positive, z' for a negative), q = sigmoid(u) = 1 - p_t,

    b = BCE(z', y) = softplus(u) = relu(u) - log(max(q, 1 - q))
    m = q^gamma = (1 - p_t)^gamma,   l = m b
    dl/du = gamma (1 - q) l + m q                      (modulator gradient not stopped, as the
                                                        CB official ``focal_loss``)

and z' = s (z + beta_c) with s = ``neg_scale`` on negatives, 1 on positives (DB's
negative-tolerant regularisation; dz'/dz = s). Terms are multiplied by ``neg_weight`` /
``pos_weight`` (focal alpha_t, DB's 1/lambda) and by ``weight``. q^gamma is finite for any u,
so +-1000 logits give finite values and gradients. ``soft=True`` takes any y in [0, 1] with the
general form b = softplus(z) - y z, m = exp(-gamma (softplus(z) - (1 - y) z)) (the CB official
stable modulator, identical for binary y), dl/dz = m [(sigma - y) - gamma b (sigma - 1 + y)].

(N,) class-index targets never become a one-hot: the two-valued factors ((1 - 2y) s, then the
term factors) are one fill + one scatter into C + 1 columns (the extra column takes background
rows and is sliced off; the scatter's bounds check rejects indices outside [0, C]), the first
consumed in place as u's buffer, the others refilled in one reused buffer. (N, C) 0/1 targets
use in-place addcmul. Three N x C buffers at peak.
"""
from typing import Optional, Tuple

import torch
import torch.nn.functional as F
from torch import Tensor
from torch.autograd.function import once_differentiable

from ._reduce import finish_sum

__all__ = ['focal_bce', 'reduced_focal_bce']

_REDUCE = ('none', 'rows', 'sum')


def _two_valued(col: Tensor, neg: float, pos: float, like: Tensor,
                base: Optional[Tensor] = None) -> Tuple[Tensor, Tensor]:
    """An (N, C) tensor (like's dtype) holding ``pos`` at the label column ``col`` ((N, 1)
    class indices; C = background, scattered into an extra column that is sliced off) and
    ``neg`` elsewhere, and the buffer behind it (pass it back as ``base`` to refill it)."""
    n, c = like.shape
    if base is None:
        base = torch.full((n, c + 1), neg, dtype=like.dtype, device=like.device)
    else:
        base.fill_(neg)
    return base.scatter_(1, col, pos)[:, :c], base


def _scale_(x: Tensor, y: Tensor, neg: float, pos: float) -> None:
    """x *= neg + (pos - neg) y in place (pos where y = 1, neg where y = 0) for (N, C) float y."""
    if neg == 0:
        x.mul_(y).mul_(pos)
        return
    if neg != 1:
        x.mul_(neg)
    if pos != neg:
        x.addcmul_(x, y, value=(pos - neg) / neg)


def _binary_terms(z, y, gamma, bias, neg_scale, need_grad):
    """Unweighted terms l and dl/du at u = s (1 - 2y) (z + bias) (module docstring)."""
    if y.dtype == torch.long:                      # label column: s or -1 by one scatter
        try:
            u = _two_valued(y, neg_scale, -1.0, z)[0]
        except RuntimeError as err:                # scatter's bounds check (CPU)
            raise ValueError(f'focal_bce: class index labels must lie in [0, {z.size(1)}] '
                             f'({z.size(1)} = background): {err}') from None
        u.mul_(z if bias is None else z + bias)    # a view of an (N, C + 1) buffer
    else:                                          # s zb (1 - (s + 1) / s y), in place
        u = z + bias if bias is not None else z.clone()
        if neg_scale != 1:
            u.mul_(neg_scale)
        u.addcmul_(u, y, value=-(neg_scale + 1) / neg_scale)
    q = torch.sigmoid(u)                           # 1 - p_t
    # BCE = softplus(u) = relu(u) - log(max(q, 1 - q)): u - log q for u > 0, -log(1 - q) else;
    # max(q, 1 - q) >= 1/2, so the log is accurate, and it is cheaper than softplus's log1p
    t = (q - 0.5).abs_().add_(0.5).log_()
    loss = u.clamp_(min=0).sub_(t)                 # u's buffer
    if gamma == 0:
        return loss, (q if need_grad else None)
    m = torch.pow(q, gamma, out=t)                 # (1 - p_t)^gamma, t's buffer
    loss.mul_(m)
    if not need_grad:
        return loss, None
    # dl/du = gamma (1 - q) l + m q, in m's buffer
    return loss, m.mul_(q).addcmul_(q.neg_().add_(1), loss, value=gamma)


def _soft_terms(z, y, gamma, neg_weight, pos_weight, need_grad):
    sp = F.softplus(z)
    sig = torch.sigmoid(z) if need_grad else None
    b = torch.addcmul(sp, y, z, value=-1)                          # BCE(z, y)
    if gamma == 0:
        loss, grad = b, (sig.sub_(y) if need_grad else None)
    else:
        m = sp.addcmul_(y, z).sub_(z).mul_(-gamma).exp_()          # a = sp + (y - 1) z
        grad = None
        if need_grad:
            grad = (sig - y).addcmul_(sig.add_(y).sub_(1), b, value=-gamma).mul_(m)
        loss = m.mul_(b)
    _scale_(loss, y, neg_weight, pos_weight)                      # alpha_t, linear in y
    if grad is not None:
        _scale_(grad, y, neg_weight, pos_weight)
    return loss, grad


class _FocalBCE(torch.autograd.Function):

    @staticmethod
    def forward(ctx, z: Tensor, y: Tensor, gamma: float, weight: Optional[Tensor],
                bias: Optional[Tensor], neg_scale: float, neg_weight: float, pos_weight: float,
                soft: bool, reduce: str):
        need_grad = ctx.needs_input_grad[0]
        if soft:
            loss, grad = _soft_terms(z, y, gamma, neg_weight, pos_weight, need_grad)
        else:
            loss, grad = _binary_terms(z, y, gamma, bias, neg_scale, need_grad)
            if y.dtype == torch.long:              # label column: factors by scatter
                base = None
                if pos_weight != neg_weight:
                    factor, base = _two_valued(y, neg_weight, pos_weight, loss)
                    loss.mul_(factor)
                elif pos_weight != 1:
                    loss.mul_(pos_weight)
                if grad is not None:               # dz'/dz (1 - 2y) = -1 or s, times factors
                    grad.mul_(_two_valued(y, neg_weight * neg_scale, -pos_weight, grad,
                                          base)[0])
                del base
            else:                                  # 0/1 targets: in place, no new buffer
                _scale_(loss, y, neg_weight, pos_weight)
                if grad is not None:
                    _scale_(grad, y, neg_weight * neg_scale, -pos_weight)
        if callable(weight):          # built only now: the terms' temporaries are freed
            weight = weight()
        if weight is not None:
            loss.mul_(weight)
            if grad is not None:
                grad.mul_(weight)
        if grad is not None:
            ctx.save_for_backward(grad)
        ctx.reduce = reduce
        if reduce == 'rows':
            return loss.sum(dim=1)
        if reduce == 'sum':
            return loss.sum()
        return loss.contiguous()      # (a view of an (N, C + 1) buffer for class indices)

    @staticmethod
    @once_differentiable
    def backward(ctx, grad_out: Tensor):
        grad, = ctx.saved_tensors
        if ctx.reduce == 'rows':
            grad_out = grad_out[:, None]
        return (grad * grad_out,) + (None,) * 9


def focal_bce(logits: Tensor, targets: Tensor, gamma: float = 0.0,
              weight: Optional[Tensor] = None, reduce: str = 'none',
              logit_bias: Optional[Tensor] = None, neg_scale: float = 1.0,
              neg_weight: float = 1.0, pos_weight: float = 1.0, soft: bool = False) -> Tensor:
    """Weighted sigmoid focal (gamma > 0) or BCE (gamma = 0) terms of (N, C) logits.

    targets: (N,) class index (C = background: no positive) or (N, C) in {0, 1}; with
    ``soft=True`` (N, C) in [0, 1] (then no ``logit_bias`` / ``neg_scale``).
    reduce: 'none' -> (N, C) terms, 'rows' -> (N,) per-sample sums, 'sum' -> scalar.
    ``weight`` and ``logit_bias`` broadcast against (N, C); ``weight`` may be a function
    returning that tensor, called once the terms' temporaries are freed (lower peak memory).
    """
    if reduce not in _REDUCE:
        raise ValueError(f'focal_bce: reduce must be one of {_REDUCE}, got {reduce!r}')
    if gamma < 0:
        raise ValueError(f'focal_bce: gamma must be >= 0, got {gamma}')
    if neg_scale <= 0:
        raise ValueError(f'focal_bce: neg_scale must be > 0, got {neg_scale}')
    if soft:
        if targets.dim() != 2:
            raise ValueError('focal_bce: soft=True needs (N, C) targets')
        if logit_bias is not None or neg_scale != 1:
            raise ValueError('focal_bce: logit_bias / neg_scale need binary targets (soft=False)')
        targets = targets.to(logits.dtype)
    elif targets.dim() == 1:
        targets = targets.long()[:, None]         # checked by the first scatter
    else:
        targets = targets.to(logits.dtype)
    return _FocalBCE.apply(logits, targets, float(gamma), weight, logit_bias, float(neg_scale),
                           float(neg_weight), float(pos_weight), bool(soft), reduce)


def reduced_focal_bce(logits: Tensor, targets: Tensor, gamma: float, reduction: str,
                      avg_factor=None, per_row: bool = False, **terms) -> Tensor:
    """``focal_bce`` with mmdet's reduction: 'none' -> the terms ((N,) row sums if
    ``per_row``), 'sum', 'mean' -> sum / count (count = N if ``per_row`` else N * C) or
    sum / (avg_factor + eps); an empty mean is 0. The 1 / count is folded into the terms'
    factors (no extra autograd node)."""
    if reduction == 'none':
        return focal_bce(logits, targets, gamma, reduce='rows' if per_row else 'none', **terms)
    count = logits.size(0) if per_row else logits.numel()
    if reduction == 'mean' and avg_factor is None and count > 0:
        terms['neg_weight'] = terms.get('neg_weight', 1.0) / count
        terms['pos_weight'] = terms.get('pos_weight', 1.0) / count
        return focal_bce(logits, targets, gamma, reduce='sum', **terms)
    return finish_sum(focal_bce(logits, targets, gamma, reduce='sum', **terms), count,
                      reduction, avg_factor)
