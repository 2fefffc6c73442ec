"""Every registered loss on an accelerator against its CPU result (fp32 values and gradients), and finite
under bf16 autocast there, one test per (loss, case) of the contract (``loss_case``). Runs when
``LT_TEST_DEVICE`` names a device: ``scripts/gpu_check.sh`` sets ``cuda`` on a GPU machine (``cpu`` in its
``--cpu`` mode, which exercises the same code in CI)."""
from __future__ import annotations

import os

import pytest
import torch

from .loss_cases import build, inputs, run

DEVICE = os.environ.get("LT_TEST_DEVICE")
pytestmark = pytest.mark.skipif(not DEVICE, reason="set LT_TEST_DEVICE=cuda (scripts/gpu_check.sh does)")

# Losses that draw random numbers: made deterministic so that both devices compute the same thing.
NO_DRAWS = {"LTSoftmaxEqualizationLoss": {"gamma": 1.0}, "LTBatchSwitchedEQLLoss": {"switch_prob": 1.0}}


def on_device(name, case, logits, labels):
    loss = build(name, case, **NO_DRAWS.get(name, {})).to(DEVICE)
    x = logits.detach().to(DEVICE).requires_grad_()
    out = loss(x, labels.to(DEVICE))
    out = out if isinstance(out, dict) else {"loss": out}
    sum(out.values()).backward()
    return out, x.grad


def test_device_matches_cpu(loss_case):
    name, case = loss_case
    logits, labels = inputs(case, n=64, seed=1)
    ref = run(name, case, logits, labels, ctor=NO_DRAWS.get(name))
    sum(ref.values()).backward()
    out, grad = on_device(name, case, logits, labels)
    assert out.keys() == ref.keys()
    for key in ref:
        assert out[key].device.type == torch.device(DEVICE).type, key
        torch.testing.assert_close(out[key].cpu(), ref[key].detach(), rtol=1e-4, atol=1e-5)
    torch.testing.assert_close(grad.cpu(), logits.grad, rtol=1e-4, atol=1e-6)


@pytest.mark.parametrize("scale", [1.0, 1000.0])
def test_finite_under_bf16_autocast_on_device(loss_case, scale):
    name, case = loss_case
    logits, labels = inputs(case, n=64, seed=2, scale=scale)
    with torch.autocast(torch.device(DEVICE).type, dtype=torch.bfloat16):
        out, grad = on_device(name, case, logits.bfloat16(), labels)
    assert all(torch.isfinite(v).all() for v in out.values()), scale
    assert torch.isfinite(grad.float()).all(), scale
