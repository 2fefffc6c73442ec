"""lt_repro losses inside mmdet/mmengine: built from config dicts through ``mmdet.registry.MODELS``,
loaded by ``custom_imports``, no clash with mmdet's own ``SeesawLoss``/``EQLV2Loss``, and a few
real SGD iterations of a linear classifier that every loss must drive down.

(The Mask R-CNN bbox-head integration is tested in tests/detection.)
"""
from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

pytest.importorskip("mmcv._ext", reason="needs mmcv's compiled ops (mmcv-lite has none): run scripts/setup.sh --ops")

import torch

import lt_repro.mm  # noqa: F401  (registers the LT* losses)
import mmdet.models  # noqa: F401  (registers mmdet's own losses)
from lt_repro.mm.registry import register_losses, registered_losses
from mmdet.registry import MODELS

REPO = Path(__file__).resolve().parents[2]
C = 4                                    # classes
D = 8                                    # feature size
COUNTS = [60, 25, 10, 5]
FREQ = [0.5, 0.2, 0.02, 0.001]

# One mmdet config dict per registered loss; `head` = classifier outputs for C classes,
# `task` = which toy problem trains it.
CONFIGS = {
    'LTCrossEntropyLoss': (dict(), C, 'single'),
    'LTSigmoidBCELoss': (dict(), C, 'single'),
    'LTFocalLoss': (dict(gamma=2.0, alpha=0.25), C, 'single'),
    'LTClassBalancedLoss': (dict(samples_per_class=COUNTS, beta=0.99, loss_type='focal',
                                 gamma=1.0), C, 'single'),
    'LTEqualizationLoss': (dict(class_frequency=FREQ, lambda_=0.00177), C, 'background'),
    'LTSoftmaxEqualizationLoss': (dict(class_frequency=FREQ, lambda_=0.05, gamma=0.9), C,
                                  'single'),
    'LTSeesawLoss': (dict(num_classes=C, p=0.8, q=2.0), C + 2, 'background'),
    'LTSeesawClassificationLoss': (dict(num_classes=C, p=0.8, q=2.0), C, 'single'),
    'LTDistributionBalancedLoss': (dict(class_freq=COUNTS, train_num=100, focal=True), C,
                                   'multi'),
    'LTCDBLoss': (dict(class_difficulty=[0.1, 0.3, 0.6, 0.9], tau='dynamic'), C, 'single'),
    'LTSoftmaxFocalLoss': (dict(gamma=1.0, samples_per_class=COUNTS, beta=0.9), C, 'single'),
    'LTBatchSwitchedEQLLoss': (dict(class_frequency=FREQ, lambda_=0.03), C, 'single'),
}


@pytest.fixture(params=sorted(registered_losses()))
def config(request):
    name = request.param
    if name not in CONFIGS:
        pytest.fail(f'{name} is registered but tests/losses/test_registry.py has no CONFIGS entry')
    kwargs, head, task = CONFIGS[name]
    return name, dict(type=name, **kwargs), head, task


def toy_problem(task: str, n: int = 96, seed: int = 0):
    """Linearly separable features and labels. single: labels in [0, C); background: label C is a
    fifth separable cluster; multi: (n, C) multi-hot labels y_c = [x . w_c > 0]."""
    g = torch.Generator().manual_seed(seed)
    if task == 'multi':
        x = torch.randn(n, D, generator=g)
        w = torch.randn(D, C, generator=g)
        return x, (x @ w > 0).float()
    k = C + 1 if task == 'background' else C
    centres = torch.randn(k, D, generator=g) * 3
    labels = torch.arange(n) % k
    return centres[labels] + 0.3 * torch.randn(n, D, generator=g), labels


def total(out) -> torch.Tensor:
    return sum(out.values()) if isinstance(out, dict) else out


def test_every_registered_loss_has_a_config():
    assert set(CONFIGS) == set(registered_losses())


@pytest.mark.parametrize('name', sorted(registered_losses()))
def test_lt_name_resolves_to_its_lt_repro_class(name):
    cls = registered_losses()[name]
    assert MODELS.get(name) is cls
    assert cls.__module__.startswith('lt_repro.losses.')


def test_registration_is_idempotent():
    register_losses()          # second call (import already did one) must not raise KeyError
    assert all(MODELS.get(n) is c for n, c in registered_losses().items())


def test_no_clash_with_mmdet_losses():
    from mmdet.models.losses import EQLV2Loss, SeesawLoss as MMDetSeesawLoss
    from lt_repro.losses import EqualizationLoss, SeesawLoss
    assert MODELS.get('SeesawLoss') is MMDetSeesawLoss is not SeesawLoss
    assert MODELS.get('EQLV2Loss') is EQLV2Loss is not EqualizationLoss
    assert type(MODELS.build(dict(type='SeesawLoss', num_classes=3))) is MMDetSeesawLoss
    assert type(MODELS.build(dict(type='LTSeesawLoss', num_classes=3))) is SeesawLoss
    assert type(MODELS.build(dict(type='EQLV2Loss', num_classes=3))) is EQLV2Loss


def test_build_from_config_forward_backward(config):
    name, cfg, head, task = config
    loss = MODELS.build(cfg)
    assert type(loss) is registered_losses()[name]
    x, labels = toy_problem(task, n=12)
    logits = torch.randn(12, head, requires_grad=True)
    out = total(loss(logits, labels, avg_factor=12.0))
    assert out.shape == () and torch.isfinite(out)
    out.backward()
    assert torch.isfinite(logits.grad).all() and logits.grad.abs().sum() > 0


def test_build_in_mmdet_default_scope(config):
    from mmengine.registry import DefaultScope
    name, cfg, _, _ = config
    with DefaultScope.overwrite_default_scope('mmdet'):
        assert type(MODELS.build(cfg)) is registered_losses()[name]


def test_sgd_training_reduces_loss(config):
    """~20 full-batch SGD steps of nn.Linear on a separable toy problem lower the loss."""
    name, cfg, head, task = config
    torch.manual_seed(0)
    x, labels = toy_problem(task)
    model = torch.nn.Linear(D, head)
    loss_fn = MODELS.build(cfg)
    opt = torch.optim.SGD(model.parameters(), lr=0.5, momentum=0.9)
    history = []
    for _ in range(20):
        opt.zero_grad()
        loss = total(loss_fn(model(x), labels))
        loss.backward()
        opt.step()
        history.append(loss.item())
    assert all(torch.isfinite(torch.tensor(history))), history
    assert history[-1] < 0.5 * history[0], (name, history)
    with torch.no_grad():
        scores = model(x)
    if task == 'multi':
        acc = ((scores > 0).float() == labels).float().mean()
    elif name == 'LTSeesawLoss':    # classes argmax for foreground, objectness for background
        fg = labels < C
        acc = torch.cat([scores[fg, :C].argmax(1) == labels[fg],
                         scores[:, C:].argmax(1) == (~fg).long()]).float().mean()
    elif task == 'background':      # sigmoid EQL: true class fires on fg RoIs, none on bg RoIs
        # (not argmax: EQL drops rare classes' negative gradients from other fg RoIs by design)
        fg = labels < C
        acc = torch.cat([scores[fg].gather(1, labels[fg, None]).squeeze(1) > 0,
                         (scores[~fg] < 0).all(1)]).float().mean()
    else:
        acc = (scores.argmax(1) == labels).float().mean()
    assert acc > 0.9, (name, float(acc))


@pytest.mark.slow  # a fresh interpreter
def test_custom_imports_in_config_file_register_the_losses(tmp_path):
    """A fresh interpreter: the LT names are absent until Config.fromfile runs custom_imports."""
    cfg_file = tmp_path / 'loss_cfg.py'
    cfg_file.write_text(textwrap.dedent("""\
        custom_imports = dict(imports=['lt_repro.mm'], allow_failed_imports=False)
        loss_cls = dict(type='LTSeesawLoss', num_classes=3, p=0.8, q=2.0)
        loss_cb = dict(type='LTClassBalancedLoss', samples_per_class=[5, 2, 1], beta=0.9)
        """))
    script = textwrap.dedent(f"""\
        import sys
        import mmdet.models
        from mmdet.registry import MODELS
        from mmengine.config import Config
        from mmengine.utils import import_modules_from_strings
        assert MODELS.get('LTSeesawLoss') is None and 'lt_repro.mm' not in sys.modules
        cfg = Config.fromfile({str(cfg_file)!r})
        assert 'lt_repro.mm' in sys.modules, 'custom_imports not applied'
        import_modules_from_strings(**cfg.custom_imports)   # explicit form: idempotent
        from lt_repro.losses import ClassBalancedLoss, SeesawLoss
        assert type(MODELS.build(cfg.loss_cls)) is SeesawLoss
        assert type(MODELS.build(cfg.loss_cb)) is ClassBalancedLoss
        assert MODELS.get('SeesawLoss').__module__ == 'mmdet.models.losses.seesaw_loss'
        print('OK')
        """)
    proc = subprocess.run([sys.executable, '-c', script], cwd=REPO, capture_output=True,
                          text=True, timeout=300)
    assert proc.returncode == 0 and proc.stdout.strip().endswith('OK'), proc.stderr[-3000:]

