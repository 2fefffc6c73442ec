r"""Fused sigmoid focal / BCE terms with the gradient computed in the forward pass.

One autograd node replaces the ~10 element-wise nodes of an eager focal loss: the forward pass
evaluates the loss and, when the logits need a gradient, its derivative from the same
intermediates; the backward pass is one multiply by the incoming gradient. Only that derivative
is kept for backward (no softplus/exp/modulator tensors), so peak memory stays near BCE's.

For logits z, targets y (any value in [0, 1]) and gamma >= 0 (gamma = 0 is plain BCE):

    b = BCE(z, y)  = softplus(z) - y z
    a              = softplus(z) - (1 - y) z        (= -log(1 - p_t) for y in {0, 1})
    m = exp(-gamma a)                               (= (1 - p_t)^gamma, the stable form of the
                                                     CB official ``focal_loss``)
    l = m b,   dl/dz = m [(sigma(z) - y) - gamma b (sigma(z) - 1 + y)]

The modulator's gradient is not stopped (CB official code). With ``logit_bias`` beta_c and
``logit_scale`` s the terms are taken at z' = s (z + beta_c) and dl/dz = s dl/dz' (DB's
negative-tolerant regularisation). ``weight`` multiplies each term; it, the targets, the bias
and the scale are constants (no gradient), as mmdet's label weights are. The backward pass is
not differentiable again (``once_differentiable``): second derivatives raise an error.
"""
from typing import Callable, Optional

import torch
import torch.nn.functional as F
from torch import Tensor
from torch.autograd.function import once_differentiable

__all__ = ['focal_bce', 'objectness_softmax_ce', 'softmax_ce']

_REDUCE = ('none', 'rows', 'sum')


class _FocalBCE(torch.autograd.Function):

    @staticmethod
    def forward(ctx, z: Tensor, y: Tensor, gamma: float, weight: Optional[Tensor],
                logit_bias: Optional[Tensor], logit_scale: Optional[Tensor], reduce: str):
        need_grad = ctx.needs_input_grad[0]
        if logit_bias is not None:
            z = z + logit_bias
        if logit_scale is not None:
            z = z * logit_scale
        sp = F.softplus(z)
        sig = torch.sigmoid(z) if need_grad else None
        if gamma == 0:
            loss = sp.addcmul_(y, z, value=-1)                    # b = softplus(z) - y z
            grad = sig.sub_(y) if need_grad else None             # sigma - y
            if weight is not None:
                loss.mul_(weight)
                if need_grad:
                    grad.mul_(weight)
        else:
            y_minus_1 = y - 1
            b = torch.addcmul(sp, y, z, value=-1)
            m = sp.addcmul_(y_minus_1, z).mul_(-gamma).exp_()    # a = softplus(z) + (y - 1) z
            if weight is not None:
                m.mul_(weight)                                    # weight folded into m
            if need_grad:
                grad = (sig - y).addcmul_(sig.add_(y_minus_1), b, value=-gamma).mul_(m)
            loss = m.mul_(b)
        if need_grad:
            if logit_scale is not None:
                grad.mul_(logit_scale)
            ctx.save_for_backward(grad)
        ctx.reduce = reduce
        if reduce == 'rows':
            return loss.sum(dim=1)
        if reduce == 'sum':
            return loss.sum()
        return loss

    @staticmethod
    @once_differentiable
    def backward(ctx, grad_out: Tensor):
        grad, = ctx.saved_tensors
        if ctx.reduce == 'rows':
            grad_out = grad_out[:, None]
        return grad * grad_out, None, None, None, None, None, None


def focal_bce(logits: Tensor, targets: Tensor, gamma: float = 0.0,
              weight: Optional[Tensor] = None, reduce: str = 'none',
              logit_bias: Optional[Tensor] = None,
              logit_scale: Optional[Tensor] = None) -> Tensor:
    """Weighted sigmoid focal (gamma > 0) or BCE (gamma = 0) terms of (N, C) logits.

    reduce: 'none' -> (N, C) terms, 'rows' -> (N,) per-sample sums, 'sum' -> scalar.
    ``weight``, ``logit_bias`` and ``logit_scale`` broadcast against (N, C).
    """
    if reduce not in _REDUCE:
        raise ValueError(f'focal_bce: reduce must be one of {_REDUCE}, got {reduce!r}')
    if gamma < 0:
        raise ValueError(f'focal_bce: gamma must be >= 0, got {gamma}')
    targets = targets.to(logits.dtype)
    return _FocalBCE.apply(logits, targets, float(gamma), weight, logit_bias, logit_scale, reduce)


class _SoftmaxCE(torch.autograd.Function):

    @staticmethod
    def forward(ctx, z: Tensor, labels: Tensor, weight: Optional[Tensor],
                shifted: Optional[Tensor], reduce: str):
        if shifted is not None:
            z = shifted
        index = labels[:, None]
        p = F.softmax(z, dim=1)
        loss = _ce_from_softmax(z, p, index)
        if weight is not None:
            loss = loss * weight
        if ctx.needs_input_grad[0]:
            grad = p.scatter_add_(1, index, _minus_one(z).expand_as(index))
            if weight is not None:
                grad.mul_(weight[:, None])
            ctx.save_for_backward(grad)
        ctx.reduce = reduce
        return loss.sum() if reduce == 'sum' else loss

    @staticmethod
    @once_differentiable
    def backward(ctx, grad_out: Tensor):
        grad, = ctx.saved_tensors
        if ctx.reduce == 'none':
            grad_out = grad_out[:, None]
        return grad * grad_out, None, None, None, None


def _ce_from_softmax(z: Tensor, p: Tensor, index: Tensor) -> Tensor:
    """-log softmax(z)_y = logsumexp(z) - z_y with logsumexp(z) = max(z) - log(max(p)): the
    softmax kernel computes p = exp(z - max z) / S, so max p = 1 / S >= 1 / C never underflows
    (exact at +-1000 logits), and no log_softmax pass is needed."""
    lse = z.amax(dim=1).sub_(p.amax(dim=1).log_())
    return lse.sub_(z.gather(1, index).squeeze_(1))


def _minus_one(like: Tensor) -> Tensor:
    return torch.full((1, 1), -1.0, dtype=like.dtype, device=like.device)


def softmax_ce(logits: Tensor, labels: Tensor, weight: Optional[Tensor] = None,
               reduce: str = 'none', shifted: Optional[Tensor] = None) -> Tensor:
    """Softmax cross-entropy -log softmax(z')_y per sample, times ``weight`` (N,), with the
    gradient softmax(z') - onehot(y) formed in the forward pass (one backward multiply).

    ``shifted`` = z' = z + a constant (dz'/dz = 1), made by the caller without autograd:
    Seesaw's z + log S, or softmax EQL's z with -inf on the dropped classes (never on a label
    column); default z' = z. reduce: 'none' -> (N,), 'sum' -> scalar. Labels in [0, C).
    """
    if reduce not in ('none', 'sum'):
        raise ValueError(f"softmax_ce: reduce must be 'none' or 'sum', got {reduce!r}")
    return _SoftmaxCE.apply(logits, labels.long(), weight, shifted, reduce)


class _ObjectnessSoftmaxCE(torch.autograd.Function):
    """Seesaw's two cross-entropies on one (N, C + 2) logits tensor: the class CE of the
    foreground rows over the first C columns (plus a constant offset) and the objectness CE of
    all rows over the last 2. Their gradients occupy disjoint entries of one saved tensor, so
    no slice or row-selection backward runs."""

    @staticmethod
    def forward(ctx, logits: Tensor, labels: Tensor, fg_index: Tensor, weight: Optional[Tensor],
                offset_fn: Optional[Callable[[Tensor, Tensor], Optional[Tensor]]], reduce: str):
        num_classes = logits.size(1) - 2
        need_grad = ctx.needs_input_grad[0]
        fg_labels = labels.index_select(0, fg_index)
        z = logits[:, :num_classes].index_select(0, fg_index)      # a copy: updated in place
        offset = None if offset_fn is None else offset_fn(z, fg_labels)
        if offset is not None:
            z.add_(offset)
        fg_labels = fg_labels[:, None]
        p_cls = F.softmax(z, dim=1)
        loss_cls = _ce_from_softmax(z, p_cls, fg_labels)
        obj_labels = (labels == num_classes).long()[:, None]
        z_obj = logits[:, num_classes:]
        p_obj = F.softmax(z_obj, dim=1)
        loss_obj = _ce_from_softmax(z_obj, p_obj, obj_labels)
        fg_weight = None
        if weight is not None:
            fg_weight = weight.index_select(0, fg_index)
            loss_cls = loss_cls * fg_weight
            loss_obj = loss_obj * weight
        if need_grad:
            minus_one = _minus_one(z)
            grad = torch.zeros_like(logits)
            grad_cls = p_cls.scatter_add_(1, fg_labels, minus_one.expand_as(fg_labels))
            grad_obj = p_obj.scatter_add_(1, obj_labels, minus_one.expand_as(obj_labels))
            if weight is not None:
                grad_cls.mul_(fg_weight[:, None])
                grad_obj.mul_(weight[:, None])
            grad[:, :num_classes].index_copy_(0, fg_index, grad_cls)
            grad[:, num_classes:] = grad_obj
            ctx.save_for_backward(grad, fg_index)
        ctx.reduce, ctx.num_classes = reduce, num_classes
        if reduce == 'sum':
            return loss_cls.sum(), loss_obj.sum()
        return loss_cls, loss_obj

    @staticmethod
    @once_differentiable
    def backward(ctx, grad_cls: Tensor, grad_obj: Tensor):
        grad, fg_index = ctx.saved_tensors
        c = ctx.num_classes
        if ctx.reduce == 'none':          # per-row incoming gradients
            cls_rows = grad_cls.new_zeros(grad.size(0)).index_copy_(0, fg_index, grad_cls)
            column = torch.stack([cls_rows, grad_obj], dim=1)           # (N, 2)
            scale = column[:, [0] * c + [1, 1]]
        else:
            scale = torch.cat([grad_cls.expand(c), grad_obj.expand(2)])
        return grad * scale, None, None, None, None, None


def objectness_softmax_ce(logits: Tensor, labels: Tensor, fg_index: Tensor,
                          weight: Optional[Tensor] = None,
                          offset_fn: Optional[Callable[[Tensor, Tensor], Optional[Tensor]]] = None,
                          reduce: str = 'none'):
    """(class CE of the rows ``fg_index``, objectness CE of all rows) of (N, C + 2) logits.

    Labels lie in [0, C] (C = background); ``fg_index`` lists the rows with label < C.
    ``offset_fn(z, y)``, given those rows' class logits (a detached copy) and labels, returns a
    constant (or None) added to them (Seesaw's log S). ``weight`` (N,) multiplies both losses.
    reduce: 'none' -> per-row losses, 'sum' -> two scalars.
    """
    if reduce not in ('none', 'sum'):
        raise ValueError(f"objectness_softmax_ce: reduce must be 'none' or 'sum', got {reduce!r}")
    return _ObjectnessSoftmaxCE.apply(logits, labels.long(), fg_index, weight, offset_fn, reduce)
