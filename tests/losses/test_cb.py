import math

import pytest
import torch
import torch.nn.functional as F

from lt_repro.losses.baselines import FocalLoss, SigmoidBCELoss
from lt_repro.losses.cb import ClassBalancedLoss, class_balanced_weights

LN2 = math.log(2)
EPS32 = torch.finfo(torch.float32).eps
COUNTS = [500, 120, 30, 5]


LABELS = torch.tensor([0, 1, 2, 3, 3, 1])


# ---------------------------------------------------------------- weights
def test_weights_hand_derived_and_sum_to_c():
    w = class_balanced_weights([1, 3], 0.5)  # raw [1, 4/7] -> normalised [14/11, 8/11]
    assert torch.allclose(w, torch.tensor([14 / 11, 8 / 11]))
    w = class_balanced_weights(COUNTS, 0.99)
    assert w.sum().item() == pytest.approx(4.0, rel=1e-6)
    assert bool((w[1:] > w[:-1]).all())  # rarer class -> larger weight


def test_weights_beta_limits():
    assert torch.allclose(class_balanced_weights(COUNTS, 0.0), torch.ones(4))
    inv = 1 / torch.tensor(COUNTS, dtype=torch.float64)
    assert torch.allclose(class_balanced_weights(COUNTS, 1.0), (inv / inv.sum() * 4).float())
    close = class_balanced_weights(COUNTS, 1 - 1e-9)
    assert torch.allclose(close, class_balanced_weights(COUNTS, 1.0), rtol=1e-4)


@pytest.mark.parametrize('counts,beta', [([3, 0], 0.9), ([], 0.9), ([3, 4], 1.5), ([3, 4], -0.1)])
def test_weights_reject_bad_input(counts, beta):
    with pytest.raises(ValueError, match='ClassBalancedLoss'):
        class_balanced_weights(counts, beta)


# ---------------------------------------------------------------- hand-derived losses
@pytest.mark.parametrize('loss_type,expected', [('softmax', 14 / 11 * LN2),
                                                ('sigmoid', 28 / 11 * LN2),
                                                ('focal', 7 / 11 * LN2)])
def test_hand_derived_values(loss_type, expected):
    loss = ClassBalancedLoss([1, 3], beta=0.5, loss_type=loss_type, gamma=2.0)
    got = loss(torch.zeros(2, 2), torch.tensor([0, 0]))
    assert got.item() == pytest.approx(expected, rel=1e-6)


# ---------------------------------------------------------------- beta = 0 -> plain losses
def test_beta_zero_reduces_to_plain_losses(make_logits):
    x = make_logits(6)
    assert torch.allclose(ClassBalancedLoss(COUNTS, 0.0)(x, LABELS), F.cross_entropy(x, LABELS))
    sig = ClassBalancedLoss(COUNTS, 0.0, 'sigmoid')(x, LABELS)
    assert torch.allclose(sig, SigmoidBCELoss(sum_over_classes=True)(x, LABELS))
    assert torch.allclose(sig, SigmoidBCELoss()(x, LABELS) * 4)  # sum over C / N
    foc = ClassBalancedLoss(COUNTS, 0.0, 'focal', gamma=1.5)(x, LABELS)
    assert torch.allclose(foc, FocalLoss(1.5, alpha=None, sum_over_classes=True)(x, LABELS))


# ---------------------------------------------------------------- official TF semantics
def _official(x, y, w_cls, loss_type, gamma):
    """Naive transcription of the official normalisations (probabilities, not stable)."""
    n, c = x.shape
    w = w_cls[y]
    if loss_type == 'softmax':
        return (w * -torch.log_softmax(x, 1)[torch.arange(n), y]).sum() / n
    t = F.one_hot(y, c).float()
    p = torch.sigmoid(x)
    pt = torch.where(t > 0, p, 1 - p)
    mod = (1 - pt) ** gamma if loss_type == 'focal' else torch.ones_like(pt)
    return (w[:, None] * mod * -torch.log(pt)).sum() / t.sum()


@pytest.mark.parametrize('loss_type', ['softmax', 'sigmoid', 'focal'])
def test_matches_official_normalisation(loss_type, make_logits):
    x = make_logits(6)
    loss = ClassBalancedLoss(COUNTS, 0.999, loss_type, gamma=0.5)
    expected = _official(x, LABELS, loss.class_weight, loss_type, 0.5)
    assert torch.allclose(loss(x, LABELS), expected, rtol=1e-5)
    # softmax divides by N, not by sum of weights
    if loss_type == 'softmax':
        assert not torch.allclose(loss(x, LABELS), F.cross_entropy(x, LABELS, weight=loss.class_weight))


# ---------------------------------------------------------------- mmdet contract
@pytest.mark.parametrize('loss_type', ['softmax', 'sigmoid', 'focal'])
def test_reduction_override_weight_avg_factor(loss_type, make_logits):
    x = make_logits(6)
    loss = ClassBalancedLoss(COUNTS, 0.99, loss_type, loss_weight=2.0)
    per = loss(x, LABELS, reduction_override='none')
    assert per.shape == (6,)
    assert torch.allclose(loss(x, LABELS), per.mean())
    assert torch.allclose(loss(x, LABELS, reduction_override='sum'), per.sum())
    ws = torch.tensor([1.0, 0.0, 2.0, 1.0, 0.5, 1.0])
    assert torch.allclose(loss(x, LABELS, ws, avg_factor=3.0), (per * ws).sum() / (3 + EPS32))
    with pytest.raises(ValueError):
        loss(x, LABELS, avg_factor=3.0, reduction_override='sum')


def test_per_element_weight_for_sigmoid(make_logits):
    x = make_logits(6)
    loss = ClassBalancedLoss(COUNTS, 0.99, 'sigmoid')
    we = torch.zeros(6, 4)
    we[:, 0] = 1.0  # keep only the class-0 binary terms
    w_y = loss.class_weight[LABELS]
    t = F.one_hot(LABELS, 4).float()
    el = F.binary_cross_entropy_with_logits(x[:, :1], t[:, :1], reduction='none')[:, 0]
    assert torch.allclose(loss(x, LABELS, we), (w_y * el).sum() / 6)


def test_buffers_state_dict_and_to():
    loss = ClassBalancedLoss(COUNTS, 0.99)
    assert set(loss.state_dict()) == {'class_weight'}
    other = ClassBalancedLoss(COUNTS, 0.0)
    other.load_state_dict(loss.state_dict())
    assert torch.equal(other.class_weight, loss.class_weight)
    assert loss.to(torch.float64).class_weight.dtype == torch.float64


def test_rejects_bad_config_and_shapes():
    with pytest.raises(ValueError, match='loss_type'):
        ClassBalancedLoss(COUNTS, 0.9, 'hinge')
    with pytest.raises(ValueError, match='columns'):
        ClassBalancedLoss(COUNTS, 0.9)(torch.zeros(2, 3), torch.tensor([0, 1]))


# ---------------------------------------------------------------- numerics
TYPES = ['softmax', 'sigmoid', 'focal']


@pytest.mark.parametrize('loss_type', TYPES)
def test_gradcheck_float64(loss_type, make_logits):
    loss = ClassBalancedLoss(COUNTS, 0.99, loss_type, gamma=0.5)
    x = make_logits(3, dtype=torch.float64).requires_grad_()
    y = torch.tensor([0, 3, 1])
    assert torch.autograd.gradcheck(lambda z: loss(z, y), (x,))


@pytest.mark.parametrize('loss_type', TYPES)
@pytest.mark.parametrize('gamma', [0.5, 2.0])
@pytest.mark.parametrize('labels', [[0, 1], [1, 0], [3, 2]])
def test_extreme_logits_finite(loss_type, gamma, labels, check_finite_loss_and_grad):
    loss = ClassBalancedLoss(COUNTS, 0.99, loss_type, gamma=gamma)
    x = torch.tensor([[1000.0, -1000.0, 0.0, 1000.0], [-1000.0, 1000.0, -1000.0, 0.0]],
                     requires_grad=True)
    check_finite_loss_and_grad(loss, x, torch.tensor(labels))


@pytest.mark.parametrize('loss_type', TYPES)
def test_empty_batch_zero_with_grad(loss_type):
    x = torch.zeros(0, 4, requires_grad=True)
    out = ClassBalancedLoss(COUNTS, 0.99, loss_type)(x, torch.zeros(0, dtype=torch.long))
    assert out.item() == 0.0
    out.backward()
    assert x.grad.shape == (0, 4)


@pytest.mark.parametrize('loss_type', TYPES)
def test_bf16_autocast_cpu(loss_type, check_bf16_autocast):
    check_bf16_autocast(ClassBalancedLoss(COUNTS, 0.99, loss_type), LABELS)
