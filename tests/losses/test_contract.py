"""mmdet loss contract, checked for EVERY loss in ``lt_repro.mm.registry.registered_losses()``.

Each registered name needs at least one entry in ``loss_cases.CASES`` (constructor kwargs + matching
inputs); each (loss, case) is its own test (``loss_case``, tests/losses/conftest.py), and a newly
registered loss without a case fails every test here. Contract (mmdet 3.3.0
``weight_reduce_loss`` / loss ``forward``): reduction none/mean/sum, ``avg_factor`` (mean ->
sum / avg_factor, 'sum' + avg_factor -> ValueError), ``reduction_override`` beats the constructor,
``weight`` and ``loss_weight`` scale the loss, empty batch -> finite 0 with a working backward,
finite values and gradients for random (and huge) logits, bf16 logits -> float32 loss.
Outputs that are dicts (SeesawLoss) are checked key by key. The loss modules import no mm package.
"""
from __future__ import annotations

import ast
from pathlib import Path
from typing import Dict

import pytest
import torch

import lt_repro.losses
from lt_repro.mm.registry import registered_losses

from .loss_cases import CASES, inputs, run

AVG_FACTOR = 7.0
LOSS_MODULES = sorted(Path(lt_repro.losses.__file__).parent.glob('*.py'))


def close(a: Dict[str, torch.Tensor], b: Dict[str, torch.Tensor], **tol):
    assert a.keys() == b.keys()
    for key in a:
        torch.testing.assert_close(a[key], b[key], **tol, msg=lambda m: f'{key}: {m}')


def test_every_registered_loss_has_a_case():
    missing = sorted(set(registered_losses()) - set(CASES))
    assert not missing, f'add contract cases for {missing} in tests/losses/loss_cases.py'
    stale = sorted(set(CASES) - set(registered_losses()))
    assert not stale, f'CASES names losses that are not registered: {stale}'


@pytest.mark.parametrize('name', sorted(registered_losses()))
def test_registered_name_is_the_prefixed_loss_class(name):
    cls = registered_losses()[name]
    assert name == 'LT' + cls.__name__ and issubclass(cls, torch.nn.Module)


@pytest.mark.parametrize('path', LOSS_MODULES, ids=lambda p: p.name)
def test_loss_module_imports_no_mm_package(path):
    tree = ast.parse(path.read_text())
    names = [a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names]
    names += [n.module or '' for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)]
    assert not [m for m in names if m.split('.')[0] in ('mmdet', 'mmengine', 'mmcv')]


def test_reduction_shapes(loss_case):
    name, case = loss_case
    logits, labels = inputs(case)
    mean = run(name, case, logits, labels, reduction_override='mean')
    total = run(name, case, logits, labels, reduction_override='sum')
    none = {}
    if 'none' in case.reductions:
        none = run(name, case, logits, labels, reduction_override='none')
        shapes = {k: tuple(v.shape) for k, v in none.items()}
        assert shapes == case.none_shape(logits, labels)
    for key in mean:
        assert mean[key].shape == () and total[key].shape == (), key
        assert mean[key].dtype == torch.float32, key
        if key in none and none[key].dim() > 0:
            torch.testing.assert_close(none[key].sum(), total[key])
            if case.mean_is_elementwise_mean:
                torch.testing.assert_close(none[key].mean(), mean[key])


def test_constructor_reduction_is_used_and_override_wins(loss_case):
    name, case = loss_case
    logits, labels = inputs(case)
    for r in case.reductions:
        ref = run(name, case, logits, labels, ctor=dict(reduction=r))
        for other in case.reductions:
            got = run(name, case, logits, labels, ctor=dict(reduction=other),
                      reduction_override=r)
            close(got, ref)
    plain = run(name, case, logits, labels, ctor=dict(reduction='sum'))
    assert all(v.shape == () for v in plain.values())


def test_avg_factor_semantics(loss_case):
    name, case = loss_case
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


def test_weight_and_loss_weight_scale(loss_case):
    name, case = loss_case
    logits, labels = inputs(case)
    n = logits.size(0)
    ones = torch.ones(n)
    for r in ('mean', 'sum'):
        zero = run(name, case, logits, labels, torch.zeros(n), reduction_override=r)
        for key, v in zero.items():
            assert torch.isfinite(v) and v.item() == 0.0, (r, key, v)
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


def test_empty_batch_is_finite_zero_with_backward(loss_case):
    name, case = loss_case
    logits, labels = inputs(case, n=0)
    for r in ('mean', 'sum'):
        out = run(name, case, logits, labels, reduction_override=r)
        for key, v in out.items():
            assert torch.isfinite(v).all() and v.item() == 0.0, (r, key, v)
        sum(out.values()).backward()
        assert logits.grad is not None and logits.grad.shape == logits.shape
        logits.grad = None
    mean_af = run(name, case, logits, labels, avg_factor=0.0, reduction_override='mean')
    assert all(v.item() == 0.0 for v in mean_af.values())
    if 'none' in case.reductions:
        none = run(name, case, logits, labels, reduction_override='none')
        assert all(v.numel() <= 1 and torch.isfinite(v).all() for v in none.values())


@pytest.mark.parametrize('seed', range(3))
@pytest.mark.parametrize('scale', [1.0, 30.0, 1000.0])
def test_finite_values_and_grads_for_random_logits(loss_case, scale, seed):
    name, case = loss_case
    logits, labels = inputs(case, n=32, seed=seed, scale=scale)
    out = run(name, case, logits, labels)
    sum(out.values()).backward()
    for key, v in out.items():
        assert torch.isfinite(v).all(), (key, v)
    assert torch.isfinite(logits.grad).all()
    assert logits.grad.abs().sum() > 0


def test_bf16_logits_give_float32_loss(loss_case):
    name, case = loss_case
    logits, labels = inputs(case)
    low = logits.detach().bfloat16().requires_grad_()
    out = run(name, case, low, labels)
    ref = run(name, case, low.detach().float(), labels)
    for key in out:
        assert out[key].dtype == torch.float32, key
    close(out, ref)
    sum(out.values()).backward()
    assert low.grad.dtype == torch.bfloat16 and torch.isfinite(low.grad.float()).all()


@pytest.mark.parametrize('dtype', [torch.bfloat16, torch.float16])
@pytest.mark.parametrize('scale', [1.0, 30.0, 1000.0])
def test_finite_under_autocast(loss_case, dtype, scale):
    """The opt-in mixed precision of the training configs (``--amp``): low-precision logits inside an
    autocast region give a finite loss and finite gradients."""
    name, case = loss_case
    logits, labels = inputs(case, n=32, scale=scale)
    low = logits.detach().to(dtype).requires_grad_()
    with torch.autocast('cpu', dtype=dtype):
        out = run(name, case, low, labels)
    sum(out.values()).backward()
    for key, v in out.items():
        assert torch.isfinite(v).all(), key
    assert torch.isfinite(low.grad.float()).all()


def test_no_in_place_change_of_inputs(loss_case):
    name, case = loss_case
    logits, labels = inputs(case)
    before = logits.detach().clone(), labels.clone()
    run(name, case, logits, labels, torch.ones(logits.size(0)), avg_factor=AVG_FACTOR)
    assert torch.equal(logits.detach(), before[0]) and torch.equal(labels, before[1])
