"""Every detection config loads with mmengine, builds its model through the registry, and says what it
should: the loss type, classifier width, sampler wrapping, test thresholds, and a source per override."""
import math
import re
from pathlib import Path

import pytest

# each test builds a detection model through mmdet (about a second apiece)
pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parents[2]
SEESAW = sorted((REPO / "configs/seesaw").glob("seesaw*.py"))
CE_V1 = sorted((REPO / "configs/seesaw").glob("ce_*.py"))
EQL = sorted(p for p in (REPO / "configs/eql").glob("*.py") if not p.name.startswith("cls_"))
LEAF = re.compile(r"\b[a-z_]+=(?:-?[\d.]|'|\"|\[|True|False|None)")


def _load(path):
    import lt_repro.mm  # noqa: F401
    from mmengine.config import Config

    return Config.fromfile(str(path))


def _build_small(cfg, freq_len=None):
    """Build the model with a ResNet-18 (no download); the placeholder gets a dummy frequency."""
    from mmdet.registry import MODELS
    from mmdet.utils import register_all_modules

    from lt_repro.detect import FREQ_PLACEHOLDER

    register_all_modules(init_default_scope=True)
    m = cfg.model
    m.backbone.update(depth=18, init_cfg=None)
    m.neck.in_channels = [64, 128, 256, 512]
    heads = m.roi_head.bbox_head if isinstance(m.roi_head.bbox_head, list) else [m.roi_head.bbox_head]
    for h in heads:
        if h.loss_cls.get("class_frequency") == FREQ_PLACEHOLDER:
            h.loss_cls.class_frequency = [0.5] * (freq_len - 1) + [0.001]
    return MODELS.build(m)


def test_grid_is_complete():
    assert len(SEESAW) == 12 and len(EQL) == 12 and len(CE_V1) == 2


@pytest.mark.parametrize("path", SEESAW + EQL + CE_V1, ids=lambda p: p.name)
def test_every_override_has_a_source(path):
    text = path.read_text()
    assert "custom_imports = dict(imports=['lt_repro.mm'" in text or "_base_ = './" in text
    assert text.startswith("_base_ = 'mmdet::") or text.startswith("_base_ = './")
    missing = [line for line in text.splitlines()
               if LEAF.search(line.split("#")[0]) and "source:" not in line and not line.startswith("_base_")
               and line.strip() != "_delete_=True,"]
    assert not missing, f"{path.name}: values without '# source:' {missing}"


@pytest.mark.parametrize("path", SEESAW, ids=lambda p: p.name)
@pytest.mark.needs_ops  # builds the detector through mmdet, whose RoI heads import mmcv's ops
def test_seesaw_config(path):
    cfg = _load(path)
    heads = cfg.model.roi_head.bbox_head
    heads = heads if isinstance(heads, list) else [heads]
    assert len(heads) == (3 if "cascade" in path.name else 1)
    for h in heads:
        assert h.loss_cls.type == "LTSeesawLoss"
        assert (h.loss_cls.p, h.loss_cls.q, h.loss_cls.num_classes) == (0.8, 2.0, 1203)
        assert h.cls_predictor_cfg == dict(type="NormedLinear", tempearture=20)
    normed = cfg.model.roi_head.mask_head.get("predictor_cfg")
    assert (normed == dict(type="NormedConv2d", tempearture=20)) == path.name.startswith("seesaw-normed-mask")
    ds = cfg.train_dataloader.dataset
    if path.name.endswith("-random.py"):
        assert ds.type == "LVISV1Dataset"  # never wrapped in ClassBalancedDataset
    else:
        assert ds.type == "ClassBalancedDataset" and ds.oversample_thr == 1e-3
    assert cfg.train_cfg.max_epochs == 24 and cfg.optim_wrapper.optimizer.lr == 0.02
    assert cfg.param_scheduler[1].milestones == [16, 22]
    assert cfg.train_dataloader.batch_size == 2  # x 8 GPUs = 16
    assert (cfg.model.test_cfg.rcnn.score_thr, cfg.model.test_cfg.rcnn.max_per_img) == (1e-4, 300)
    model = _build_small(cfg)
    bbox_head = model.roi_head.bbox_head[0] if "cascade" in path.name else model.roi_head.bbox_head
    assert type(bbox_head.loss_cls).__name__ == "SeesawLoss"
    assert bbox_head.fc_cls.weight.shape[0] == 1203 + 2  # C classes + objectness pair


@pytest.mark.parametrize("path", EQL, ids=lambda p: p.name)
@pytest.mark.needs_ops  # builds the detector through mmdet, whose RoI heads import mmcv's ops
def test_eql_config(path):
    """Official-code cells: detectron2's 1x (90k iterations at 16 images); paper cells: sec. 4.2 (25 epochs at 32)."""
    cfg = _load(path)
    h = cfg.model.roi_head.bbox_head
    loss = path.name.split("_")[0].replace("-paper", "")
    paper = "-paper" in path.name
    ds, sampler = cfg.train_dataloader.dataset, cfg.train_dataloader.sampler
    if path.name.endswith("-random.py"):  # the paper rule's dataset also keeps neg_category_ids
        assert ds.type == ("LTLVISV05Dataset" if path.name.startswith("eql-paper") else "LVISV05Dataset")
        assert sampler.type == ("ResumableSampler" if paper else "DefaultSampler") and sampler.shuffle
        inner = ds
    else:  # repeat factors drawn per epoch (detectron2), not mmengine's ceil repetition
        assert ds.type == "LTRepeatFactorDataset" and ds.oversample_thr == 5e-4
        assert sampler == dict(type="LTRepeatFactorSampler")
        inner = ds.dataset
    assert inner.filter_cfg == dict(filter_empty_gt=True, min_size=0)
    rcnn_test = cfg.model.test_cfg.rcnn
    if paper:
        assert cfg.train_cfg.type == "ResumableEpochBasedTrainLoop" and cfg.train_cfg.max_epochs == 25
        assert cfg.param_scheduler[1].milestones == [16, 22] and cfg.optim_wrapper.optimizer.lr == 0.04
        assert cfg.train_dataloader.batch_size == 4  # x 8 GPUs = 32
        assert (rcnn_test.score_thr, rcnn_test.max_per_img) == (0.0, 300)
        assert [t.type for t in inner.pipeline][2] == "Resize" and inner.pipeline[2].scale == (1333, 800)
    else:
        assert cfg.train_cfg.type == "IterBasedTrainLoop" and cfg.train_cfg.max_iters == 90000
        assert cfg.param_scheduler[1].milestones == [60000, 80000] and cfg.optim_wrapper.optimizer.lr == 0.02
        assert cfg.train_dataloader.batch_size == 2  # x 8 GPUs = 16
        assert (rcnn_test.score_thr, rcnn_test.max_per_img) == (1e-4, 300)
        assert cfg.model.train_cfg.rpn.assigner.min_pos_iou == 0.0  # detectron2 low-quality RPN matches
    assert cfg.model.roi_head.mask_head.class_agnostic == paper
    model = _build_small(cfg, freq_len=1230)
    fc_cls = model.roi_head.bbox_head.fc_cls
    if loss == "ce":
        assert h.loss_cls.type == "CrossEntropyLoss" and not h.loss_cls.use_sigmoid
        assert fc_cls.out_features == 1231  # softmax with a background logit
    else:
        assert h.loss_cls.type == "LTEqualizationLoss"
        assert h.loss_cls.lambda_ == {"sigmoid": 0.0, "eql": 0.00177}[loss]
        assert fc_cls.out_features == 1230  # C-way sigmoid, no background column
        paper_rule = path.name.startswith("eql-paper")  # the paper's LVIS positive/negative-set rule
        assert h.loss_cls.use_image_level_sets == paper_rule
        assert type(model.roi_head.bbox_head).__name__ == ("LTEQLBBoxHead" if paper_rule else "Shared2FCBBoxHead")
    model.init_weights()
    if loss != "ce":
        assert abs(float(fc_cls.bias.mean()) - (-6.9068)) < 1e-3  # -log((1 - 0.001) / 0.001)
    # official cells: box-head fcs and FPN convs as detectron2's c2_xavier_fill, kaiming_uniform(a=1):
    # bound sqrt(3 / fan_in); mmdet's Xavier default gives sqrt(6 / (fan_in + fan_out)) instead
    fc1 = model.roi_head.bbox_head.shared_fcs[0].weight
    lateral = model.neck.lateral_convs[0].conv.weight  # ResNet-18 C2: 64 -> 256 channels
    for w in (fc1, lateral):
        fan_in, fan_out = w[0].numel(), w.shape[0] * w[0, 0].numel()
        kaiming, xavier = math.sqrt(3 / fan_in), math.sqrt(6 / (fan_in + fan_out))
        assert abs(kaiming - xavier) > 0.2 * kaiming  # the two rules are told apart
        bound = xavier if paper else kaiming
        assert 0.95 * bound < float(w.detach().abs().max()) <= bound * (1 + 1e-6)  # float32 rounding


@pytest.mark.parametrize("path", CE_V1, ids=lambda p: p.name)
@pytest.mark.needs_ops  # builds the detector through mmdet, whose RoI heads import mmcv's ops
def test_ce_baseline_config(path):
    cfg = _load(path)
    assert cfg.model.roi_head.bbox_head.loss_cls.type == "CrossEntropyLoss"
    ds = cfg.train_dataloader.dataset
    assert ds.type == "ClassBalancedDataset" and ds.oversample_thr == 1e-3 and ds.dataset.type == "LVISV1Dataset"
    assert cfg.train_cfg.max_epochs == 12 and cfg.param_scheduler[1].milestones == [8, 11]
    model = _build_small(cfg)
    assert model.roi_head.bbox_head.fc_cls.out_features == 1204
