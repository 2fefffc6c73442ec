"""mmdet loss contract, checked for EVERY loss in ``lt_repro.mm.registry.registered_losses()``.

Each registered name needs at least one entry in ``CASES`` (constructor kwargs + matching inputs);
a newly registered loss without one fails every test here. Contract (mmdet 3.3.0
``weight_reduce_loss`` / loss ``forward``): reduction none/mean/sum, ``avg_factor`` (mean ->
sum / avg_factor, 'sum' + avg_factor -> ValueError), ``reduction_override`` beats the constructor,
``weight`` and ``loss_weight`` scale the loss, empty batch -> finite 0 with a working backward,
finite values and gradients for random (and huge) logits, bf16 logits -> float32 loss.
Outputs that are dicts (SeesawLoss) are checked key by key.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Dict, Tuple

import pytest
import torch

from lt_repro.mm.registry import registered_losses

C = 6                                   # classes
N = 10                                  # samples / RoIs
COUNTS = [100, 40, 15, 6, 2, 1]         # long-tailed per-class counts
FREQ = [n / 120 for n in COUNTS]        # image-count fractions (EQL)
DIFFICULTY = [0.1, 0.2, 0.4, 0.5, 0.7, 0.9]
AVG_FACTOR = 7.0


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


@pytest.fixture(autouse=True)
def one_thread():
    """Tiny tensors: intra-op threads only add OpenMP overhead on the shared 2-core machine."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


@pytest.fixture(params=sorted(registered_losses()))
def cases(request):
    name = request.param
    if not CASES.get(name):
        pytest.fail(f'{name} is registered but tests/losses/test_contract.py has no Case for it; '
                    f'add CASES[{name!r}] with valid constructor kwargs and matching inputs')
    return name, CASES[name]


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


def close(a: Dict[str, torch.Tensor], b: Dict[str, torch.Tensor], **tol):
    assert a.keys() == b.keys()
    for key in a:
        torch.testing.assert_close(a[key], b[key], **tol, msg=lambda m: f'{key}: {m}')


def test_every_registered_loss_has_a_case():
    missing = sorted(set(registered_losses()) - set(CASES))
    assert not missing, f'add contract cases for {missing} in tests/losses/test_contract.py'
    stale = sorted(set(CASES) - set(registered_losses()))
    assert not stale, f'CASES names losses that are not registered: {stale}'


def test_registered_names_are_prefixed_loss_classes():
    for name, cls in registered_losses().items():
        assert name == 'LT' + cls.__name__ and issubclass(cls, torch.nn.Module)


def test_reduction_shapes(cases):
    name, cs = cases
    for case in cs:
        logits, labels = inputs(case)
        mean = run(name, case, logits, labels, reduction_override='mean')
        total = run(name, case, logits, labels, reduction_override='sum')
        none = {}
        if 'none' in case.reductions:
            none = run(name, case, logits, labels, reduction_override='none')
            shapes = {k: tuple(v.shape) for k, v in none.items()}
            assert shapes == case.none_shape(logits, labels), case.id
        for key in mean:
            assert mean[key].shape == () and total[key].shape == (), (case.id, key)
            assert mean[key].dtype == torch.float32, (case.id, key)
            if key in none and none[key].dim() > 0:
                torch.testing.assert_close(none[key].sum(), total[key])
                if case.mean_is_elementwise_mean:
                    torch.testing.assert_close(none[key].mean(), mean[key])


def test_constructor_reduction_is_used_and_override_wins(cases):
    name, cs = cases
    for case in cs:
        logits, labels = inputs(case)
        for r in case.reductions:
            ref = run(name, case, logits, labels, ctor=dict(reduction=r))
            for other in case.reductions:
                got = run(name, case, logits, labels, ctor=dict(reduction=other),
                          reduction_override=r)
                close(got, ref)
        plain = run(name, case, logits, labels, ctor=dict(reduction='sum'))
        assert all(v.shape == () for v in plain.values())


def test_avg_factor_semantics(cases):
    name, cs = cases
    for case in cs:
        logits, labels = inputs(case)
        total = run(name, case, logits, labels, reduction_override='sum')
        mean_af = run(name, case, logits, labels, avg_factor=AVG_FACTOR, reduction_override='mean')
        close(mean_af, {k: v / AVG_FACTOR for k, v in total.items()})
        if 'none' in case.reductions:
            none = run(name, case, logits, labels, reduction_override='none')
            none_af = run(name, case, logits, labels, avg_factor=AVG_FACTOR,
                          reduction_override='none')
            close(none_af, none)              # mmdet: 'none' ignores avg_factor
        with pytest.raises(ValueError, match='avg_factor'):
            run(name, case, logits, labels, avg_factor=AVG_FACTOR, reduction_override='sum')


def test_weight_and_loss_weight_scale(cases):
    name, cs = cases
    for case in cs:
        logits, labels = inputs(case)
        n = logits.size(0)
        ones = torch.ones(n)
        for r in ('mean', 'sum'):
            zero = run(name, case, logits, labels, torch.zeros(n), reduction_override=r)
            for key, v in zero.items():
                assert torch.isfinite(v) and v.item() == 0.0, (case.id, r, key, v)
        base = run(name, case, logits, labels, reduction_override='sum')
        close(run(name, case, logits, labels, ones, reduction_override='sum'), base)
        close(run(name, case, logits, labels, 2 * ones, reduction_override='sum'),
              {k: 2 * v for k, v in base.items()})
        close(run(name, case, logits, labels, ctor=dict(loss_weight=3.0),
                  reduction_override='sum'),
              {k: 3 * v for k, v in base.items()})
        # a single zero-weighted sample leaves the others' loss unchanged
        w = ones.clone()
        w[-1] = 0
        logits2 = logits.detach().clone()
        logits2[-1] = logits2[-1] * -5 + 3                 # change only the ignored sample
        close(run(name, case, logits, labels, w, reduction_override='sum'),
              run(name, case, logits2, labels, w, reduction_override='sum'))


def test_empty_batch_is_finite_zero_with_backward(cases):
    name, cs = cases
    for case in cs:
        logits, labels = inputs(case, n=0)
        for r in ('mean', 'sum'):
            out = run(name, case, logits, labels, reduction_override=r)
            for key, v in out.items():
                assert torch.isfinite(v).all() and v.item() == 0.0, (case.id, r, key, v)
            sum(out.values()).backward()
            assert logits.grad is not None and logits.grad.shape == logits.shape, case.id
            logits.grad = None
        mean_af = run(name, case, logits, labels, avg_factor=0.0, reduction_override='mean')
        assert all(v.item() == 0.0 for v in mean_af.values()), case.id
        if 'none' in case.reductions:
            none = run(name, case, logits, labels, reduction_override='none')
            assert all(v.numel() <= 1 and torch.isfinite(v).all() for v in none.values()), case.id


@pytest.mark.parametrize('scale', [1.0, 30.0, 1000.0])
def test_finite_values_and_grads_for_random_logits(cases, scale):
    name, cs = cases
    for case in cs:
        for seed in range(3):
            logits, labels = inputs(case, n=32, seed=seed, scale=scale)
            out = run(name, case, logits, labels)
            sum(out.values()).backward()
            for key, v in out.items():
                assert torch.isfinite(v).all(), (case.id, scale, seed, key, v)
            assert torch.isfinite(logits.grad).all(), (case.id, scale, seed)
            assert logits.grad.abs().sum() > 0, (case.id, scale, seed)


def test_bf16_logits_give_float32_loss(cases):
    name, cs = cases
    for case in cs:
        logits, labels = inputs(case)
        low = logits.detach().bfloat16().requires_grad_()
        out = run(name, case, low, labels)
        ref = run(name, case, low.detach().float(), labels)
        for key in out:
            assert out[key].dtype == torch.float32, (case.id, key)
        close(out, ref)
        sum(out.values()).backward()
        assert low.grad.dtype == torch.bfloat16 and torch.isfinite(low.grad.float()).all()


@pytest.mark.parametrize('dtype', [torch.bfloat16, torch.float16])
@pytest.mark.parametrize('scale', [1.0, 30.0, 1000.0])
def test_finite_under_autocast(cases, dtype, scale):
    """The opt-in mixed precision of the training configs (``--amp``): low-precision logits inside an
    autocast region give a finite loss and finite gradients."""
    name, cs = cases
    for case in cs:
        logits, labels = inputs(case, n=32, scale=scale)
        low = logits.detach().to(dtype).requires_grad_()
        with torch.autocast('cpu', dtype=dtype):
            out = run(name, case, low, labels)
        sum(out.values()).backward()
        for key, v in out.items():
            assert torch.isfinite(v).all(), (case.id, dtype, scale, key)
        assert torch.isfinite(low.grad.float()).all(), (case.id, dtype, scale)


def test_no_in_place_change_of_inputs(cases):
    name, cs = cases
    for case in cs:
        logits, labels = inputs(case)
        before = logits.detach().clone(), labels.clone()
        run(name, case, logits, labels, torch.ones(logits.size(0)), avg_factor=AVG_FACTOR)
        assert torch.equal(logits.detach(), before[0]) and torch.equal(labels, before[1])
