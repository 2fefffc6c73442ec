import math

import pytest
import torch
import torch.nn.functional as F

from lt_repro.losses.cdb import CDBLoss, cdb_weights, dynamic_tau_cifar, dynamic_tau_imagenet

LN2 = math.log(2)
EPS32 = torch.finfo(torch.float32).eps
D = [0.1, 0.4, 0.7, 0.95]
LABELS = torch.tensor([0, 1, 2, 3, 3, 1])


def _sig(v):
    return 1 / (1 + math.exp(-v))


# ---------------------------------------------------------------- tau and weights
def test_dynamic_tau_hand_derived():
    ratio = 0.75 / 0.51  # (1 - min d) / (1 - max d + 0.01), d = [0.5, 0.25]
    assert dynamic_tau_cifar([0.5, 0.25]) == pytest.approx(_sig(ratio))
    assert dynamic_tau_imagenet([0.5, 0.25]) == pytest.approx(2 * _sig(ratio - 1))
    assert dynamic_tau_cifar([0.5, 0.25]) == pytest.approx(0.813147, abs=1e-6)
    assert dynamic_tau_imagenet([0.5, 0.25]) == pytest.approx(1.231046, abs=1e-6)


def test_weights_hand_derived():
    assert torch.allclose(cdb_weights([0.5, 0.25], tau=1.0), torch.tensor([4 / 3, 2 / 3]))
    assert torch.allclose(cdb_weights([0.5, 0.25], tau=1.0, normalize=False),
                          torch.tensor([0.5, 0.25]))


@pytest.mark.parametrize('variant,tau_of', [('cifar', dynamic_tau_cifar), ('imagenet', dynamic_tau_imagenet)])
def test_dynamic_weights_are_d_to_the_tau_normalised_to_c(variant, tau_of):
    w = cdb_weights(D, 'dynamic', variant)
    assert w.sum().item() == pytest.approx(4.0, rel=1e-6)
    assert bool((w[1:] > w[:-1]).all())  # harder class -> larger weight
    d, tau = torch.tensor(D, dtype=torch.float64), tau_of(D)
    assert torch.allclose(w, (d ** tau / (d ** tau).sum() * 4).float())


def test_all_zero_difficulty_falls_back_to_uniform():
    assert torch.equal(cdb_weights([0.0, 0.0, 0.0], 'dynamic'), torch.ones(3))


@pytest.mark.parametrize('bad', [[], [0.5, 1.2], [-0.1, 0.5], [float('nan'), 0.1]])
def test_rejects_bad_difficulty(bad):
    with pytest.raises(ValueError, match='class_difficulty'):
        cdb_weights(bad, 1.0)


def test_rejects_bad_config():
    with pytest.raises(ValueError, match='variant'):
        CDBLoss(D, variant='egtea')
    with pytest.raises(ValueError, match='tau'):
        cdb_weights(D, tau='auto')
    with pytest.raises(ValueError, match='num_classes'):
        CDBLoss()
    with pytest.raises(ValueError, match='columns'):
        CDBLoss(D)(torch.zeros(2, 3), torch.tensor([0, 1]))


# ---------------------------------------------------------------- hand-derived losses
# d = [0.5, 0.25], tau = 1 -> w = [4/3, 2/3]; labels [0, 0], CE = [ln 2, ln 4]:
# cifar (4/3 ln 2 + 4/3 * 2 ln 2) / 2 = 2 ln 2; imagenet (4/3 * 3 ln 2) / (4/3 + 4/3) = 1.5 ln 2
@pytest.mark.parametrize('variant,expected', [('cifar', 2 * LN2), ('imagenet', 1.5 * LN2)])
def test_hand_derived_values(variant, expected):
    x = torch.tensor([[0.0, 0.0], [0.0, math.log(3)]])
    got = CDBLoss([0.5, 0.25], tau=1.0, variant=variant)(x, torch.tensor([0, 0]))
    assert got.item() == pytest.approx(expected, rel=1e-6)


# ---------------------------------------------------------------- reductions to plain CE
@pytest.mark.parametrize('variant', ['cifar', 'imagenet'])
@pytest.mark.parametrize('tau', ['dynamic', 1.0, 2.5])
@pytest.mark.parametrize('difficulty', [[1.0] * 4, [0.3] * 4, None], ids=['ones', 'uniform-0.3', 'num_classes'])
def test_uniform_difficulty_is_plain_ce(variant, tau, difficulty, make_logits):
    x = make_logits(6)
    loss = CDBLoss(difficulty, tau=tau, variant=variant, num_classes=None if difficulty else 4)
    assert torch.allclose(loss(x, LABELS), F.cross_entropy(x, LABELS))


def test_variants_match_official_reductions(make_logits):
    x = make_logits(6)
    cifar = CDBLoss(D, variant='cifar')
    per = F.cross_entropy(x, LABELS, weight=cifar.class_weight, reduction='none')
    assert torch.allclose(cifar(x, LABELS), per.mean())  # CE(reduction='none') -> torch.mean
    imnet = CDBLoss(D, variant='imagenet')
    assert torch.allclose(imnet(x, LABELS), F.cross_entropy(x, LABELS, weight=imnet.class_weight))


# ---------------------------------------------------------------- per-epoch updates
def test_update_difficulty_in_place_and_state_dict(make_logits):
    loss = CDBLoss(num_classes=4).to(torch.float64)
    buf = loss.class_weight
    x = make_logits(6, dtype=torch.float64)
    assert torch.allclose(loss(x, LABELS), F.cross_entropy(x, LABELS))
    loss.update_difficulty(torch.tensor(D))
    assert loss.class_weight is buf and buf.dtype == torch.float64
    assert torch.allclose(loss.class_weight, cdb_weights(D, 'dynamic').double())
    assert torch.allclose(loss.class_difficulty, torch.tensor(D, dtype=torch.float64))
    fresh = CDBLoss(num_classes=4).double()
    fresh.load_state_dict(loss.state_dict())
    assert torch.allclose(fresh(x, LABELS), loss(x, LABELS))
    assert not torch.allclose(fresh(x, LABELS), F.cross_entropy(x, LABELS))
    with pytest.raises(ValueError, match='update_difficulty'):
        loss.update_difficulty([0.5, 0.5])


# ---------------------------------------------------------------- mmdet contract
@pytest.mark.parametrize('variant', ['cifar', 'imagenet'])
def test_reduction_override_weight_avg_factor(variant, make_logits):
    x = make_logits(6)
    loss = CDBLoss(D, variant=variant, loss_weight=2.0)
    w_y = loss.class_weight[LABELS]
    per = loss(x, LABELS, reduction_override='none')
    assert torch.allclose(per, 2 * w_y * F.cross_entropy(x, LABELS, reduction='none'))
    assert torch.allclose(loss(x, LABELS, reduction_override='sum'), per.sum())
    ws = torch.tensor([1.0, 0.0, 2.0, 1.0, 0.5, 1.0])
    assert torch.allclose(loss(x, LABELS, ws, avg_factor=3.0), (per * ws).sum() / (3 + EPS32))
    denom = 6.0 if variant == 'cifar' else (w_y * ws).sum()
    assert torch.allclose(loss(x, LABELS, ws), (per * ws).sum() / denom, rtol=1e-5)


# ---------------------------------------------------------------- numerics
VARIANTS = ['cifar', 'imagenet']


@pytest.mark.parametrize('variant', VARIANTS)
def test_gradcheck_float64(variant, make_logits):
    loss = CDBLoss(D, variant=variant)
    x = make_logits(3, dtype=torch.float64).requires_grad_()
    y = torch.tensor([0, 3, 1])
    assert torch.autograd.gradcheck(lambda z: loss(z, y), (x,))


@pytest.mark.parametrize('variant', VARIANTS)
@pytest.mark.parametrize('labels', [[0, 1], [1, 0], [3, 2]])
def test_extreme_logits_finite(variant, labels, check_finite_loss_and_grad):
    x = torch.tensor([[1000.0, -1000.0, 0.0, 1000.0], [-1000.0, 1000.0, -1000.0, 0.0]],
                     requires_grad=True)
    check_finite_loss_and_grad(CDBLoss(D, variant=variant), x, torch.tensor(labels))


@pytest.mark.parametrize('variant', VARIANTS)
def test_empty_batch_and_zero_weight_batch(variant):
    x = torch.zeros(0, 4, requires_grad=True)
    out = CDBLoss(D, variant=variant)(x, torch.zeros(0, dtype=torch.long))
    assert out.item() == 0.0
    out.backward()
    assert x.grad.shape == (0, 4)
    # class 0 perfectly classified -> weight 0; a batch of only class 0 gives 0, not NaN
    z = torch.randn(2, 4, requires_grad=True)
    out = CDBLoss([0.0, 0.4, 0.7, 0.9], variant=variant)(z, torch.tensor([0, 0]))
    out.backward()
    assert out.item() == 0.0 and torch.isfinite(z.grad).all()


@pytest.mark.parametrize('variant', VARIANTS)
def test_bf16_autocast_cpu(variant, check_bf16_autocast):
    check_bf16_autocast(CDBLoss(D, variant=variant), LABELS)


# ---------------------------------------------------------------- guarded variant (difficulty_floor)
def test_official_weight_is_zero_for_a_perfect_class_and_the_floor_keeps_it():
    d = [0.0, 0.5, 0.25]  # class 0: perfect validation accuracy
    official = cdb_weights(d, tau=1.0)
    assert official[0].item() == 0.0  # the official d^tau: class 0 no longer contributes
    guarded = cdb_weights(d, tau=1.0, difficulty_floor=0.05)
    # max(d, 0.05) = [0.05, 0.5, 0.25], normalised to sum 3
    assert torch.allclose(guarded, torch.tensor([0.05, 0.5, 0.25]) / 0.8 * 3)
    # dynamic tau is still the official function of the measured d, not of the floored one
    tau = dynamic_tau_cifar(d)
    expected = torch.tensor([0.05, 0.5, 0.25], dtype=torch.float64) ** tau
    assert torch.allclose(cdb_weights(d, 'dynamic', difficulty_floor=0.05), (expected / expected.sum() * 3).float())


def test_floor_zero_is_the_official_loss_and_a_perfect_class_has_no_gradient(make_logits):
    d = [0.0, 0.5, 0.25]
    logits = make_logits(6, 3, seed=3).requires_grad_()
    labels = torch.tensor([0, 0, 1, 2, 1, 0])
    official, floored = CDBLoss(d, tau=1.0), CDBLoss(d, tau=1.0, difficulty_floor=0.02)
    assert torch.equal(official(logits, labels), CDBLoss(d, tau=1.0, difficulty_floor=0.0)(logits, labels))
    official(logits, labels).backward()
    assert torch.count_nonzero(logits.grad[labels == 0]) == 0  # samples of class 0 are ignored
    logits.grad = None
    floored(logits, labels).backward()
    assert torch.count_nonzero(logits.grad[labels == 0]) > 0


def test_floor_survives_update_difficulty():
    loss = CDBLoss(num_classes=3, tau=1.0, difficulty_floor=0.1)
    loss.update_difficulty([0.0, 0.0, 0.3])
    assert torch.allclose(loss.class_weight, torch.tensor([0.1, 0.1, 0.3]) / 0.5 * 3)
    assert 'difficulty_floor=0.1' in repr(loss)


@pytest.mark.parametrize('bad', [-0.1, 1.0])
def test_floor_rejects_values_outside_0_1(bad):
    with pytest.raises(ValueError, match='difficulty_floor'):
        CDBLoss(num_classes=3, difficulty_floor=bad)


def test_current_tau_follows_the_difficulty():
    loss = CDBLoss(num_classes=2)
    loss.update_difficulty([0.5, 0.25])
    assert loss.current_tau == pytest.approx(0.813147, abs=1e-6)
    assert CDBLoss(num_classes=2, tau=2.0).current_tau == 2.0
