"""The fused autograd node behind the sigmoid family (``focal_bce``) and softmax EQL's Bernoulli
draw, against plain eager torch."""
import math

import pytest
import torch
import torch.nn.functional as F

from lt_repro.losses._fused import focal_bce
from lt_repro.losses.eql import bernoulli_mask


def eager_focal(z, y, gamma):
    """(1 - p_t)^gamma BCE with p_t = sigmoid(z) if y = 1 else 1 - sigmoid(z) (binary y)."""
    p = torch.sigmoid(z)
    p_t = torch.where(y > 0.5, p, 1 - p)
    return (1 - p_t) ** gamma * F.binary_cross_entropy_with_logits(z, y, reduction='none')


def reduced(terms, reduce):
    return {'none': terms, 'rows': terms.sum(1), 'sum': terms.sum()}[reduce]


@pytest.mark.parametrize('gamma', [0.0, 0.5, 2.0])
@pytest.mark.parametrize('reduce', ['none', 'rows', 'sum'])
@pytest.mark.parametrize('labels', ['index', 'multi-hot'])
def test_focal_bce_matches_eager_value_and_gradient(gamma, reduce, labels):
    """Terms at z' = s (z + bias) (s = 2 on negatives), negatives x 0.3, positives x 0.7, a
    per-sample weight: the fused values and gradients equal eager autograd's, for class-index
    targets (background rows included) and 0/1 targets."""
    g = torch.Generator().manual_seed(0)
    n, c = 9, 6
    z = (torch.randn(n, c, generator=g, dtype=torch.float64) * 3).requires_grad_()
    if labels == 'index':
        y_in = torch.randint(0, c + 1, (n,), generator=g)      # c = background
        y_in[0] = c
        y = F.one_hot(y_in, c + 1)[:, :c].double()
    else:
        y = y_in = (torch.rand(n, c, generator=g) < 0.3).double()
    w = torch.rand(n, 1, generator=g, dtype=torch.float64)
    bias = torch.randn(c, generator=g, dtype=torch.float64)
    zz = (z + bias) * torch.where(y > 0, 1.0, 2.0)
    ref = reduced(eager_focal(zz, y, gamma) * torch.where(y > 0, 0.7, 0.3) * w, reduce)
    kw = dict(logit_bias=bias, neg_scale=2.0, neg_weight=0.3, pos_weight=0.7)
    out = focal_bce(z, y_in, gamma, w, reduce, **kw)
    grad_out = torch.randn(ref.shape, generator=g, dtype=torch.float64)
    ref_grad, = torch.autograd.grad((ref * grad_out).sum(), z)
    out_grad, = torch.autograd.grad((out * grad_out).sum(), z)
    torch.testing.assert_close(out, ref)
    torch.testing.assert_close(out_grad, ref_grad)
    assert torch.autograd.gradcheck(lambda t: focal_bce(t, y_in, gamma, w, reduce, **kw), (z,))


def test_focal_bce_weight_function_gives_the_same_terms_and_is_called_once():
    z = torch.randn(4, 3, requires_grad=True)
    y = torch.tensor([0, 1, 2, 3])
    w = torch.rand(4, 3)
    calls = []

    def weight():
        calls.append(1)
        return w

    out = focal_bce(z, y, 2.0, weight, 'sum')
    torch.testing.assert_close(out, focal_bce(z, y, 2.0, w, 'sum'))
    assert calls == [1]


@pytest.mark.parametrize('bad', [4, -1])
def test_focal_bce_rejects_out_of_range_class_index(bad):
    with pytest.raises(ValueError, match=r'must lie in \[0, 3\]'):
        focal_bce(torch.zeros(2, 3), torch.tensor([0, bad]))


def test_focal_bce_soft_targets_use_the_general_form():
    """Soft y: b = BCE(z, y), modulator exp(-gamma (softplus(z) - (1 - y) z))."""
    z = torch.randn(5, 4, dtype=torch.float64, requires_grad=True)
    y = torch.rand(5, 4, dtype=torch.float64)
    bce = F.binary_cross_entropy_with_logits(z, y, reduction='none')
    ref = torch.exp(-1.5 * (F.softplus(z) - (1 - y) * z)) * bce
    torch.testing.assert_close(focal_bce(z, y, 1.5, soft=True), ref)
    assert torch.autograd.gradcheck(lambda t: focal_bce(t, y, 1.5, reduce='sum', soft=True),
                                    (z,))


def test_focal_bce_extreme_logits_and_no_grad_path():
    z = torch.tensor([[1000., -1000., 0.]], requires_grad=True)
    y = torch.tensor([[0., 1., 1.]])
    out = focal_bce(z, y, 2.0, reduce='sum')
    out.backward()
    assert torch.isfinite(out) and torch.isfinite(z.grad).all()
    torch.testing.assert_close(out, torch.tensor(2000. + 0.25 * math.log(2)))
    with torch.no_grad():
        assert focal_bce(z, y, 2.0, reduce='sum').grad_fn is None
    assert focal_bce(z.detach(), y, 2.0, reduce='sum') == out.detach()


def test_focal_bce_second_derivative_raises():
    z = torch.randn(3, 2, requires_grad=True)
    out = focal_bce(z, torch.ones(3, 2), 2.0, reduce='sum')
    grad, = torch.autograd.grad(out, z, create_graph=True)
    with pytest.raises(RuntimeError):
        grad.sum().backward()


def test_focal_bce_rejects_bad_arguments():
    with pytest.raises(ValueError, match='reduce'):
        focal_bce(torch.zeros(1, 1), torch.zeros(1, 1), reduce='mean')
    with pytest.raises(ValueError, match='gamma'):
        focal_bce(torch.zeros(1, 1), torch.zeros(1, 1), gamma=-1)
    with pytest.raises(ValueError, match='binary'):
        focal_bce(torch.zeros(1, 1), torch.zeros(1, 1), soft=True, neg_scale=2.0)


@pytest.mark.parametrize('p', [0.9, 0.1, 0.5])
def test_bernoulli_mask_rate_pairs_and_seed(p):
    """Sparse (p = 0.9, 0.1) and dense (0.5) paths: the rate and the rate of adjacent pairs
    are those of i.i.d. Bernoulli(p) within 6 standard errors; a seed reproduces the draw."""
    shape = (512, 1000)
    torch.manual_seed(3)
    a = bernoulli_mask(shape, p, torch.device('cpu'))
    torch.manual_seed(3)
    b = bernoulli_mask(shape, p, torch.device('cpu'))
    assert a.shape == shape and a.dtype == torch.bool and torch.equal(a, b)
    n = a.numel()
    assert abs(a.float().mean().item() - p) < 6 * math.sqrt(p * (1 - p) / n)
    flat = a.flatten()
    pairs = (flat[1:] & flat[:-1]).float().mean().item()
    assert abs(pairs - p * p) < 6 * math.sqrt(p * p * (1 - p * p) / (n - 1))
    rows = a.float().mean(1)             # no structure along the rows either
    assert rows.std().item() < 2 * math.sqrt(p * (1 - p) / shape[1])


def test_bernoulli_mask_certain_outcomes():
    cpu = torch.device('cpu')
    assert bernoulli_mask((300, 300), 1.0, cpu).all()
    assert not bernoulli_mask((300, 300), 0.0, cpu).any()
