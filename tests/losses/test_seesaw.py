"""SeesawLoss: reductions to CE, hand values, count state, stability, mmdet parity, no loops."""
import ast
import math
import os
import subprocess
import sys

import pytest
import torch
import torch.nn.functional as F

from lt_repro.losses.seesaw import SeesawLoss, seesaw_ce_loss

needs_mmdet = pytest.mark.needs_ops  # mmdet's losses package imports mmcv's ops


def MMDetSeesawLoss(**kwargs):
    """mmdet's own SeesawLoss, the parity reference."""
    from mmdet.models.losses.seesaw_loss import SeesawLoss as Reference
    return Reference(**kwargs)


def _batch(n, c, scale=3.0, seed=0, bg_frac=0.3):
    g = torch.Generator().manual_seed(seed)
    logits = torch.randn(n, c + 2, generator=g) * scale
    # long-tailed labels: class j drawn with weight 1/(j+1); some background
    probs = 1.0 / torch.arange(1, c + 1, dtype=torch.float)
    labels = torch.multinomial(probs, n, replacement=True, generator=g)
    labels[torch.rand(n, generator=g) < bg_frac] = c
    weights = (torch.rand(n, generator=g) > 0.1).float()
    return logits, labels, weights


def test_p_q_zero_is_class_ce_plus_objectness_ce():
    c, n = 7, 40
    logits, labels, weights = _batch(n, c)
    avg = float(weights.gt(0).sum())
    out = SeesawLoss(c, p=0.0, q=0.0)(logits, labels, weights, avg_factor=avg)
    pos = labels < c
    ce_cls = F.cross_entropy(logits[pos, :c], labels[pos], reduction='none')
    ce_obj = F.cross_entropy(logits[:, c:], (labels == c).long(), reduction='none')
    torch.testing.assert_close(out['loss_cls_classes'], (ce_cls * weights[pos]).sum() / avg)
    torch.testing.assert_close(out['loss_cls_objectness'], (ce_obj * weights).sum() / avg)


def test_hand_value_mitigation():
    loss = SeesawLoss(2, p=1.0, q=0.0)
    out = loss(torch.zeros(4, 4), torch.tensor([0, 0, 0, 1]))
    # N = (3, 1): class-0 samples see (N_1/N_0)^1 = 1/3 on class 1; class-1 samples see 1
    expected = (3 * math.log(4 / 3) + math.log(2)) / 4
    assert out['loss_cls_classes'].item() == pytest.approx(expected, rel=1e-6)
    assert out['loss_cls_objectness'].item() == pytest.approx(math.log(2), rel=1e-6)
    assert loss.cum_samples.tolist() == [3.0, 1.0, 0.0]


def test_hand_value_compensation():
    out = SeesawLoss(2, p=0.0, q=2.0)(torch.tensor([[math.log(3), 0.0, 0.0, 0.0]]),
                                      torch.tensor([1]))
    # sigma = (3/4, 1/4): C_10 = 3^2 = 9, so z~ = (log 27, 0) and loss = log 28
    assert out['loss_cls_classes'].item() == pytest.approx(math.log(28), rel=1e-6)


def test_counts_accumulate_before_loss_and_live_in_state_dict():
    c = 5
    loss = SeesawLoss(c)
    total = torch.zeros(c + 1)
    for seed in range(3):
        logits, labels, _ = _batch(30, c, seed=seed)
        loss(logits, labels)
        total += torch.bincount(labels, minlength=c + 1).float()
    assert torch.equal(loss.cum_samples, total)
    state = loss.state_dict()
    assert torch.equal(state['cum_samples'], total)

    restored = SeesawLoss(c)
    restored.load_state_dict(state)
    logits, labels, weights = _batch(30, c, seed=9)
    a, b = loss(logits, labels, weights), restored(logits, labels, weights)
    for key in a:
        torch.testing.assert_close(a[key], b[key], rtol=0, atol=0)
    fresh = SeesawLoss(c)(logits, labels, weights)
    assert not torch.allclose(fresh['loss_cls_classes'], a['loss_cls_classes'])


def test_background_only_batch():
    c = 4
    loss = SeesawLoss(c)
    logits = torch.randn(6, c + 2, requires_grad=True)
    labels = torch.full((6,), c)
    out = loss(logits, labels)
    assert out['loss_cls_classes'].item() == 0.0
    assert out['loss_cls_objectness'].item() > 0
    sum(out.values()).backward()
    assert torch.isfinite(logits.grad).all()
    assert loss.cum_samples[c].item() == 6.0


def test_return_dict_false_and_reductions():
    c = 6
    logits, labels, weights = _batch(25, c)
    as_dict = SeesawLoss(c)(logits, labels, weights)
    summed = SeesawLoss(c, return_dict=False)(logits, labels, weights)
    torch.testing.assert_close(summed, as_dict['loss_cls_classes'] + as_dict['loss_cls_objectness'])
    none = SeesawLoss(c)(logits, labels, weights, reduction_override='none')
    assert none['loss_cls_objectness'].shape == (25,)
    assert none['loss_cls_classes'].shape == ((labels < c).sum().item(),)


def test_gradcheck_float64():
    torch.manual_seed(0)
    c, n = 5, 6
    logits = torch.randn(n, c, dtype=torch.float64, requires_grad=True)
    labels = torch.tensor([0, 1, 1, 4, 2, 0])
    counts = torch.tensor([50.0, 3.0, 10.0, 1.0, 7.0])
    weights = torch.rand(n, dtype=torch.float64)
    # compensation uses detached scores, so it is gradchecked separately below (q = 0 here)
    assert torch.autograd.gradcheck(
        lambda z: seesaw_ce_loss(z, labels, weights, counts, 0.8, 0.0, 1e-2), (logits,))
    # the objectness branch through the module (p = q = 0: counts do not change the value)
    full = torch.randn(n, c + 2, dtype=torch.float64, requires_grad=True)
    module = SeesawLoss(c, p=0.0, q=0.0, return_dict=False)
    assert torch.autograd.gradcheck(lambda z: module(z, labels, weights), (full,))


def test_gradient_with_compensation_is_softmax_of_adjusted_logits():
    torch.manual_seed(1)
    c, n = 6, 8
    z = torch.randn(n, c, dtype=torch.float64) * 2
    labels = torch.randint(0, c, (n,))
    counts = torch.rand(c, dtype=torch.float64) * 100
    zz = z.clone().requires_grad_(True)
    seesaw_ce_loss(zz, labels, None, counts, 0.8, 2.0, 1e-2, reduction='sum').backward()
    # explicit S_ij from the paper's definitions
    n_ = counts.clamp(min=1)
    ratio = n_[None, :] / n_[labels][:, None]
    mit = torch.where(ratio < 1, ratio ** 0.8, torch.ones_like(ratio))
    sig = z.softmax(1)
    comp = sig / sig.gather(1, labels[:, None]).clamp(min=1e-2)
    comp = torch.where(comp > 1, comp ** 2, torch.ones_like(comp))
    adjusted = z + (mit * comp).log()
    expected = adjusted.softmax(1) - F.one_hot(labels, c)
    torch.testing.assert_close(zz.grad, expected)


def test_extreme_logits_are_finite():
    c = 10
    loss = SeesawLoss(c)
    g = torch.Generator().manual_seed(0)
    logits = (torch.randint(0, 2, (64, c + 2), generator=g).float() * 2 - 1) * 1000
    logits.requires_grad_(True)
    labels = torch.randint(0, c + 1, (64,), generator=g)
    for _ in range(2):
        out = loss(logits, labels)
        total = sum(out.values())
        assert torch.isfinite(total)
        (grad,) = torch.autograd.grad(total, logits)
        assert torch.isfinite(grad).all()


def test_bf16_autocast_matches_float32_of_same_logits():
    c = 12
    torch.manual_seed(0)
    layer = torch.nn.Linear(16, c + 2)
    x = torch.randn(40, 16)
    labels = torch.randint(0, c + 1, (40,))
    with torch.autocast('cpu', dtype=torch.bfloat16):
        logits = layer(x)
        out = SeesawLoss(c)(logits, labels)
    assert logits.dtype == torch.bfloat16
    ref = SeesawLoss(c)(logits.detach().float(), labels)
    for key in out:
        assert out[key].dtype == torch.float32
        torch.testing.assert_close(out[key], ref[key])
    sum(out.values()).backward()
    assert torch.isfinite(layer.weight.grad).all()


def test_vectorised_no_label_loop_no_c_by_c(record_ops):
    c, n = 400, 16
    logits = torch.randn(n, c + 2)

    def record(labels):
        z = logits.clone().requires_grad_(True)
        with record_ops() as rec:
            sum(SeesawLoss(c)(z, labels).values()).backward()
        return rec

    a = record(torch.zeros(n, dtype=torch.long))      # one class
    b = record(torch.arange(n) * 7)                   # many classes
    assert a.ops == b.ops          # same op sequence whatever the number of distinct labels
    assert b.max_numel <= n * (c + 2) < c * c


def test_rejects_wrong_channels_and_labels():
    loss = SeesawLoss(3)
    with pytest.raises(ValueError, match='num_classes \\+ 2'):
        loss(torch.zeros(2, 4), torch.tensor([0, 1]))
    with pytest.raises(ValueError, match='labels must lie'):
        loss(torch.zeros(2, 5), torch.tensor([0, 4]))
    with pytest.raises(ValueError, match='labels must lie'):
        loss(torch.zeros(2, 5), torch.tensor([0, -1]))
    with pytest.raises(ValueError, match='num_classes'):
        loss.get_cls_channels(4)
    assert loss.get_cls_channels(3) == 5


_SYNC_WORKER = """
import sys, torch, torch.distributed as dist
from lt_repro.losses.seesaw import SeesawLoss
rank, init_file, sync = int(sys.argv[1]), sys.argv[2], sys.argv[3] == '1'
dist.init_process_group('gloo', init_method='file://' + init_file, rank=rank, world_size=2)
loss = SeesawLoss(3, sync_counts=sync)
labels = torch.tensor([0, 0, 3]) if rank == 0 else torch.tensor([1, 2, 2, 2])
loss(torch.zeros(len(labels), 5), labels)
print(loss.cum_samples.tolist())
dist.destroy_process_group()
"""


@pytest.mark.slow
@pytest.mark.parametrize('sync', [False, True])
def test_sync_counts_all_reduces_across_ranks(tmp_path, sync):
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(sys.path), OMP_NUM_THREADS='1')
    procs = [subprocess.Popen([sys.executable, '-c', _SYNC_WORKER, str(rank),
                               str(tmp_path / 'init'), str(int(sync))],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
             for rank in range(2)]
    results = []
    try:
        for proc in procs:
            out, err = proc.communicate(timeout=120)
            assert proc.returncode == 0, err
            results.append(ast.literal_eval(out.strip().splitlines()[-1]))
    finally:
        for proc in procs:
            if proc.poll() is None:
                proc.kill()
    if sync:
        assert results[0] == results[1] == [2.0, 1.0, 3.0, 1.0]
    else:
        assert results == [[2.0, 0.0, 0.0, 1.0], [0.0, 1.0, 3.0, 0.0]]


@needs_mmdet
@pytest.mark.parametrize('p,q,loss_weight', [(0.8, 2.0, 1.0), (0.5, 1.0, 2.0), (0.0, 2.0, 1.0)])
def test_parity_with_mmdet_over_several_calls(p, q, loss_weight):
    c = 30
    ours = SeesawLoss(c, p=p, q=q, loss_weight=loss_weight)
    ref = MMDetSeesawLoss(p=p, q=q, num_classes=c, loss_weight=loss_weight)
    for call in range(6):
        logits, labels, weights = _batch(64, c, scale=1.0 + call, seed=call)
        avg = max(float(weights.gt(0).sum()), 1.0)
        reduction = ['mean', 'sum', 'none'][call % 3]
        kwargs = dict(reduction_override=reduction)
        if reduction != 'sum':
            kwargs['avg_factor'] = avg if call % 2 == 0 else None
        za, zb = logits.clone().requires_grad_(True), logits.clone().requires_grad_(True)
        a, b = ours(za, labels, weights, **kwargs), ref(zb, labels, weights, **kwargs)
        assert set(a) == set(b) == {'loss_cls_objectness', 'loss_cls_classes'}
        for key in a:
            torch.testing.assert_close(a[key], b[key], rtol=1e-6, atol=1e-6)
        ga, = torch.autograd.grad(sum(v.sum() for v in a.values()), za)
        gb, = torch.autograd.grad(sum(v.sum() for v in b.values()), zb)
        torch.testing.assert_close(ga, gb, rtol=1e-5, atol=1e-6)
        torch.testing.assert_close(ours.cum_samples, ref.cum_samples, rtol=0, atol=0)
    assert ours.state_dict().keys() == ref.state_dict().keys()


@needs_mmdet
def test_head_interface_matches_mmdet():
    c = 9
    ours, ref = SeesawLoss(c), MMDetSeesawLoss(num_classes=c)
    logits, labels, _ = _batch(50, c)
    for flag in ('custom_cls_channels', 'custom_activation', 'custom_accuracy'):
        assert getattr(ours, flag) is getattr(ref, flag) is True
    assert ours.get_cls_channels(c) == ref.get_cls_channels(c)
    torch.testing.assert_close(ours.get_activation(logits), ref.get_activation(logits))
    acc_a, acc_b = ours.get_accuracy(logits, labels), ref.get_accuracy(logits, labels)
    assert acc_a.keys() == acc_b.keys()
    for key in acc_a:
        torch.testing.assert_close(acc_a[key], acc_b[key])
    # no label weights: mmdet 3.3 uses ones
    a, b = ours(logits, labels), ref(logits, labels)
    for key in a:
        torch.testing.assert_close(a[key], b[key], rtol=1e-6, atol=1e-6)


@needs_mmdet
def test_in_mmdet_bbox_head():
    import lt_repro.mm.registry  # noqa: F401  registers LT* losses
    from mmdet.registry import MODELS
    c = 5
    head = MODELS.build(dict(
        type='Shared2FCBBoxHead', in_channels=4, fc_out_channels=8, roi_feat_size=2,
        num_classes=c, reg_class_agnostic=True, loss_cls=dict(type='LTSeesawLoss', num_classes=c),
        bbox_coder=dict(type='DeltaXYWHBBoxCoder', target_means=[0.0] * 4,
                        target_stds=[0.1, 0.1, 0.2, 0.2]),
        loss_bbox=dict(type='L1Loss', loss_weight=1.0)))
    assert head.fc_cls.out_features == c + 2
    torch.manual_seed(0)
    cls_score, bbox_pred = head(torch.randn(10, 4, 2, 2))
    rois = torch.tensor([[0.0, 0, 0, 10, 10]]).repeat(10, 1)
    labels = torch.tensor([0, 1, 2, c, c, c, 3, 4, c, 4])
    losses = head.loss(cls_score, bbox_pred, rois, labels, torch.ones(10), torch.zeros(10, 4),
                       torch.zeros(10, 4))
    assert set(losses) >= {'loss_cls_objectness', 'loss_cls_classes', 'acc_objectness',
                           'acc_classes'}
    assert head.loss_cls.cum_samples.tolist() == [1.0, 1.0, 1.0, 1.0, 2.0, 4.0]
    ref = SeesawLoss(c)(cls_score, labels, torch.ones(10), avg_factor=10.0)
    for key in ref:
        torch.testing.assert_close(losses[key], ref[key])


def test_classification_variant_equals_the_class_branch_of_the_detection_loss():
    from lt_repro.losses import SeesawClassificationLoss

    torch.manual_seed(0)
    cls = SeesawClassificationLoss(num_classes=5, p=0.8, q=1.0)
    det = SeesawLoss(num_classes=5, p=0.8, q=1.0)
    for _ in range(3):  # the count state carries over identically
        logits = torch.randn(8, 5)
        labels = torch.randint(0, 5, (8,))
        with_obj = torch.cat([logits, torch.zeros(8, 2)], dim=1)
        assert torch.allclose(cls(logits, labels), det(with_obj, labels)["loss_cls_classes"])
    assert torch.equal(cls.cum_samples, det.cum_samples)
    with pytest.raises(ValueError, match=r"labels must lie in \[0, 5\)"):
        cls(torch.randn(2, 5), torch.tensor([0, 5]))


def test_unreduced_sum_of_the_two_branches_is_refused():
    loss = SeesawLoss(num_classes=3, return_dict=False, reduction="none")
    with pytest.raises(ValueError):
        loss(torch.randn(4, 5), torch.tensor([0, 1, 3, 2]))
