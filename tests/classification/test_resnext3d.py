"""3D ResNeXt-101 of kenshohara/3D-ResNets-PyTorch (CDB's EGTEA/models/resnext.py): parameter layout and shapes
of the Kinetics checkpoint, its loading (weights only, 'module.' stripped, fc dropped, strict key report), and a
forward/backward of the real-width network on a small clip."""
from collections import OrderedDict

import pytest
import torch

from lt_repro.models import ResNeXt3D
from lt_repro.models.resnext3d import load_kinetics_weights


def kinetics_layout(blocks=(3, 4, 23, 3), cardinality=32, num_classes=400) -> "OrderedDict[str, tuple]":
    """Key -> shape of resnext-101-kinetics.pth's state_dict as nn.DataParallel saved it, written from the
    architecture (stem 64, planes 128/256/512/1024, expansion 2, mid width cardinality * planes / 32,
    shortcut B on the first block of each stage), without BatchNorm counters (torch < 0.4.1)."""
    layout = OrderedDict()

    def bn(name, c):
        for p in ("weight", "bias", "running_mean", "running_var"):
            layout[f"module.{name}.{p}"] = (c,)

    layout["module.conv1.weight"] = (64, 3, 7, 7, 7)
    bn("bn1", 64)
    inplanes = 64
    for stage, (n, planes) in enumerate(zip(blocks, (128, 256, 512, 1024)), 1):
        mid, out = cardinality * (planes // 32), planes * 2
        for b in range(n):
            pre = f"layer{stage}.{b}"
            layout[f"module.{pre}.conv1.weight"] = (mid, inplanes, 1, 1, 1)
            bn(f"{pre}.bn1", mid)
            layout[f"module.{pre}.conv2.weight"] = (mid, mid // cardinality, 3, 3, 3)
            bn(f"{pre}.bn2", mid)
            layout[f"module.{pre}.conv3.weight"] = (out, mid, 1, 1, 1)
            bn(f"{pre}.bn3", out)
            if b == 0:
                layout[f"module.{pre}.downsample.0.weight"] = (out, inplanes, 1, 1, 1)
                bn(f"{pre}.downsample.1", out)
            inplanes = out
    layout["module.fc.weight"] = (num_classes, 2048)
    layout["module.fc.bias"] = (num_classes,)
    return layout


def write_checkpoint(path, layout, seed=0):
    g = torch.Generator().manual_seed(seed)
    state = OrderedDict((k, torch.randn(shape, generator=g)) for k, shape in layout.items())
    torch.save({"epoch": 200, "arch": "resnext-101", "state_dict": state,
                "optimizer": {"state": {}, "param_groups": [{"lr": 0.1, "params": [0, 1]}]}}, path)
    return state


@pytest.fixture(scope="module")
def resnext101():
    torch.manual_seed(0)
    return ResNeXt3D(depth=101, cardinality=32, sample_size=32, sample_duration=4)


def test_parameters_have_the_kinetics_checkpoint_layout(resnext101):
    want = {k.removeprefix("module."): v for k, v in kinetics_layout().items() if not k.startswith("module.fc.")}
    got = {k: tuple(v.shape) for k, v in resnext101.state_dict().items() if not k.endswith("num_batches_tracked")}
    assert got == want
    assert resnext101.out_channels == 2048
    assert sum(p.numel() for p in resnext101.parameters()) + 2048 * 400 + 400 == sum(
        torch.Size(s).numel() for k, s in kinetics_layout().items() if "running" not in k)


def test_kinetics_checkpoint_loads_weights_only_without_fc(resnext101, tmp_path):
    path = tmp_path / "resnext-101-kinetics.pth"
    state = write_checkpoint(path, kinetics_layout())
    load_kinetics_weights(resnext101, path)
    own = resnext101.state_dict()
    for key in ("conv1.weight", "layer3.22.conv2.weight", "layer4.0.downsample.1.running_var", "bn1.bias"):
        torch.testing.assert_close(own[key], state[f"module.{key}"])
    assert int(own["layer1.0.bn1.num_batches_tracked"]) == 0
    assert not any(k.startswith("fc.") for k in own)


def test_checkpoint_loading_reports_missing_unexpected_and_misshaped_keys(resnext101, tmp_path):
    layout = kinetics_layout()
    del layout["module.layer2.3.bn3.running_mean"]
    layout["module.layer5.0.conv1.weight"] = (4, 4, 1, 1, 1)
    layout["module.layer1.0.conv2.weight"] = (128, 8, 3, 3, 3)  # cardinality 16 instead of 32
    path = tmp_path / "wrong.pth"
    write_checkpoint(path, layout)
    with pytest.raises(ValueError) as err:
        load_kinetics_weights(resnext101, path)
    msg = str(err.value)
    assert "layer2.3.bn3.running_mean" in msg and "layer5.0.conv1.weight" in msg
    assert "layer1.0.conv2.weight: (128, 8, 3, 3, 3) vs (128, 4, 3, 3, 3)" in msg
    with pytest.raises(FileNotFoundError, match="resnext-101-kinetics.pth"):
        load_kinetics_weights(resnext101, tmp_path / "absent.pth")


def test_checkpoint_with_pickled_objects_is_refused(resnext101, tmp_path):
    """weights_only=True: a checkpoint that would run code on load is not unpickled."""
    path = tmp_path / "evil.pth"
    torch.save({"state_dict": {}, "model": torch.nn.Linear(2, 2)}, path)  # a whole module, pickled by class
    with pytest.raises(Exception, match="(?i)weights_only|unsupported global"):
        load_kinetics_weights(resnext101, path)


@pytest.mark.slow
def test_real_width_forward_backward_on_a_small_clip(resnext101):
    """The full ResNeXt-101 (47.5 M parameters) on 2 clips of 4 frames at 32 px: feature, pooled to 1x1x1."""
    resnext101.train()
    clip = torch.randn(2, 3, 4, 32, 32)
    feat = resnext101(clip)
    assert feat.shape == (2, 2048)
    feat.pow(2).mean().backward()
    grads = [p.grad for p in resnext101.parameters()]
    assert all(g is not None and torch.isfinite(g).all() for g in grads)
    assert resnext101.conv1.weight.grad.abs().sum() > 0 and resnext101.layer4[2].conv3.weight.grad.abs().sum() > 0


def test_avgpool_kernel_follows_the_official_formula():
    m = ResNeXt3D(layers=(1, 1, 1, 1), cardinality=2, planes=(32, 32, 32, 32), stem_channels=8,
                  sample_size=224, sample_duration=10)
    assert m.avgpool.kernel_size == (1, 7, 7) and m.avgpool.stride == 1
    assert ResNeXt3D(layers=(1, 1, 1, 1), cardinality=2, planes=(32,) * 4, stem_channels=8,
                     sample_size=112, sample_duration=16).avgpool.kernel_size == (1, 4, 4)
    small = ResNeXt3D(layers=(1, 1, 1, 1), cardinality=2, planes=(32,) * 4, stem_channels=8, sample_size=32,
                      sample_duration=4).eval()
    assert small(torch.randn(1, 3, 4, 32, 32)).shape == (1, 64)
    with pytest.raises(ValueError, match="sample_size"):
        small(torch.randn(1, 3, 4, 96, 96))   # pooled map 2x2: the official view() would mix positions
