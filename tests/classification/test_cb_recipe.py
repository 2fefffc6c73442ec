"""CB's recipes (configs/cb) against the official code, richardaecn/class-balanced-loss: the merged config of
grid cells, the optimiser's parameter groups, the initialisation, the learning-rate schedule over a whole run,
and the TPU image preprocessing. Each official value is quoted with its file; configs/fidelity/cb.yaml lists
them all."""
import math
from pathlib import Path

import numpy as np
import pytest
import torch
from torch import nn

pytest.importorskip("mmengine")

REPO = Path(__file__).resolve().parents[2]
GRID_CIFAR = "configs/cb/grid.yaml"
GRID_LARGE = "configs/cb/grid-imagenet-inat.yaml"


def merged(grid_path: str, dataset: str, loss: str, backbone: str | None = None):
    """(config, experiment) of one grid cell: the config with the cell's --set overrides applied, as
    lt_repro.grid renders them for the workflow."""
    from mmengine.config import Config

    from lt_repro.grid import experiments, load_grid
    from lt_repro.mm.config import apply_overrides

    exp, = [e for e in experiments(load_grid(REPO / grid_path), slug="cb") if e.stage1 is None
            and (e.meta["dataset"], e.meta["loss"]) == (dataset, loss) and (backbone in (None, e.meta["backbone"]))]
    cfg = Config.fromfile(REPO / exp.config)
    apply_overrides(cfg, exp.overrides, source=grid_path)
    return cfg, exp


def build_model(cfg, **changes):
    from lt_repro.mm.classification import LTImageClassifier

    spec = {k: v for k, v in cfg.model.items() if k != "type"}
    spec.update(changes)
    if spec["loss"].get("samples_per_class") == "${train_counts}":
        spec["loss"] = {**spec["loss"], "samples_per_class": [1 + c % 100 for c in range(spec["num_classes"])]}
    return LTImageClassifier(**spec)


# --- ImageNet / iNaturalist (tpu/) --------------------------------------------------------------------------

# LR flag of the official run scripts: a rate per 256 images (resnet_main.py learning_rate_schedule:
# base_learning_rate * train_batch_size / 256). CB focal: tpu/run_ILSVRC2012.sh LR=0.2, run_inat2017.sh and
# run_inat2018.sh LR=0.4; the softmax baseline: the flag's default 0.1 (tensorflow/tpu resnet_main.py).
BASE_LR_PER_256 = {"ilsvrc2012": 0.2, "inat2017": 0.4, "inat2018": 0.4}
# paper sec. 5.2: focal gets a 2x (ILSVRC 2012) / 4x (iNaturalist) larger learning rate than softmax
FOCAL_OVER_SOFTMAX = {"ilsvrc2012": 2, "inat2017": 4, "inat2018": 4}


@pytest.mark.parametrize("backbone", ["resnet50", "resnet101", "resnet152"])
@pytest.mark.parametrize("dataset", ["ilsvrc2012", "inat2017", "inat2018"])
def test_large_scale_learning_rate_per_cell(dataset, backbone):
    lrs = {}
    for loss in ("softmax", "cb-focal", "cb-focal-320"):
        cfg, exp = merged(GRID_LARGE, dataset, loss, backbone)
        batch = cfg.train_dataloader.batch_size * exp.resources.gpu
        assert batch == 1024  # run_*.sh TRAIN_BATCH_SIZE
        lrs[loss] = cfg.optim_wrapper.optimizer.lr
        base = 0.1 if loss == "softmax" else BASE_LR_PER_256[dataset]
        assert lrs[loss] == pytest.approx(base * batch / 256, rel=1e-12)
        assert cfg.model.backbone.arch == backbone
    assert lrs["softmax"] == pytest.approx(0.4, rel=1e-12)
    assert lrs["cb-focal"] == lrs["cb-focal-320"] == pytest.approx(0.4 * FOCAL_OVER_SOFTMAX[dataset], rel=1e-12)
    assert {"ilsvrc2012": 0.8, "inat2017": 1.6, "inat2018": 1.6}[dataset] == pytest.approx(lrs["cb-focal"])


def _decay_by_param(cfg, model) -> dict[str, float]:
    from mmengine.optim import build_optim_wrapper

    wrapper = build_optim_wrapper(model, cfg.optim_wrapper)
    by_id = {id(p): g["weight_decay"] for g in wrapper.optimizer.param_groups for p in g["params"]}
    return {name: by_id[id(p)] for name, p in model.named_parameters()}


@pytest.mark.parametrize("loss", ["softmax", "cb-focal"])
def test_large_scale_optimiser_and_weight_decay_groups(loss):
    """resnet_main.py: MomentumOptimizer(momentum 0.9, use_nesterov=True); L2 1e-4 on every trainable variable
    but 'batch_normalization' ones and, for CB focal, 'dense/bias' (tensorflow/tpu's softmax: BN only)."""
    cfg, _ = merged(GRID_LARGE, "inat2018", loss, "resnet50")
    model = build_model(cfg, num_classes=10)
    decay = _decay_by_param(cfg, model)
    opt = cfg.optim_wrapper.optimizer
    assert (opt.type, opt.momentum, opt.nesterov) == ("SGD", 0.9, True)
    norms = [name for name, m in model.named_modules() if isinstance(m, nn.BatchNorm2d)]
    bn = {f"{name}.{p}" for name in norms for p in ("weight", "bias")}
    assert len(bn) == 2 * 53  # ResNet-50: 53 BatchNorm layers
    exempt = bn | ({"head.bias"} if loss == "cb-focal" else set())
    assert {n for n, wd in decay.items() if wd == 0.0} == exempt
    assert {wd for n, wd in decay.items() if n not in exempt} == {1e-4}


@pytest.mark.parametrize("loss", ["softmax", "cb-focal"])
def test_large_scale_initialisation(loss):
    """resnet_model.py: convolutions tf.variance_scaling_initializer() (fan_in, truncated normal), the last
    BatchNorm γ of each block 0, the final dense N(0, 0.01²) with bias −log(C−1) (CB focal) or 0 (softmax)."""
    torch.manual_seed(0)
    cfg, _ = merged(GRID_LARGE, "inat2018", loss, "resnet50")
    model = build_model(cfg)
    net = model.backbone.net
    blocks = [b for layer in (net.layer1, net.layer2, net.layer3, net.layer4) for b in layer]
    assert len(blocks) == 16 and all(not b.bn3.weight.any() for b in blocks)
    others = [m.weight for n, m in net.named_modules() if isinstance(m, nn.BatchNorm2d) and not n.endswith("bn3")]
    assert len(others) == 53 - 16 and all(torch.equal(w, torch.ones_like(w)) for w in others)
    # resnet_model.py BATCH_NORM_DECAY 0.9 (torch momentum 0.1), BATCH_NORM_EPSILON 1e-5
    assert {(m.momentum, m.eps) for m in net.modules() if isinstance(m, nn.BatchNorm2d)} == {(0.1, 1e-5)}
    for conv in (net.conv1, net.layer4[0].conv2, net.layer3[0].conv1):
        w = conv.weight.detach()
        sigma = math.sqrt(1.0 / w[0].numel())            # std after truncation at ±2σ' (σ' = sigma / 0.8796)
        assert float(w.std()) == pytest.approx(sigma, rel=0.03)
        assert float(w.abs().max()) <= 2 * sigma / 0.87962566103423978 + 1e-7
    head = model.head
    assert head.weight.shape == (8142, 2048)
    assert float(head.weight.detach().std()) == pytest.approx(0.01, rel=0.01)
    prior = -math.log(8142 - 1) if loss == "cb-focal" else 0.0
    assert torch.allclose(head.bias, torch.full_like(head.bias, prior))


def _official_lr(epoch: float, peak: float, schedule) -> float:
    """learning_rate_schedule of cifar_main.py and resnet_main.py: linear from 0 to ``peak`` over the first
    boundary's epochs, then ``peak · multiplier`` from each boundary on. ``schedule``: (multiplier, epoch)."""
    lr = peak * epoch / schedule[0][1]
    for mult, start in schedule:
        lr = lr if epoch < start else peak * mult
    return lr


def _our_lrs(cfg, epoch_length: int) -> list[float]:
    """The lr of every iteration when mmengine's ParamSchedulerHook steps the config's schedulers (iter-based
    ones after each iteration, epoch-based ones after each epoch)."""
    from mmengine.optim import OptimWrapper
    from mmengine.registry import PARAM_SCHEDULERS

    opt = OptimWrapper(torch.optim.SGD([nn.Parameter(torch.zeros(1))], lr=cfg.optim_wrapper.optimizer.lr))
    schedulers = []
    for spec in cfg.param_scheduler:
        spec = dict(spec)
        cls = PARAM_SCHEDULERS.get(spec.pop("type"))
        if spec.pop("convert_to_iter_based", False):
            schedulers.append(cls.build_iter_from_epoch(opt, epoch_length=epoch_length, **spec))
        else:
            schedulers.append(cls(opt, **spec))
    lrs = []
    for _ in range(cfg.train_cfg.max_epochs):
        for _ in range(epoch_length):
            lrs.append(opt.param_groups[0]["lr"])
            opt.step()  # a step with this lr (the parameter has no gradient), then the scheduler's step
            for s in schedulers:
                if not s.by_epoch:
                    s.step()
        for s in schedulers:
            if s.by_epoch:
                s.step()
    return lrs


@pytest.mark.parametrize("grid_path, dataset, loss, backbone, schedule", [
    # cifar_im_trainval*.sh --learning-rate-multiplier 1 0.01 0.0001 with cifar_main.py's boundaries 5 160 180
    (GRID_CIFAR, "cifar10lt-r100", "cb-focal", None, [(1.0, 5), (0.01, 160), (0.0001, 180)]),
    # cifar_trainval.sh (balanced sets): cifar_main.py's default multipliers 1 0.1 0.01
    (GRID_CIFAR, "cifar100lt-r1", "softmax", None, [(1.0, 5), (0.1, 160), (0.01, 180)]),
    # resnet_main.py LR_SCHEDULE
    (GRID_LARGE, "inat2017", "cb-focal", "resnet50", [(1.0, 5), (0.1, 30), (0.01, 60), (0.001, 80)]),
])
def test_schedule_follows_the_official_formula(grid_path, dataset, loss, backbone, schedule):
    cfg, _ = merged(grid_path, dataset, loss, backbone)
    L = 12  # iterations per epoch: the official epoch is global_step · batch / N, here step / L
    peak = cfg.optim_wrapper.optimizer.lr
    ours = _our_lrs(cfg, L)
    assert len(ours) == L * {GRID_CIFAR: 200, GRID_LARGE: 90}[grid_path]
    warm = 5 * L
    for t, lr in enumerate(ours):
        official = _official_lr(t / L, peak, schedule)
        if t < warm:  # LinearLR reaches the peak one step early and starts at 1e-6 of it, not 0
            assert abs(lr - official) <= peak * (1 / warm + 2e-6), t
        else:
            assert lr == pytest.approx(official, rel=1e-9), t


def test_large_scale_model_precision_and_eval():
    cfg, _ = merged(GRID_LARGE, "ilsvrc2012", "cb-focal-320", "resnet152")
    assert cfg.amp == "bf16"  # resnet_main.py --precision bfloat16
    assert cfg.train_dataloader.dataset.image_size == cfg.test_dataloader.dataset.image_size == 320
    assert cfg.model.backbone.weights is None and cfg.train_cfg.max_epochs == 90


# --- CIFAR (src/) ------------------------------------------------------------------------------------------

@pytest.mark.parametrize("loss", ["softmax", "cb-focal"])
def test_cifar_initialisation(loss):
    """model_base.py: tf.layers.conv2d / dense without initialisers (glorot_uniform, bias 0), the dense bias
    −log(C−1) for sigmoid / focal."""
    torch.manual_seed(0)
    cfg, _ = merged(GRID_CIFAR, "cifar100lt-r100", loss)
    model = build_model(cfg)
    w = model.head.weight.detach()
    bound = math.sqrt(6 / (64 + 100))
    assert float(w.abs().max()) <= bound and float(w.std()) == pytest.approx(bound / math.sqrt(3), rel=0.05)
    prior = -math.log(100 - 1) if loss == "cb-focal" else 0.0
    assert torch.allclose(model.head.bias, torch.full_like(model.head.bias, prior))
    # cifar_main.py --batch-norm-decay 0.9 (torch momentum 0.1), --batch-norm-epsilon 1e-5
    assert {(m.momentum, m.eps) for m in model.modules() if isinstance(m, nn.BatchNorm2d)} == {(0.1, 1e-5)}
    conv = model.backbone.blocks[14].conv2.weight.detach()  # 64 → 64, 3×3
    bound = math.sqrt(6 / (2 * 64 * 9))
    assert float(conv.abs().max()) <= bound and float(conv.std()) == pytest.approx(bound / math.sqrt(3), rel=0.03)


@pytest.mark.parametrize("loss, exempt", [("softmax", set()), ("sigmoid", {"head.bias"}), ("cb-focal", {"head.bias"})])
def test_cifar_weight_decay_groups(loss, exempt):
    """cifar_main.py _tower_fn: L2 2e-4 on every trainable variable (BatchNorm included); sigmoid and focal
    leave out 'dense/bias'. MomentumOptimizer without Nesterov."""
    cfg, _ = merged(GRID_CIFAR, "cifar10lt-r10", loss)
    model = build_model(cfg)
    decay = _decay_by_param(cfg, model)
    assert {n for n, wd in decay.items() if wd == 0.0} == exempt
    assert {wd for n, wd in decay.items() if n not in exempt} == {2e-4}
    opt = cfg.optim_wrapper.optimizer
    assert (opt.lr, opt.momentum, opt.get("nesterov", False)) == (0.1, 0.9, False)


# --- TPU preprocessing (resnet_preprocessing.py, resnet_main.py) -------------------------------------------

def test_padded_center_crop_matches_the_tpu_geometry():
    from PIL import Image

    from lt_repro.data.images import PaddedCenterCrop

    assert [PaddedCenterCrop(s).pad for s in (224, 320, 448)] == [32, 46, 64]  # CROP_PADDING
    rng = np.random.default_rng(0)
    for size, side in ((224, 256), (320, 366)):
        # h > w: the square's side is w · size / (size + pad) = size
        pixels = rng.integers(0, 256, (side + 10, side, 3), dtype=np.uint8)
        out = np.asarray(PaddedCenterCrop(size)(Image.fromarray(pixels)))
        off_w, off_h = (side - size + 1) // 2, (side + 10 - size + 1) // 2
        assert out.shape == (size, size, 3)
        assert np.abs(out.astype(int) - pixels[off_h:off_h + size, off_w:off_w + size].astype(int)).max() <= 1


def test_cb_sources_use_the_tpu_preprocessing(tmp_path):
    from PIL import Image

    from lt_repro.data import sources
    from lt_repro.data.images import INAT_MEAN, INAT_STD, IMAGENET_MEAN, IMAGENET_STD

    path = tmp_path / "flat.png"
    rgb = (128, 64, 32)
    Image.new("RGB", (300, 280), rgb).save(path)
    for name, mean, std in (("imagenet", IMAGENET_MEAN, IMAGENET_STD), ("inat2017", INAT_MEAN, INAT_STD),
                            ("inat2018", INAT_MEAN, INAT_STD)):
        src = sources.get(name)
        assert (src.mean, src.std) == (mean, std)
        for subset in ("train", "test"):
            x = src.decode(np.asarray([str(path)]), subset, 320)[0]
            want = torch.tensor([(c / 255 - m) / s for c, m, s in zip(rgb, mean, std)]).view(3, 1, 1)
            assert x.shape == (3, 320, 320) and torch.allclose(x, want.expand_as(x), atol=1e-5)
        crop = src.decode(np.asarray([str(path)]), "train").transform.transforms[0]
        assert crop.scale == (0.1, 1.0) and crop.interpolation.value == "bicubic"  # min_object_covered 0.1
    # iNat mean/std: resnet_main.py MEAN_RGB / STDDEV_RGB of iNaturalist
    assert (INAT_MEAN, INAT_STD) == ((0.466, 0.471, 0.380), (0.195, 0.194, 0.192))
