"""The CDB repository's focal, CB-focal and EQL baselines (EGTEA/losses/): hand values, the detached focal
modulator, the per-batch EQL switch."""
import math

import pytest
import torch
import torch.nn.functional as F

from lt_repro.losses import BatchSwitchedEQLLoss, ClassBalancedLoss, CrossEntropyLoss, SoftmaxFocalLoss
from lt_repro.losses.cb import class_balanced_weights

LN3 = math.log(3.0)


def test_softmax_focal_hand_values():
    logits = torch.tensor([[0.0, LN3], [0.0, LN3]])
    loss = SoftmaxFocalLoss(gamma=1.0)
    none = loss(logits, torch.tensor([0, 1]), reduction_override="none")
    torch.testing.assert_close(none, torch.tensor([0.75 * math.log(4.0), 0.25 * math.log(4 / 3)]))
    assert float(loss(logits, torch.tensor([0, 1]))) == pytest.approx(float(none.mean()))


def test_softmax_focal_gamma_zero_is_cross_entropy():
    g = torch.Generator().manual_seed(0)
    logits, labels = torch.randn(12, 5, generator=g), torch.randint(0, 5, (12,), generator=g)
    torch.testing.assert_close(SoftmaxFocalLoss(gamma=0.0)(logits, labels), CrossEntropyLoss()(logits, labels))


def test_focal_modulator_is_detached_as_in_the_official_code():
    """focal_loss.py: pt = Variable(logpt.data.exp()): the gradient is (1 - p_t)^gamma times CE's."""
    g = torch.Generator().manual_seed(1)
    logits, labels = torch.randn(6, 4, generator=g), torch.randint(0, 4, (6,), generator=g)
    z = logits.clone().requires_grad_()
    SoftmaxFocalLoss(gamma=2.0)(z, labels, reduction_override="sum").backward()
    p_t = logits.softmax(1).gather(1, labels[:, None])
    ce = logits.clone().requires_grad_()
    F.cross_entropy(ce, labels, reduction="none").mul(((1 - p_t) ** 2).squeeze(1)).sum().backward()
    torch.testing.assert_close(z.grad, ce.grad)
    full = logits.clone().requires_grad_()   # a focal loss that differentiates the modulator differs
    lp = F.log_softmax(full, 1).gather(1, labels[:, None])
    (-(1 - lp.exp()) ** 2 * lp).sum().backward()
    assert not torch.allclose(full.grad, z.grad)


def test_cb_focal_uses_class_balanced_alpha_on_log_pt():
    counts, beta = [50, 10, 2], 0.9
    alpha = class_balanced_weights(counts, beta)
    assert float(alpha.sum()) == pytest.approx(3.0)
    logits, labels = torch.tensor([[0.0, LN3, 0.0], [1.0, 0.0, 2.0]]), torch.tensor([0, 2])
    p_t = logits.softmax(1).gather(1, labels[:, None]).squeeze(1)
    want = -(1 - p_t) * alpha[labels] * p_t.log()
    got = SoftmaxFocalLoss(gamma=1.0, samples_per_class=counts, beta=beta)(logits, labels, reduction_override="none")
    torch.testing.assert_close(got, want)
    with pytest.raises(ValueError, match="together"):
        SoftmaxFocalLoss(gamma=1.0, samples_per_class=counts)


def test_cb_softmax_of_the_egtea_grid_is_the_official_mean_over_samples():
    """CB_Softmax: nn.CrossEntropyLoss(weight=w, reduction='none') then torch.mean (divides by N, not by sum w_y)."""
    counts = [429, 779, 1421, 822, 129, 1335, 130, 308, 223, 249, 54, 54, 139, 42, 78, 117, 26, 15, 22]
    g = torch.Generator().manual_seed(2)
    logits, labels = torch.randn(16, 19, generator=g), torch.randint(0, 19, (16,), generator=g)
    w = class_balanced_weights(counts, 0.9)
    want = F.cross_entropy(logits, labels, weight=w, reduction="none").mean()
    got = ClassBalancedLoss(samples_per_class=counts, beta=0.9, loss_type="softmax")(logits, labels)
    torch.testing.assert_close(got, want)


def test_eql_switch_hand_values():
    loss = BatchSwitchedEQLLoss([0.99, 0.01], lambda_=0.03, switch_prob=1.0)   # E = 1 always
    assert float(loss(torch.zeros(1, 2), torch.tensor([0]))) == pytest.approx(math.log(2.0))
    off = BatchSwitchedEQLLoss([0.99, 0.01], lambda_=0.03, switch_prob=0.0)    # E = 0 always: plain BCE
    assert float(off(torch.zeros(1, 2), torch.tensor([0]))) == pytest.approx(2 * math.log(2.0))
    # the rare class's own label column is never dropped
    assert float(loss(torch.zeros(1, 2), torch.tensor([1]))) == pytest.approx(2 * math.log(2.0))


def test_eql_switch_is_one_draw_per_batch_with_the_official_probability():
    """eql_loss.py: coeff = 0 if torch.rand(1) > 0.95: the whole batch keeps its rare negatives 5% of the time."""
    loss = BatchSwitchedEQLLoss([0.5, 0.49, 0.01], lambda_=0.03)
    logits, labels = torch.zeros(8, 3), torch.zeros(8, dtype=torch.long)
    torch.manual_seed(0)
    values = torch.stack([loss(logits, labels) for _ in range(2000)])
    on, off = 2 * math.log(2.0), 3 * math.log(2.0)       # per-sample sums, the same for every sample
    assert (((values - on).abs() < 1e-6) | ((values - off).abs() < 1e-6)).all()
    assert float(((values - off).abs() < 1e-6).float().mean()) == pytest.approx(0.05, abs=0.015)
    torch.manual_seed(3)
    draw = float(torch.rand(1))
    torch.manual_seed(3)
    assert float(loss(logits, labels)) == pytest.approx(off if draw > 0.95 else on)
