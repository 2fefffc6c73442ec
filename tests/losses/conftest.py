"""Fixtures shared by the loss tests: one test per (loss, case) of the contract (``loss_case``), and the
checks and inputs that several test modules use."""
from __future__ import annotations

import pytest
import torch
from torch.utils._python_dispatch import TorchDispatchMode
from torch.utils._pytree import tree_flatten


def pytest_generate_tests(metafunc):
    """``loss_case``: every case of every registered loss, each its own test id ('<loss>-<case>'). A
    registered loss without a case in loss_cases.CASES gets one parameter that fails."""
    if 'loss_case' not in metafunc.fixturenames:
        return
    from lt_repro.mm.registry import registered_losses

    from .loss_cases import CASES
    pairs = [(name, case) for name in sorted(registered_losses()) for case in CASES.get(name) or [None]]
    ids = [f'{name}-{case.id if case else "no-case"}' for name, case in pairs]
    metafunc.parametrize('loss_case', pairs, ids=ids, indirect=True)


@pytest.fixture
def loss_case(request):
    """(registered name, loss_cases.Case)."""
    name, case = request.param
    if case is None:
        pytest.fail(f'{name} is registered but tests/losses/loss_cases.py has no Case for it; '
                    f'add CASES[{name!r}] with valid constructor kwargs and matching inputs')
    return name, case


@pytest.fixture(autouse=True)
def one_thread():
    """Tiny tensors: intra-op threads only add OpenMP overhead on a shared machine."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


@pytest.fixture
def make_logits():
    """make_logits(n, c=4, seed=0, dtype=float32, scale=2.0): N(0, scale^2) logits drawn in float64
    from a seeded generator, then cast (the same values whatever the dtype)."""
    def make(n, c=4, seed=0, dtype=torch.float32, scale=2.0):
        g = torch.Generator().manual_seed(seed)
        return (torch.randn(n, c, generator=g, dtype=torch.float64) * scale).to(dtype)
    return make


@pytest.fixture
def check_finite_loss_and_grad():
    """check(loss, logits, labels): the loss and its gradient to the logits are finite."""
    def check(loss, logits, labels):
        out = loss(logits, labels)
        (grad,) = torch.autograd.grad(out, logits)
        assert torch.isfinite(out) and torch.isfinite(grad).all()
    return check


@pytest.fixture
def check_bf16_autocast():
    """check(loss, labels, classes=4): the logits of a linear layer under CPU bf16 autocast are bf16;
    the loss is float32, within 3% of the float32 run, with finite gradients."""
    def check(loss, labels, classes=4, features=8):
        torch.manual_seed(0)
        lin = torch.nn.Linear(features, classes)
        feats = torch.randn(len(labels), features)
        ref = loss(lin(feats), labels)
        with torch.autocast('cpu', dtype=torch.bfloat16):
            logits = lin(feats)
            out = loss(logits, labels)
        assert logits.dtype == torch.bfloat16
        assert out.dtype == torch.float32 and torch.isfinite(out)
        assert out.item() == pytest.approx(ref.item(), rel=3e-2)
        out.backward()
        assert torch.isfinite(lin.weight.grad).all()
    return check


class OpRecorder(TorchDispatchMode):
    """Records every aten op dispatched inside ``with`` and the largest tensor it returned."""

    def __init__(self):
        super().__init__()
        self.ops, self.max_numel = [], 0

    def __torch_dispatch__(self, func, types, args=(), kwargs=None):
        out = func(*args, **(kwargs or {}))
        self.ops.append(str(func))
        for t in tree_flatten(out)[0]:
            if isinstance(t, torch.Tensor):
                self.max_numel = max(self.max_numel, t.numel())
        return out


@pytest.fixture
def record_ops():
    """``with record_ops() as rec:`` -> rec.ops (aten op names in order), rec.max_numel."""
    return OpRecorder
