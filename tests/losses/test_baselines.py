import math

import pytest
import torch
import torch.nn.functional as F

from lt_repro.losses._reduce import reduce_loss, resolve_reduction, weight_reduce_loss
from lt_repro.losses.baselines import CrossEntropyLoss, FocalLoss, SigmoidBCELoss

EPS32 = torch.finfo(torch.float32).eps


# ---------------------------------------------------------------- _reduce (mmdet semantics)
def test_weight_reduce_loss_matches_mmdet_contract():
    loss = torch.tensor([1.0, 2.0, 3.0, 4.0])
    w = torch.tensor([1.0, 0.0, 2.0, 1.0])
    assert weight_reduce_loss(loss).item() == pytest.approx(2.5)
    assert weight_reduce_loss(loss, reduction='sum').item() == pytest.approx(10.0)
    assert torch.equal(weight_reduce_loss(loss, reduction='none'), loss)
    assert weight_reduce_loss(loss, w).item() == pytest.approx((1 + 6 + 4) / 4)
    assert weight_reduce_loss(loss, w, avg_factor=2.0).item() == pytest.approx(11 / (2 + EPS32))
    assert torch.equal(weight_reduce_loss(loss, w, 'none', avg_factor=2.0), loss * w)
    with pytest.raises(ValueError, match='avg_factor'):
        weight_reduce_loss(loss, avg_factor=2.0, reduction='sum')
    with pytest.raises(ValueError, match='reduction'):
        reduce_loss(loss, 'avg')
    assert resolve_reduction('mean', None) == 'mean'
    assert resolve_reduction('mean', 'sum') == 'sum'


def test_weight_reduce_loss_empty_mean_is_zero_with_grad():
    x = torch.zeros(0, requires_grad=True)
    out = weight_reduce_loss(x * 2)
    assert out.item() == 0.0 and out.requires_grad
    out.backward()
    assert x.grad.shape == (0,)


# ---------------------------------------------------------------- CrossEntropyLoss
def test_ce_equals_torch_and_class_weight_divides_by_n(make_logits):
    x, y = make_logits(5), torch.tensor([0, 1, 2, 3, 1])
    assert torch.allclose(CrossEntropyLoss()(x, y), F.cross_entropy(x, y))
    cw = torch.tensor([1.0, 2.0, 0.5, 3.0])
    per = F.cross_entropy(x, y, reduction='none') * cw[y]
    got = CrossEntropyLoss(class_weight=cw)(x, y)
    assert torch.allclose(got, per.sum() / 5)  # mmdet: / N, not / sum(w_y)
    assert not torch.allclose(got, F.cross_entropy(x, y, weight=cw))
    assert 'class_weight' in CrossEntropyLoss(class_weight=cw).state_dict()


def test_ce_reduction_override_weight_avg_factor_loss_weight(make_logits):
    x, y = make_logits(5), torch.tensor([0, 1, 2, 3, 1])
    per = F.cross_entropy(x, y, reduction='none')
    w = torch.tensor([1.0, 0.0, 2.0, 1.0, 1.0])
    loss = CrossEntropyLoss(loss_weight=3.0)
    assert torch.allclose(loss(x, y, reduction_override='none'), 3 * per)
    assert torch.allclose(loss(x, y, reduction_override='sum'), 3 * per.sum())
    assert torch.allclose(loss(x, y, w, avg_factor=4.0), 3 * (per * w).sum() / (4 + EPS32))


# ---------------------------------------------------------------- SigmoidBCELoss
def test_bce_mean_over_elements_int_labels_and_background(make_logits):
    x = make_logits(5)
    y = torch.tensor([0, 1, 4, 3, 1])  # 4 == C -> background, all-zero row
    t = F.one_hot(y, 5)[:, :4].float()
    assert t[2].sum() == 0
    assert torch.allclose(SigmoidBCELoss()(x, y), F.binary_cross_entropy_with_logits(x, t))
    assert torch.allclose(SigmoidBCELoss()(x, t), F.binary_cross_entropy_with_logits(x, t))
    per_sample = F.binary_cross_entropy_with_logits(x, t, reduction='none').sum(1)
    assert torch.allclose(SigmoidBCELoss(sum_over_classes=True)(x, y), per_sample.mean())
    assert SigmoidBCELoss()(x, y, reduction_override='none').shape == (5, 4)


def test_bce_per_sample_and_per_element_weight(make_logits):
    x, y = make_logits(5), torch.tensor([0, 1, 2, 3, 1])
    el = F.binary_cross_entropy_with_logits(x, F.one_hot(y, 4).float(), reduction='none')
    ws = torch.tensor([1.0, 0.0, 2.0, 1.0, 1.0])
    assert torch.allclose(SigmoidBCELoss()(x, y, ws), (el * ws[:, None]).mean())
    we = torch.rand(5, 4, generator=torch.Generator().manual_seed(1))
    assert torch.allclose(SigmoidBCELoss()(x, y, we), (el * we).mean())
    assert torch.allclose(SigmoidBCELoss(sum_over_classes=True)(x, y, we), (el * we).sum() / 5)


# ---------------------------------------------------------------- FocalLoss
def test_focal_hand_value_zero_logits():
    # (1/2)^2 * ln 2 per element, mean over 4 elements
    got = FocalLoss(gamma=2.0, alpha=None)(torch.zeros(2, 2), torch.tensor([0, 1]))
    assert got.item() == pytest.approx(math.log(2) / 4, rel=1e-6)


def test_focal_matches_naive_formula_and_reduces_to_bce(make_logits):
    x, y = make_logits(5), torch.tensor([0, 1, 2, 3, 1])
    t = F.one_hot(y, 4).float()
    p = torch.sigmoid(x)
    pt = torch.where(t > 0, p, 1 - p)
    at = torch.where(t > 0, torch.tensor(0.25), torch.tensor(0.75))
    naive = (-at * (1 - pt) ** 1.5 * torch.log(pt)).mean()
    assert torch.allclose(FocalLoss(gamma=1.5, alpha=0.25)(x, y), naive, rtol=1e-5)
    assert torch.allclose(FocalLoss(gamma=0.0, alpha=None)(x, y), SigmoidBCELoss()(x, y))


# ---------------------------------------------------------------- shared properties
ALL = [CrossEntropyLoss(), SigmoidBCELoss(), SigmoidBCELoss(sum_over_classes=True),
       FocalLoss(), FocalLoss(gamma=0.5, alpha=None)]


@pytest.mark.parametrize('loss', ALL, ids=lambda m: repr(m))
def test_gradcheck_float64(loss, make_logits):
    x = make_logits(3, dtype=torch.float64).requires_grad_()
    y = torch.tensor([0, 3, 1])
    assert torch.autograd.gradcheck(lambda z: loss(z, y), (x,))


@pytest.mark.parametrize('loss', ALL, ids=lambda m: repr(m))
@pytest.mark.parametrize('labels', [[0, 1], [1, 0]])
def test_extreme_logits_finite(loss, labels, check_finite_loss_and_grad):
    x = torch.tensor([[1000.0, -1000.0, 0.0], [-1000.0, 1000.0, 1000.0]], requires_grad=True)
    check_finite_loss_and_grad(loss, x, torch.tensor(labels))


@pytest.mark.parametrize('loss', ALL, ids=lambda m: repr(m))
def test_empty_batch_zero_with_grad(loss):
    x = torch.zeros(0, 4, requires_grad=True)
    out = loss(x, torch.zeros(0, dtype=torch.long))
    assert out.item() == 0.0
    out.backward()
    assert x.grad.shape == (0, 4)


@pytest.mark.parametrize('loss', ALL, ids=lambda m: repr(m))
def test_bf16_autocast_cpu(loss, check_bf16_autocast):
    check_bf16_autocast(loss, torch.tensor([0, 1, 2, 3, 0, 1]))
