"""The loss contract's cases: for every loss registered in ``lt_repro.mm.registry``, valid constructor
kwargs and matching inputs. ``tests/losses/conftest.py`` turns each (loss, case) into one ``loss_case``
parameter; test_contract.py and test_device.py run every test on each.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Dict, Tuple

import torch

from lt_repro.mm.registry import registered_losses

C = 6                                   # classes
N = 10                                  # samples / RoIs
COUNTS = [100, 40, 15, 6, 2, 1]         # long-tailed per-class counts
FREQ = [n / 120 for n in COUNTS]        # image-count fractions (EQL)
DIFFICULTY = [0.1, 0.2, 0.4, 0.5, 0.7, 0.9]


def single_label(n: int, g: torch.Generator, scale: float = 2.0):
    return torch.randn(n, C, generator=g) * scale, torch.randint(0, C, (n,), generator=g)


def with_background(n: int, g: torch.Generator, scale: float = 2.0):
    """R x C logits, labels in [0, C] (C = background, mmdet convention)."""
    logits = torch.randn(n, C, generator=g) * scale
    labels = torch.randint(0, C + 1, (n,), generator=g)
    if n >= 2:
        labels[0], labels[1] = 0, C     # at least one foreground and one background RoI
    return logits, labels


def seesaw_inputs(n: int, g: torch.Generator, scale: float = 2.0):
    """N x (C + 2) logits (C classes + objectness pair), labels in [0, C]."""
    _, labels = with_background(n, g)
    return torch.randn(n, C + 2, generator=g) * scale, labels


def multi_hot(n: int, g: torch.Generator, scale: float = 2.0):
    labels = (torch.rand(n, C, generator=g) < 0.3).float()
    if n >= 1:
        labels[0] = 0                   # a sample without positives (DB's r = inf branch)
    return torch.randn(n, C, generator=g) * scale, labels


@dataclass(frozen=True)
class Case:
    """One valid configuration of a registered loss and inputs that match it."""
    id: str
    kwargs: dict
    inputs: Callable[..., Tuple[torch.Tensor, torch.Tensor]]
    none_shape: Callable[[torch.Tensor, torch.Tensor], Dict[str, tuple]]
    mean_is_elementwise_mean: bool = True   # False where 'mean' has its own denominator
    reductions: Tuple[str, ...] = ('none', 'mean', 'sum')


def per_sample(logits, labels):
    return {'loss': (logits.size(0),)}


def per_element(logits, labels):
    return {'loss': tuple(logits.shape)}


def seesaw_shapes(logits, labels):
    return {'loss_cls_objectness': (labels.numel(),),
            'loss_cls_classes': (int((labels < C).sum()),)}


CASES = {
    'LTCrossEntropyLoss': [
        Case('plain', {}, single_label, per_sample),
        Case('class_weight', dict(class_weight=[1.0, 2.0, 0.5, 1.5, 3.0, 0.7]), single_label,
             per_sample),
    ],
    'LTSigmoidBCELoss': [
        Case('index_labels', {}, with_background, per_element),
        Case('multi_hot', {}, multi_hot, per_element),
        Case('sum_over_classes', dict(sum_over_classes=True), with_background, per_sample),
    ],
    'LTFocalLoss': [
        Case('alpha', dict(gamma=2.0, alpha=0.25), with_background, per_element),
        Case('no_alpha_sum_classes', dict(gamma=1.0, alpha=None, sum_over_classes=True),
             multi_hot, per_sample),
    ],
    'LTClassBalancedLoss': [
        Case(t, dict(samples_per_class=COUNTS, beta=0.999, loss_type=t, gamma=1.0),
             single_label, per_sample) for t in ('softmax', 'sigmoid', 'focal')
    ],
    'LTEqualizationLoss': [
        Case('official', dict(class_frequency=FREQ, lambda_=0.05), with_background, per_sample),
    ],
    'LTSoftmaxEqualizationLoss': [
        Case(b, dict(class_frequency=FREQ, lambda_=0.05, gamma=0.9, beta_per=b), single_label,
             per_sample) for b in ('element', 'sample')
    ],
    'LTSeesawLoss': [
        Case('dict', dict(num_classes=C), seesaw_inputs, seesaw_shapes),
        # return_dict=False adds the (N_fg,) class and (N,) objectness losses: 'none' cannot
        # work (mmdet 3.3.0 fails the same way), so only mean/sum are part of its contract
        Case('summed', dict(num_classes=C, return_dict=False), seesaw_inputs, per_sample,
             reductions=('mean', 'sum')),
    ],
    'LTSeesawClassificationLoss': [
        Case('p_q', dict(num_classes=C, p=0.8, q=2.0), single_label, per_sample),
    ],
    'LTDistributionBalancedLoss': [
        Case('db_focal', dict(class_freq=COUNTS, train_num=200), multi_hot, per_element),
        Case('no_focal_paper_bias', dict(class_freq=COUNTS, train_num=200, focal=False,
                                         bias_mode='paper'), multi_hot, per_element),
    ],
    'LTCDBLoss': [
        Case('cifar', dict(class_difficulty=DIFFICULTY, tau='dynamic', variant='cifar'),
             single_label, per_sample),
        Case('imagenet', dict(class_difficulty=DIFFICULTY, tau='dynamic', variant='imagenet'),
             single_label, per_sample, mean_is_elementwise_mean=False),
        Case('uniform_start', dict(num_classes=C), single_label, per_sample),
    ],
    'LTSoftmaxFocalLoss': [
        Case('focal', dict(gamma=1.0), single_label, per_sample),
        Case('cb_focal', dict(gamma=1.0, samples_per_class=COUNTS, beta=0.9), single_label, per_sample),
    ],
    'LTBatchSwitchedEQLLoss': [
        Case('official', dict(class_frequency=FREQ, lambda_=0.05), single_label, per_sample),
    ],
}


def build(name: str, case: Case, **kw) -> torch.nn.Module:
    """A fresh module per call: SeesawLoss accumulates counts in forward."""
    return registered_losses()[name](**{**case.kwargs, **kw})


def inputs(case: Case, n: int = N, seed: int = 0, scale: float = 2.0):
    logits, labels = case.inputs(n, torch.Generator().manual_seed(seed), scale)
    return logits.requires_grad_(), labels


def run(name: str, case: Case, logits, labels, *args, ctor=None, **kw) -> Dict[str, torch.Tensor]:
    """Forward through a fresh module under a fixed RNG seed (SoftmaxEQL draws beta)."""
    loss = build(name, case, **(ctor or {}))
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(1234)
        out = loss(logits, labels, *args, **kw)
    return out if isinstance(out, dict) else {'loss': out}
