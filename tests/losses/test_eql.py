"""Sigmoid EQL and softmax EQL: reductions to BCE/CE, hand values, masks, stability, no loops."""
import math

import pytest
import torch
import torch.nn.functional as F

from lt_repro.losses.eql import EqualizationLoss, SoftmaxEqualizationLoss

FREQ = [0.3, 0.05, 0.001, 0.0005, 0.2, 0.0015]      # lambda 0.00177 -> rare = {2, 3, 5}
RARE = torch.tensor([False, False, True, True, False, True])


def _rois(n=12, c=len(FREQ), seed=0, scale=2.0):
    g = torch.Generator().manual_seed(seed)
    logits = torch.randn(n, c, generator=g) * scale
    labels = torch.randint(0, c + 1, (n,), generator=g)      # c = background
    labels[:3] = c
    labels[3] = 2                                              # a rare foreground RoI
    return logits, labels


# ---------------- sigmoid EQL ----------------

def test_lambda_zero_is_bce_summed_over_classes_divided_by_rois():
    logits, labels = _rois()
    c = len(FREQ)
    target = F.one_hot(labels, c + 1)[:, :c].float()
    expected = F.binary_cross_entropy_with_logits(logits, target, reduction='sum') / len(labels)
    got = EqualizationLoss(FREQ, lambda_=0.0)(logits, labels)
    torch.testing.assert_close(got, expected)


def test_hand_value():
    loss = EqualizationLoss([0.5, 0.001])                       # T = (0, 1)
    got = loss(torch.zeros(2, 2), torch.tensor([0, 2]))       # RoI 1 is background
    assert got.item() == pytest.approx(1.5 * math.log(2), rel=1e-6)
    plain = EqualizationLoss([0.5, 0.001], lambda_=0.0)(torch.zeros(2, 2), torch.tensor([0, 2]))
    assert plain.item() == pytest.approx(2 * math.log(2), rel=1e-6)


def test_ignored_entries_are_exactly_fg_roi_rare_class_not_its_label():
    logits, labels = _rois()
    c = len(FREQ)
    z = logits.clone().requires_grad_(True)
    EqualizationLoss(FREQ)(z, labels).backward()
    is_fg = labels < c
    target = F.one_hot(labels, c + 1)[:, :c].bool()
    ignored = is_fg[:, None] & RARE[None, :] & ~target
    assert ignored.any() and (~ignored).any()
    assert (z.grad[ignored] == 0).all()
    assert (z.grad[~ignored] != 0).all()
    # the surviving entries carry plain BCE gradients / R
    bce_grad = (torch.sigmoid(logits) - target.float()) / len(labels)
    torch.testing.assert_close(z.grad[~ignored], bce_grad[~ignored])


def test_image_level_sets_rule():
    logits, labels = _rois()
    c = len(FREQ)
    mask = torch.zeros(len(labels), c, dtype=torch.bool)
    mask[:, 3] = True                       # class 3 is in every image's positive/negative set
    z = logits.clone().requires_grad_(True)
    EqualizationLoss(FREQ, use_image_level_sets=True)(z, labels, image_class_mask=mask).backward()
    fg = labels < c
    assert (z.grad[fg, 3] != 0).all()       # never ignored now
    assert (z.grad[fg & (labels != 2), 2] == 0).all()   # still ignored elsewhere
    mask_all = torch.ones(len(labels), c, dtype=torch.bool)
    torch.testing.assert_close(
        EqualizationLoss(FREQ, use_image_level_sets=True)(logits, labels,
                                                          image_class_mask=mask_all),
        EqualizationLoss(FREQ, lambda_=0.0)(logits, labels))
    with pytest.raises(ValueError, match='image_class_mask'):
        EqualizationLoss(FREQ, use_image_level_sets=True)(logits, labels)
    with pytest.raises(ValueError, match='use_image_level_sets'):
        EqualizationLoss(FREQ)(logits, labels, image_class_mask=mask)


def test_weights_avg_factor_and_reductions():
    logits, labels = _rois()
    loss = EqualizationLoss(FREQ, loss_weight=2.0)
    per_roi = loss(logits, labels, reduction_override='none') / 2.0
    assert per_roi.shape == (len(labels),)
    w = torch.rand(len(labels))
    torch.testing.assert_close(loss(logits, labels, w, avg_factor=5.0),
                               2.0 * (per_roi * w).sum() / (5.0 + torch.finfo(torch.float32).eps))
    torch.testing.assert_close(loss(logits, labels, reduction_override='sum'), 2 * per_roi.sum())
    w2 = torch.rand(len(labels), len(FREQ))                  # element-wise weights
    c = len(FREQ)
    target = F.one_hot(labels, c + 1)[:, :c].float()
    bce = F.binary_cross_entropy_with_logits(logits, target, reduction='none')
    torch.testing.assert_close(
        EqualizationLoss(FREQ, lambda_=0.0)(logits, labels, w2, reduction_override='sum'),
        (bce * w2).sum())


def test_gradcheck_float64():
    logits, labels = _rois(n=6)
    z = logits.double().requires_grad_(True)
    loss = EqualizationLoss(FREQ)
    w = torch.rand(6, dtype=torch.float64)
    assert torch.autograd.gradcheck(lambda x: loss(x, labels, w), (z,))


def test_extreme_logits_are_finite():
    c = len(FREQ)
    g = torch.Generator().manual_seed(0)
    z = ((torch.randint(0, 2, (32, c), generator=g) * 2 - 1) * 1000.0).requires_grad_(True)
    labels = torch.randint(0, c + 1, (32,), generator=g)
    out = EqualizationLoss(FREQ)(z, labels)
    assert torch.isfinite(out) and out > 100
    out.backward()
    assert torch.isfinite(z.grad).all()


def test_bf16_autocast():
    torch.manual_seed(0)
    c = len(FREQ)
    layer = torch.nn.Linear(8, c)
    x, labels = torch.randn(20, 8), torch.randint(0, c + 1, (20,))
    with torch.autocast('cpu', dtype=torch.bfloat16):
        logits = layer(x)
        out = EqualizationLoss(FREQ)(logits, labels)
    assert logits.dtype == torch.bfloat16 and out.dtype == torch.float32
    torch.testing.assert_close(out, EqualizationLoss(FREQ)(logits.detach().float(), labels))
    out.backward()
    assert torch.isfinite(layer.weight.grad).all()


def test_mmdet_head_interface():
    loss = EqualizationLoss(FREQ)
    c = len(FREQ)
    assert loss.custom_cls_channels and loss.custom_activation and loss.custom_accuracy
    assert loss.use_sigmoid is True
    assert loss.get_cls_channels(c) == c
    with pytest.raises(ValueError, match='class_frequency'):
        loss.get_cls_channels(c + 1)
    logits = torch.tensor([[5.0, 0, 0, 0, 0, 0], [0, 0, 3.0, 0, 0, 0], [0, 0, 0, 0, 0, 9.0]])
    scores = loss.get_activation(logits)
    assert scores.shape == (3, c + 1)
    assert (scores[:, -1] == 0).all()
    torch.testing.assert_close(scores[:, :c], torch.sigmoid(logits))
    acc = loss.get_accuracy(logits, torch.tensor([0, 1, c]))   # 1 of 2 fg RoIs correct
    assert acc.keys() == {'acc_classes'}
    assert acc['acc_classes'].item() == pytest.approx(50.0)


def test_rejects_bad_inputs():
    with pytest.raises(ValueError, match='fractions'):
        EqualizationLoss([10, 200, 3])
    with pytest.raises(ValueError, match='no background column'):
        EqualizationLoss(FREQ)(torch.zeros(2, len(FREQ) + 1), torch.tensor([0, 1]))
    with pytest.raises(ValueError, match='sigmoid'):
        EqualizationLoss(FREQ, use_sigmoid=False)


# ---------------- softmax EQL ----------------

CLS_FREQ = [0.5, 0.3, 0.15, 0.04, 0.008, 0.002]   # lambda 0.01 -> rare = {4, 5}


def test_softmax_gamma_zero_is_ce():
    torch.manual_seed(0)
    z, y = torch.randn(30, 6) * 3, torch.randint(0, 6, (30,))
    got = SoftmaxEqualizationLoss(CLS_FREQ, lambda_=0.01, gamma=0.0)(z, y)
    torch.testing.assert_close(got, F.cross_entropy(z, y))


def test_softmax_hand_value():
    loss = SoftmaxEqualizationLoss([0.7, 0.299, 0.001], lambda_=0.01, gamma=1.0)
    got = loss(torch.zeros(2, 3), torch.tensor([0, 2]))
    assert got.item() == pytest.approx((math.log(2) + math.log(3)) / 2, rel=1e-6)


def test_softmax_matches_paper_formula_with_given_beta():
    torch.manual_seed(1)
    n, c = 16, 6
    z = torch.randn(n, c, dtype=torch.float64)
    y = torch.randint(0, c, (n,))
    beta = torch.rand(n, c) < 0.5
    got = SoftmaxEqualizationLoss(CLS_FREQ, 0.01, 0.5)(z, y, beta=beta, reduction_override='none')
    t = torch.tensor(CLS_FREQ) < 0.01
    w = 1 - beta.double() * t.double() * (1 - F.one_hot(y, c).double())
    p = z.exp() / (w * z.exp()).sum(1, keepdim=True)
    torch.testing.assert_close(got, -p.gather(1, y[:, None]).squeeze(1).log())


def test_softmax_random_draw_uses_draw_beta_and_gamma_rate():
    loss = SoftmaxEqualizationLoss(CLS_FREQ, 0.01, 0.3)
    z, y = torch.randn(50, 6), torch.randint(0, 6, (50,))
    torch.manual_seed(7)
    drawn = loss(z, y, reduction_override='none')
    torch.manual_seed(7)
    beta = loss.draw_beta(50, z.device)
    torch.testing.assert_close(drawn, loss(z, y, beta=beta, reduction_override='none'))
    torch.manual_seed(0)
    big = loss.draw_beta(20000, torch.device('cpu'))
    assert big.shape == (20000, 6)
    assert abs(big.float().mean().item() - 0.3) < 0.01
    per_sample = SoftmaxEqualizationLoss(CLS_FREQ, 0.01, 0.3, beta_per='sample')
    assert per_sample.draw_beta(5, torch.device('cpu')).shape == (5, 1)


@pytest.mark.parametrize('gamma', [0.9, 0.1])
def test_softmax_sparse_draw_matches_draw_beta_and_the_explicit_formula(gamma):
    """n * C >= 2^14 on the CPU: the draw writes only the rarer outcome (sparse_bernoulli); the
    loss equals the one computed from draw_beta's mask after the same seed, and the formula."""
    c = len(CLS_FREQ)
    loss = SoftmaxEqualizationLoss(CLS_FREQ, 0.01, gamma)
    n = 4000
    assert n * c >= 1 << 14
    g = torch.Generator().manual_seed(5)
    z, y = torch.randn(n, c, generator=g), torch.randint(0, c, (n,), generator=g)
    torch.manual_seed(11)
    drawn = loss(z, y, reduction_override='none')
    torch.manual_seed(11)
    beta = loss.draw_beta(n, z.device)
    assert abs(beta.float().mean().item() - gamma) < 0.01
    torch.testing.assert_close(drawn, loss(z, y, beta=beta, reduction_override='none'))
    t = torch.tensor(CLS_FREQ) < 0.01
    w = 1 - beta.double() * t.double() * (1 - F.one_hot(y, c).double())
    zd = z.double()
    p = zd.exp() / (w * zd.exp()).sum(1, keepdim=True)
    torch.testing.assert_close(drawn.double(), -p.gather(1, y[:, None]).squeeze(1).log(),
                               rtol=1e-5, atol=1e-6)


def test_softmax_extreme_logits_and_gradcheck():
    c = len(CLS_FREQ)
    g = torch.Generator().manual_seed(0)
    z = ((torch.randint(0, 2, (40, c), generator=g) * 2 - 1) * 1000.0).requires_grad_(True)
    y = torch.randint(0, c, (40,), generator=g)
    loss = SoftmaxEqualizationLoss(CLS_FREQ, 0.01, 1.0)
    out = loss(z, y)
    assert torch.isfinite(out)
    out.backward()
    assert torch.isfinite(z.grad).all()

    zz = torch.randn(5, c, dtype=torch.float64, requires_grad=True)
    yy = torch.tensor([0, 4, 5, 1, 2])
    beta = torch.ones(5, c, dtype=torch.bool)
    assert torch.autograd.gradcheck(lambda x: loss(x, yy, beta=beta), (zz,))


def test_softmax_bf16_autocast():
    torch.manual_seed(0)
    layer = torch.nn.Linear(8, 6)
    x, y = torch.randn(20, 8), torch.randint(0, 6, (20,))
    beta = torch.rand(20, 6) < 0.5
    loss = SoftmaxEqualizationLoss(CLS_FREQ, 0.01, 0.5)
    with torch.autocast('cpu', dtype=torch.bfloat16):
        logits = layer(x)
        out = loss(logits, y, beta=beta)
    assert out.dtype == torch.float32
    torch.testing.assert_close(out, loss(logits.detach().float(), y, beta=beta))
    out.backward()
    assert torch.isfinite(layer.weight.grad).all()


# ---------------- vectorisation ----------------

@pytest.mark.parametrize('make', [
    lambda c: EqualizationLoss([0.001 if j % 3 == 0 else 0.1 for j in range(c)]),
    lambda c: SoftmaxEqualizationLoss([0.001 if j % 3 == 0 else 0.1 for j in range(c)], 0.01, 0.5),
])
def test_no_loops_no_c_by_c(make, record_ops):
    c, n = 300, 16
    loss = make(c)
    records = []
    for labels in (torch.zeros(n, dtype=torch.long), torch.arange(n) * 13):
        z = torch.randn(n, c, requires_grad=True)
        with record_ops() as rec:
            loss(z, labels).backward()
        records.append(rec)
    assert records[0].ops == records[1].ops
    assert records[1].max_numel <= n * (c + 1) < c * c


@pytest.mark.needs_ops  # mmdet's bbox heads import mmcv's ops
def test_in_mmdet_bbox_head():
    import lt_repro.mm.registry  # noqa: F401  registers LT* losses
    from mmdet.registry import MODELS
    from mmengine.config import ConfigDict
    c = len(FREQ)
    head = MODELS.build(dict(
        type='Shared2FCBBoxHead', in_channels=4, fc_out_channels=8, roi_feat_size=2,
        num_classes=c, reg_class_agnostic=True,
        loss_cls=dict(type='LTEqualizationLoss', class_frequency=FREQ),
        bbox_coder=dict(type='DeltaXYWHBBoxCoder', target_means=[0.0] * 4,
                        target_stds=[0.1, 0.1, 0.2, 0.2]),
        loss_bbox=dict(type='L1Loss', loss_weight=1.0)))
    assert head.fc_cls.out_features == c                       # no background column
    torch.manual_seed(0)
    cls_score, bbox_pred = head(torch.randn(10, 4, 2, 2))
    rois = torch.tensor([[0.0, 0, 0, 10, 10]]).repeat(10, 1)
    labels = torch.tensor([0, 1, 2, c, c, c, 3, 4, c, 5])
    boxes_w = (labels < c).float()[:, None].repeat(1, 4)
    losses = head.loss(cls_score, bbox_pred, rois, labels, torch.ones(10), torch.zeros(10, 4),
                       boxes_w)
    assert {'loss_cls', 'acc_classes'} <= set(losses)
    torch.testing.assert_close(losses['loss_cls'],
                               EqualizationLoss(FREQ)(cls_score, labels, avg_factor=10.0))
    test_cfg = ConfigDict(score_thr=0.0, nms=dict(type='nms', iou_threshold=0.5), max_per_img=100)
    result = head._predict_by_feat_single(rois, cls_score.detach(), bbox_pred.detach(),
                                          dict(img_shape=(20, 20)), rcnn_test_cfg=test_cfg)
    assert len(result.labels) > 0 and int(result.labels.max()) < c
