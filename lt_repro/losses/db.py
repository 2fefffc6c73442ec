"""Distribution-Balanced Loss (Wu et al., ECCV 2020, arXiv:2007.09654v4) for multi-label classification:
``cls_score`` (N, C) logits, ``label`` (N, C) in {0, 1}.

Equations (paper Sec. 3), in the form the official code implements:
- re-balanced weighting, for sample k and class i, applied to every (positive and negative) binary term:
      P^C_i = (1/C) (1/n_i),  P^I(x^k) = (1/C) sum_{i: y^k_i = 1} 1/n_i,
      r^k_i = P^C_i / P^I(x^k),   r_hat^k_i = alpha + sigmoid(beta (r^k_i - mu));
- negative-tolerant regularisation (NTR), class-specific bias nu_i = kappa b_i,
  b_i = -log(1/p_i - 1), p_i = n_i / N (N training images):
      L = y log(1 + e^{-(z - nu)}) + (1/lambda)(1 - y) log(1 + e^{lambda (z - nu)});
- DB-Focal: the focal modulator (1 - p_t)^gamma on each term, p_t taken from the regularised logit.

Official file: wutong16/DistributionBalancedLoss@14460d0acda6a3e77a8a6a5999b9746243cb1535:
mllt/models/losses/resample_loss.py (``ResampleLoss``, ``reweight_func='rebalance'``), with the DB-Focal
configs configs/coco/LT_resnet50_pfc_DB.py (``map_param=dict(alpha=0.1, beta=10.0, gamma=0.2)``,
``logit_reg=dict(neg_scale=2.0, init_bias=0.05)``, ``focal=dict(focal=True, balance_param=2.0, gamma=2)``)
and configs/voc/LT_resnet50_pfc_DB.py (mu = ``gamma=0.3``, ``neg_scale=5``):
``DistributionBalancedLoss.coco_mlt(...)`` / ``.voc_mlt(...)``. Names here -> official: alpha, beta, mu =
map_alpha, map_beta, map_gamma; kappa = logit_reg.init_bias; lambda_ = logit_reg.neg_scale;
gamma, balance_param = focal.gamma, focal.balance_param; ``train_num`` = number of training images
(official ``class_freq[0] + neg_class_freq[0]``).

The code computes (``rebalance_weight`` + ``logit_reg_functions`` + focal):
    w      = alpha + sigmoid(beta * (freq_inv / sum_j(y_j freq_inv_j) - mu))
    z'     = z + init_bias,   init_bias = -log(train_num/n - 1) * kappa / lambda
    z''    = lambda z' (negatives), z' (positives);  w'' = w / lambda (negatives)
    loss   = balance_param * (1 - p_t(z''))^gamma * w'' * BCE(z'', y)
reduced by the mean over all N*C elements (the focal branch returns the
element-wise loss and mllt's ``parse_losses`` takes ``.mean()``; the non-focal
branch uses ``weight_reduce_loss(..., 'mean')``).

Paper vs code (default = code):
- bias: the code divides the NTR bias by lambda before scaling negatives, so positives see
  z + kappa b / lambda and negatives lambda z + kappa b, i.e. the paper's form with
  kappa_eff = kappa / lambda. ``bias_mode='paper'`` drops the division (positives z + kappa b,
  negatives lambda (z + kappa b)). Both modes add kappa b with the code's sign (b_i is the logit of p_i,
  < 0 for p_i < 1/2); the equation above subtracts nu.
- ``balance_param`` (2.0) multiplies the focal loss in the code; not in the paper.
  With ``focal=False`` it is not applied (as in the code).
- the paper averages over classes (1/C); the code's mean over N*C is the same.

Deviations from the code (no effect on the official configs):
- the caller's ``logits`` are never modified (the code adds the bias in place);
- the caller's ``weight`` is multiplied in (the code silently drops it) and
  ``avg_factor``/``reduction_override`` are honoured in the focal branch too;
- a sample without positive labels gets r = +inf -> weight alpha + 1, exactly as
  the code's inf arithmetic, but without producing inf;
- with ``reweight_func=None`` and lambda != 1 the code crashes (None / lambda); we
  use weight 1 (negatives 1/lambda);
- the terms, weights, bias and lambda scaling run as one fused autograd node
  (``_fused.focal_bce``, the gradient formed in the forward pass, the caller's logits
  untouched); (1 - p_t)^gamma is sigmoid(u)^gamma with the signed logit u = (1 - 2y) z',
  equal to the CB official stable form exp(-gamma (y z + log1p(exp(-z)))) for y in {0, 1};
  finite value and gradient at p_t -> 1 and at +-1000 logits.
- labels must be in {0, 1}: the lambda scaling and the signed logit treat y as binary (the
  code's ``z (1 - y) lambda + z y`` form; identical for binary y).
- official ``weight_norm`` and the 'inv'/'sqrt_inv' re-weighting options of
  ``ResampleLoss`` (used only in ablations) are not implemented.

``reweight_func='CB'`` is the official ``CB_weight`` (class-balanced baseline of the
cross-matrix): with e(n) = (1 - cb_beta) / (1 - cb_beta^n), 'by_class' weighs column i by
e(n_i); per sample k, 'average_w' by the mean of e(n_i) over its positives, 'average_n' by
e(mean n_i over its positives), 'min_n' by e(min n_i over its positives); defaults
cb_beta=0.9, cb_mode='average_w' as ``ResampleLoss``; no normalisation, as the code. A sample
without positives gets 1 - cb_beta (the code: 0/0 = NaN for the 'average' modes, 1 - beta
for 'min_n').

With ``reweight_func=None``, ``kappa=0`` and ``lambda_=1`` the loss is plain BCE
(``focal=False``; mean over N*C) or balance_param * sigmoid focal (alpha=None).
"""
from typing import Optional, Sequence, Union

import torch
import torch.nn as nn

from ._fused import reduced_focal_bce
from ._reduce import resolve_reduction
from .baselines import check_logits, expand_weight, scale_loss, upcast

__all__ = ['DistributionBalancedLoss']

REWEIGHT_FUNCS = (None, 'rebalance', 'CB')
CB_MODES = ('by_class', 'average_n', 'average_w', 'min_n')
BIAS_MODES = ('code', 'paper')


class DistributionBalancedLoss(nn.Module):
    """DB loss: re-balanced weights + negative-tolerant regularisation (+ focal)."""

    def __init__(self, class_freq: Union[Sequence[float], torch.Tensor], train_num: float,
                 reweight_func: Optional[str] = 'rebalance',
                 alpha: float = 0.1, beta: float = 10.0, mu: float = 0.2,
                 kappa: float = 0.05, lambda_: float = 2.0,
                 focal: bool = True, gamma: float = 2.0, balance_param: float = 2.0,
                 bias_mode: str = 'code', reduction: str = 'mean', loss_weight: float = 1.0,
                 cb_beta: float = 0.9, cb_mode: str = 'average_w'):
        super().__init__()
        if cb_mode not in CB_MODES:
            raise ValueError(f'DistributionBalancedLoss: cb_mode must be one of {CB_MODES}, got {cb_mode!r}')
        if not 0.0 <= cb_beta < 1.0:
            raise ValueError(f'DistributionBalancedLoss: cb_beta must be in [0, 1), got {cb_beta}')
        self.cb_beta, self.cb_mode = float(cb_beta), cb_mode
        if reweight_func not in REWEIGHT_FUNCS:
            raise ValueError(f'DistributionBalancedLoss: reweight_func must be one of '
                             f'{REWEIGHT_FUNCS}, got {reweight_func!r}')
        if bias_mode not in BIAS_MODES:
            raise ValueError(f'DistributionBalancedLoss: bias_mode must be one of {BIAS_MODES}, '
                             f'got {bias_mode!r}')
        if lambda_ <= 0:
            raise ValueError(f'DistributionBalancedLoss: lambda_ (neg_scale) must be > 0, got {lambda_}')
        n = torch.as_tensor(class_freq, dtype=torch.float64).flatten()
        train_num = float(train_num)
        if n.numel() == 0 or bool(((n <= 0) | (n >= train_num)).any()):
            raise ValueError('DistributionBalancedLoss: every class_freq must satisfy '
                             f'0 < n_c < train_num={train_num} (got {n.tolist()[:10]}...); '
                             'class_freq counts positive images per class, train_num counts images')
        self.reweight_func = reweight_func
        self.alpha, self.beta, self.mu = float(alpha), float(beta), float(mu)
        self.kappa, self.lambda_ = float(kappa), float(lambda_)
        self.focal, self.gamma = bool(focal), float(gamma)
        self.balance_param = float(balance_param)
        self.bias_mode = bias_mode
        self.train_num = train_num
        self.reduction = resolve_reduction(reduction, None)
        self.loss_weight = float(loss_weight)
        prior_logit = -torch.log(train_num / n - 1.0)  # b_i = -log(1/p_i - 1)
        scale = self.kappa / self.lambda_ if bias_mode == 'code' else self.kappa
        self.register_buffer('class_freq', n.float())
        self.register_buffer('freq_inv', (1.0 / n).float())
        self.register_buffer('init_bias', (prior_logit * scale).float())

    @classmethod
    def coco_mlt(cls, class_freq, train_num, **overrides) -> 'DistributionBalancedLoss':
        """configs/coco/LT_resnet50_pfc_DB.py: alpha .1, beta 10, mu .2, kappa .05, lambda 2."""
        cfg = dict(reweight_func='rebalance', alpha=0.1, beta=10.0, mu=0.2, kappa=0.05,
                   lambda_=2.0, focal=True, gamma=2.0, balance_param=2.0)
        return cls(class_freq, train_num, **{**cfg, **overrides})

    @classmethod
    def voc_mlt(cls, class_freq, train_num, **overrides) -> 'DistributionBalancedLoss':
        """configs/voc/LT_resnet50_pfc_DB.py: alpha .1, beta 10, mu .3, kappa .05, lambda 5."""
        cfg = dict(reweight_func='rebalance', alpha=0.1, beta=10.0, mu=0.3, kappa=0.05,
                   lambda_=5.0, focal=True, gamma=2.0, balance_param=2.0)
        return cls(class_freq, train_num, **{**cfg, **overrides})

    @property
    def num_classes(self) -> int:
        return self.class_freq.numel()

    def extra_repr(self) -> str:
        return (f'num_classes={self.num_classes}, reweight_func={self.reweight_func!r}, '
                f'alpha={self.alpha}, beta={self.beta}, mu={self.mu}, kappa={self.kappa}, '
                f'lambda_={self.lambda_}, focal={self.focal}, gamma={self.gamma}, '
                f'balance_param={self.balance_param}, bias_mode={self.bias_mode!r}'
                + (f', cb_beta={self.cb_beta}, cb_mode={self.cb_mode!r}' if self.reweight_func == 'CB' else ''))

    def rebalance_weight(self, targets: torch.Tensor) -> torch.Tensor:
        """alpha + sigmoid(beta (r - mu)), r_ki = (1/n_i) / sum_{j pos in k} 1/n_j."""
        freq_inv = self.freq_inv.to(targets.dtype)
        repeat_rate = targets @ freq_inv                              # (N,), no N x C temporary
        # a row without positives: r = 1/0 = inf, sigmoid(beta inf) = 1 for beta > 0 (official)
        w = (freq_inv / repeat_rate[:, None]).sub_(self.mu).mul_(self.beta).sigmoid_().add_(self.alpha)
        if self.beta <= 0:   # inf arithmetic would give NaN or alpha there: set alpha + 1
            w.masked_fill_((repeat_rate == 0)[:, None], self.alpha + 1.0)
        return w

    def cb_weight(self, targets: torch.Tensor) -> torch.Tensor:
        """Official ``ResampleLoss.CB_weight`` (N, C): e(n) = (1 - beta) / (1 - beta^n) by class, or per
        sample from its positives (see the module docstring)."""
        beta = self.cb_beta
        n = self.class_freq.to(targets.dtype)

        def effective(m):
            return (1.0 - beta) / (1.0 - torch.pow(torch.as_tensor(beta, dtype=targets.dtype), m))

        if self.cb_mode == 'by_class':
            return effective(n).expand_as(targets).clone()
        positives = targets.sum(dim=1)
        if self.cb_mode == 'average_w':
            w = (targets @ effective(n)) / positives
        elif self.cb_mode == 'average_n':
            w = effective((targets @ n) / positives)
        else:  # min_n
            w = effective((targets * n + (1 - targets) * 100000).min(dim=1).values)
        w = torch.where(positives > 0, w, torch.full_like(w, 1.0 - beta))
        return w[:, None].expand_as(targets).clone()

    def forward(self, cls_score, label, weight=None, avg_factor=None, reduction_override=None):
        reduction = resolve_reduction(self.reduction, reduction_override)
        check_logits(cls_score, self.num_classes, type(self).__name__)
        if label.shape != cls_score.shape:
            raise ValueError(f'DistributionBalancedLoss: label must be (N, C) multi-hot like '
                             f'cls_score {tuple(cls_score.shape)}, got {tuple(label.shape)}')
        logits = upcast(cls_score)
        y = label.to(logits.dtype)

        def db_weight():
            """re-balanced weight (times ``weight``), built after the terms' temporaries."""
            w = (self.rebalance_weight(y) if self.reweight_func == 'rebalance'
                 else self.cb_weight(y) if self.reweight_func == 'CB' else None)
            if weight is not None:
                sample = expand_weight(weight.to(logits.dtype), logits)
                w = sample if w is None else w.mul_(sample)
            return w

        # official: z (1 - y) lambda + z y, w / lambda (1 - y) + w y, balance_param (focal)
        scale = self.balance_param if self.focal else 1.0
        terms = dict(weight=db_weight, neg_scale=self.lambda_, neg_weight=scale / self.lambda_,
                     pos_weight=scale,
                     logit_bias=self.init_bias.to(logits.dtype) if self.kappa != 0 else None)
        gamma = self.gamma if self.focal else 0.0
        # terms at z' = (z + bias) * scale, the caller's logits untouched (see _fused.py)
        loss = reduced_focal_bce(logits, y, gamma, reduction, avg_factor, **terms)
        return scale_loss(loss, self.loss_weight)
