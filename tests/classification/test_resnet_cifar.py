"""The two CIFAR ResNet-32 variants: CB's (TF model) and Idelbayev's (CDB's official network)."""
import math

import pytest
import torch
import torch.nn.functional as F
from torch import nn

from lt_repro.models import ResNet32
from lt_repro.models.resnet_cifar import BasicBlockV1


def _count(module: nn.Module) -> int:
    return sum(p.numel() for p in module.parameters() if p.requires_grad)


@pytest.mark.parametrize("variant", ["cb", "idelbayev"])
def test_resnet32_parameter_and_layer_count(variant):
    """akamaster/pytorch_resnet_cifar10 resnet.py: ResNet32 has 0.46M parameters with its 10-class
    linear (its test() prints 464154) and 32 weighted layers (31 convolutions + the linear)."""
    net = ResNet32(variant=variant)
    head = nn.Linear(net.out_channels, 10)
    assert _count(net) + _count(head) == 464154
    weighted = [p for p in list(net.parameters()) + list(head.parameters()) if p.dim() > 1]
    assert len(weighted) == 32
    assert net(torch.zeros(2, 3, 32, 32)).shape == (2, 64)


def _downsampling_block(variant: str) -> BasicBlockV1:
    """The first block of stage 2 (16 → 32 channels, stride 2), its residual branch silenced so the
    block computes relu(shortcut(x))."""
    block = ResNet32(variant=variant).blocks[5]
    assert (block.conv1.in_channels, block.conv1.out_channels, block.stride) == (16, 32, 2)
    nn.init.zeros_(block.bn2.weight)
    nn.init.zeros_(block.bn2.bias)
    return block.eval()


def test_idelbayev_shortcut_keeps_every_second_pixel():
    x = torch.randn(2, 16, 8, 8)
    block = _downsampling_block("idelbayev")
    planes = 32  # official LambdaLayer: F.pad(x[:, :, ::2, ::2], (0, 0, 0, 0, planes//4, planes//4))
    expected = F.relu(F.pad(x[:, :, ::2, ::2], (0, 0, 0, 0, planes // 4, planes // 4), "constant", 0))
    with torch.no_grad():
        assert torch.equal(block(x), expected)


def test_cb_shortcut_average_pools():
    x = torch.randn(2, 16, 8, 8)
    block = _downsampling_block("cb")
    expected = F.relu(F.pad(F.avg_pool2d(x, 2, 2), (0, 0, 0, 0, 8, 8)))
    with torch.no_grad():
        assert torch.allclose(block(x), expected)
        assert not torch.allclose(block(x), _downsampling_block("idelbayev")(x))


def test_identity_shortcut_in_both_variants():
    x = torch.randn(1, 16, 8, 8)
    for variant in ("cb", "idelbayev"):
        block = ResNet32(variant=variant).blocks[1]
        assert torch.equal(block.shortcut(x), x)


def _conv_std(net: nn.Module) -> tuple[float, float]:
    """Sample std of the 64→64 convolutions' weights and the std kaiming_normal_ (fan-in, gain √2) gives."""
    w = torch.cat([m.weight.detach().flatten() for m in net.modules()
                   if isinstance(m, nn.Conv2d) and m.in_channels == m.out_channels == 64])
    return float(w.std()), math.sqrt(2.0 / (64 * 9))


def test_idelbayev_init_is_kaiming_normal():
    torch.manual_seed(0)
    got, kaiming = _conv_std(ResNet32(variant="idelbayev"))
    assert got == pytest.approx(kaiming, rel=0.02)  # 9 convs × 36864 weights
    torch.manual_seed(0)
    got_cb, _ = _conv_std(ResNet32(variant="cb"))
    # TF glorot_uniform: U(±sqrt(6 / (576 + 576))), std = bound / √3 (CB's tf.layers.conv2d default)
    assert got_cb == pytest.approx(math.sqrt(6 / (2 * 64 * 9)) / math.sqrt(3), rel=0.02)
    bn = [m for m in ResNet32(variant="idelbayev").modules() if isinstance(m, nn.BatchNorm2d)]
    assert all(torch.equal(m.weight, torch.ones_like(m.weight)) and not m.bias.any() for m in bn)


def test_unknown_variant_is_refused():
    with pytest.raises(ValueError, match="variant must be one of"):
        ResNet32(variant="b")


def test_cdb_cifar_config_builds_the_official_network():
    """configs/cdb: Idelbayev's ResNet-32, a default-initialised 100-way linear (cifar_train.py replaces
    the network's linear after its kaiming init) with bias −log(C−1)."""
    pytest.importorskip("mmengine")
    from pathlib import Path

    from mmengine.config import Config

    from lt_repro.mm.classification import LTImageClassifier

    cfg = Config.fromfile(Path(__file__).resolve().parents[2] / "configs/cdb/resnet32_1xb32-240e_cifar100-lt.py")
    spec = {k: v for k, v in cfg.model.to_dict().items() if k != "type"}
    torch.manual_seed(0)
    model = LTImageClassifier(**spec)
    assert model.backbone.variant == "idelbayev"
    assert torch.allclose(model.head.bias, torch.full((100,), -math.log(99)))
    bound = 1 / math.sqrt(64)  # nn.Linear default: U(−1/√fan_in, 1/√fan_in)
    largest = float(model.head.weight.detach().abs().max())
    assert 0.9 * bound < largest <= bound
