import math

import pytest
import torch
import torch.nn.functional as F

from lt_repro.losses.baselines import FocalLoss, SigmoidBCELoss
from lt_repro.losses.db import DistributionBalancedLoss as DB

LN2 = math.log(2)
EPS32 = torch.finfo(torch.float32).eps
FREQ = [300.0, 80.0, 20.0, 4.0]
TRAIN_NUM = 350
LABELS = torch.tensor([[1, 0, 0, 1], [0, 1, 1, 0], [1, 1, 0, 0], [0, 0, 0, 1], [1, 0, 1, 1]])
OFF = dict(reweight_func=None, kappa=0.0, lambda_=1.0)


def _reference(x, y, freq, train_num, alpha, beta, mu, kappa, lam, focal, gamma, balance,
               bias_div_lambda=True):
    """Scalar, element-by-element DB loss (official ResampleLoss semantics), mean over N*C."""
    n, c = len(x), len(x[0])
    total = 0.0
    for k in range(n):
        rep = sum(1 / freq[j] for j in range(c) if y[k][j])
        for i in range(c):
            r = (1 / freq[i]) / rep
            w = alpha + 1 / (1 + math.exp(-beta * (r - mu)))
            b = -math.log(train_num / freq[i] - 1) * kappa / (lam if bias_div_lambda else 1)
            z = x[k][i] + b
            if not y[k][i]:
                z, w = z * lam, w / lam
            p = 1 / (1 + math.exp(-z))
            pt = p if y[k][i] else 1 - p
            term = -w * math.log(pt)
            if focal:
                term *= balance * (1 - pt) ** gamma
            total += term
    return total / (n * c)


# ---------------------------------------------------------------- hand-derived
def test_hand_derived_value():
    """C = 2, n = [1, 3], train_num = 4, zero logits, no focal, kappa = 0, lambda = 1: freq_inv = [1, 1/3],
    r = [1, 1/3] (sample 1) and [3/4, 1/4] (sample 2); every BCE term is ln 2, so the mean is
    ln 2 * sum(w) / 4."""
    loss = DB([1, 3], 4, alpha=0.1, beta=10, mu=0.2, kappa=0, lambda_=1, focal=False)
    labels = torch.tensor([[1, 0], [1, 1]])
    got = loss(torch.zeros(2, 2), labels)
    w = [0.1 + 1 / (1 + math.exp(-10 * (r - 0.2))) for r in (1, 1 / 3, 3 / 4, 1 / 4)]
    assert torch.allclose(loss.rebalance_weight(labels.float()),
                          torch.tensor([[1.099665, 0.891391], [1.095930, 0.722459]]), atol=1e-6)
    assert got.item() == pytest.approx(LN2 * sum(w) / 4, rel=1e-6)
    assert got.item() == pytest.approx(0.660127, abs=1e-6)


def test_rebalance_weight_hand_derived():
    loss = DB([1, 3], 4)
    w = loss.rebalance_weight(torch.tensor([[1.0, 0.0], [1.0, 1.0], [0.0, 0.0]]))

    def s(v):
        return 1 / (1 + math.exp(-v))

    expected = [[0.1 + s(8), 0.1 + s(10 * (1 / 3 - 0.2))],
                [0.1 + s(10 * (0.75 - 0.2)), 0.1 + s(10 * (0.25 - 0.2))],
                [1.1, 1.1]]  # no positive label: r = inf -> alpha + 1 (official inf arithmetic)
    assert torch.allclose(w, torch.tensor(expected))


@pytest.mark.parametrize('preset', ['coco_mlt', 'voc_mlt'])
def test_presets_match_scalar_reference(preset, make_logits):
    loss = getattr(DB, preset)(FREQ, TRAIN_NUM)
    mu, lam = (0.2, 2.0) if preset == 'coco_mlt' else (0.3, 5.0)
    assert (loss.alpha, loss.beta, loss.mu, loss.kappa, loss.lambda_) == (0.1, 10.0, mu, 0.05, lam)
    assert (loss.focal, loss.gamma, loss.balance_param, loss.bias_mode) == (True, 2.0, 2.0, 'code')
    x = make_logits(5, dtype=torch.float64)
    expected = _reference(x.tolist(), LABELS.tolist(), FREQ, TRAIN_NUM, 0.1, 10.0, mu, 0.05,
                          lam, True, 2.0, 2.0)
    assert loss(x, LABELS).item() == pytest.approx(expected, rel=1e-6)


def test_bias_modes(make_logits):
    code = DB(FREQ, TRAIN_NUM, kappa=0.05, lambda_=2.0)
    paper = DB(FREQ, TRAIN_NUM, kappa=0.05, lambda_=2.0, bias_mode='paper')
    b = -torch.log(TRAIN_NUM / torch.tensor(FREQ, dtype=torch.float64) - 1)
    assert torch.allclose(code.init_bias, (b * 0.05 / 2).float())
    assert torch.allclose(paper.init_bias, (b * 0.05).float())
    x = make_logits(5, dtype=torch.float64)
    expected = _reference(x.tolist(), LABELS.tolist(), FREQ, TRAIN_NUM, 0.1, 10.0, 0.2, 0.05,
                          2.0, True, 2.0, 2.0, bias_div_lambda=False)
    assert paper.double()(x, LABELS).item() == pytest.approx(expected, rel=1e-6)
    with pytest.raises(ValueError, match='bias_mode'):
        DB(FREQ, TRAIN_NUM, bias_mode='other')


# ---------------------------------------------------------------- reductions to BCE / focal
def test_reweighting_and_ntr_off_is_bce_and_focal(make_logits):
    x = make_logits(5)
    bce = DB(FREQ, TRAIN_NUM, focal=False, **OFF)(x, LABELS)
    assert torch.allclose(bce, F.binary_cross_entropy_with_logits(x, LABELS.float()))
    assert torch.allclose(bce, SigmoidBCELoss()(x, LABELS))
    foc = DB(FREQ, TRAIN_NUM, focal=True, gamma=2.0, balance_param=1.0, **OFF)(x, LABELS)
    assert torch.allclose(foc, FocalLoss(gamma=2.0, alpha=None)(x, LABELS))
    foc2 = DB(FREQ, TRAIN_NUM, focal=True, gamma=2.0, balance_param=2.0, **OFF)(x, LABELS)
    assert torch.allclose(foc2, 2 * foc)


@pytest.mark.parametrize('change', [dict(reweight_func='rebalance'), dict(kappa=0.05), dict(lambda_=2.0)],
                         ids=['rebalance', 'kappa', 'lambda'])
def test_each_component_changes_the_loss(change, make_logits):
    x = make_logits(5)
    base = DB(FREQ, TRAIN_NUM, focal=False, **OFF)(x, LABELS)
    assert not torch.allclose(DB(FREQ, TRAIN_NUM, focal=False, **{**OFF, **change})(x, LABELS), base)


def test_caller_logits_untouched(make_logits):
    x = make_logits(5)
    x0, version = x.clone(), x._version
    DB.voc_mlt(FREQ, TRAIN_NUM)(x, LABELS)
    assert torch.equal(x, x0) and x._version == version


# ---------------------------------------------------------------- mmdet contract
def test_reduction_override_weight_avg_factor(make_logits):
    x = make_logits(5)
    loss = DB.coco_mlt(FREQ, TRAIN_NUM, loss_weight=2.0)
    per = loss(x, LABELS, reduction_override='none')
    assert per.shape == (5, 4)
    assert torch.allclose(loss(x, LABELS), per.mean())
    assert torch.allclose(loss(x, LABELS, reduction_override='sum'), per.sum())
    ws = torch.tensor([1.0, 0.0, 2.0, 1.0, 0.5])
    assert torch.allclose(loss(x, LABELS, ws), (per * ws[:, None]).mean())
    we = torch.rand(5, 4, generator=torch.Generator().manual_seed(3))
    assert torch.allclose(loss(x, LABELS, we, avg_factor=7.0), (per * we).sum() / (7 + EPS32))
    with pytest.raises(ValueError):
        loss(x, LABELS, avg_factor=3.0, reduction_override='sum')


def test_buffers_state_dict_and_to():
    loss = DB.coco_mlt(FREQ, TRAIN_NUM)
    assert set(loss.state_dict()) == {'class_freq', 'freq_inv', 'init_bias'}
    assert loss.to(torch.float64).init_bias.dtype == torch.float64


@pytest.mark.parametrize('freq,train_num', [([3, 0], 10), ([3, 10], 10), ([], 10)])
def test_rejects_bad_frequencies(freq, train_num):
    with pytest.raises(ValueError, match='class_freq'):
        DB(freq, train_num)


def test_rejects_bad_label_shape_and_options():
    with pytest.raises(ValueError, match='multi-hot'):
        DB(FREQ, TRAIN_NUM)(torch.zeros(2, 4), torch.tensor([0, 1]))
    with pytest.raises(ValueError, match='reweight_func'):
        DB(FREQ, TRAIN_NUM, reweight_func='inv')  # an ablation option of the code, not implemented
    with pytest.raises(ValueError, match='lambda_'):
        DB(FREQ, TRAIN_NUM, lambda_=0)


# ---------------------------------------------------------------- numerics
CONFIGS = {
    'coco': lambda: DB.coco_mlt(FREQ, TRAIN_NUM),
    'cb_focal': lambda: DB(FREQ, TRAIN_NUM, reweight_func='CB', kappa=0.0, lambda_=1.0, balance_param=1.0),
    'voc': lambda: DB.voc_mlt(FREQ, TRAIN_NUM),
    'voc_gamma_half': lambda: DB.voc_mlt(FREQ, TRAIN_NUM, gamma=0.5),
    'paper_bias_no_focal': lambda: DB(FREQ, TRAIN_NUM, bias_mode='paper', focal=False),
}


@pytest.mark.parametrize('name', list(CONFIGS))
def test_gradcheck_float64(name, make_logits):
    loss = CONFIGS[name]().double()
    x = make_logits(3, dtype=torch.float64).requires_grad_()
    y = LABELS[:3]
    assert torch.autograd.gradcheck(lambda z: loss(z, y), (x,))


@pytest.mark.parametrize('name', list(CONFIGS))
@pytest.mark.parametrize('labels', [[[1, 0, 0, 1], [0, 1, 1, 0]], [[0, 1, 1, 0], [1, 0, 0, 1]], [[0] * 4] * 2],
                         ids=['agree', 'oppose', 'no-positives'])
def test_extreme_logits_finite(name, labels, check_finite_loss_and_grad):
    x = torch.tensor([[1000.0, -1000.0, 0.0, 1000.0], [-1000.0, 1000.0, -1000.0, -1000.0]],
                     requires_grad=True)
    check_finite_loss_and_grad(CONFIGS[name](), x, torch.tensor(labels))


@pytest.mark.parametrize('name', list(CONFIGS))
def test_empty_batch_zero_with_grad(name):
    x = torch.zeros(0, 4, requires_grad=True)
    out = CONFIGS[name]()(x, torch.zeros(0, 4))
    assert out.item() == 0.0
    out.backward()
    assert x.grad.shape == (0, 4)


@pytest.mark.parametrize('name', list(CONFIGS))
def test_bf16_autocast_cpu(name, check_bf16_autocast):
    check_bf16_autocast(CONFIGS[name](), LABELS)


# ---------------------------------------------------------------- 'CB' re-weighting (official CB_weight)
def _e(n, beta=0.9):
    return (1 - beta) / (1 - beta ** n)


@pytest.mark.parametrize('mode', ['by_class', 'average_w', 'average_n', 'min_n'])
def test_cb_weight_hand_derived(mode):
    n = [1.0, 3.0]
    loss = DB(n, 4, reweight_func='CB', cb_beta=0.9, cb_mode=mode)
    y = torch.tensor([[1.0, 0.0], [1.0, 1.0]])
    w = loss.cb_weight(y)
    expected = {
        'by_class': [[_e(1), _e(3)], [_e(1), _e(3)]],
        'average_w': [[_e(1)] * 2, [(_e(1) + _e(3)) / 2] * 2],
        'average_n': [[_e(1)] * 2, [_e(2)] * 2],
        'min_n': [[_e(1)] * 2, [_e(1)] * 2],
    }[mode]
    assert torch.allclose(w, torch.tensor(expected), atol=1e-6)


def test_cb_reweighting_is_the_weighted_focal_loss():
    n, train_num = [2.0, 5.0, 9.0], 12
    y = torch.tensor([[1.0, 0.0, 1.0], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0]])
    z = torch.randn(3, 3, generator=torch.Generator().manual_seed(1))
    cb = DB(n, train_num, reweight_func='CB', cb_mode='average_w', kappa=0.0, lambda_=1.0, focal=True,
            gamma=2.0, balance_param=1.0)
    p = torch.sigmoid(z)
    pt = torch.where(y > 0, p, 1 - p)
    terms = (1 - pt) ** 2 * F.binary_cross_entropy_with_logits(z, y, reduction='none')
    w = torch.tensor([(_e(2) + _e(9)) / 2, _e(5), _e(9)])[:, None]
    assert cb(z, y).item() == pytest.approx((w * terms).mean().item(), rel=1e-5)
    # a sample without positives gets 1 - beta, never NaN
    assert torch.allclose(cb.cb_weight(torch.zeros(1, 3)), torch.full((1, 3), 0.1))


def test_cb_options_are_checked():
    with pytest.raises(ValueError, match='cb_mode'):
        DB([1.0, 2.0], 4, reweight_func='CB', cb_mode='by_image')
    with pytest.raises(ValueError, match='cb_beta'):
        DB([1.0, 2.0], 4, reweight_func='CB', cb_beta=1.0)
