"""Every detection config loads with mmengine, builds its model through the registry, and says what it
should: the loss type, classifier width, sampler wrapping, test thresholds, and a source per override."""
import re
from pathlib import Path

import pytest

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
def test_eql_config(path):
    cfg = _load(path)
    h = cfg.model.roi_head.bbox_head
    loss = path.name.split("_")[0].replace("-paper", "")
    ds = cfg.train_dataloader.dataset
    if path.name.endswith("-random.py"):  # the paper rule's dataset also keeps neg_category_ids
        assert ds.type == ("LTLVISV05Dataset" if path.name.startswith("eql-paper") else "LVISV05Dataset")
    else:
        assert ds.type == "ClassBalancedDataset" and ds.oversample_thr == 5e-4
    assert cfg.train_cfg.type == "IterBasedTrainLoop" and cfg.train_cfg.max_iters == 90000
    assert cfg.param_scheduler[1].milestones == [60000, 80000] and cfg.optim_wrapper.optimizer.lr == 0.02
    assert cfg.model.roi_head.mask_head.class_agnostic == ("-paper" in path.name)
    model = _build_small(cfg, freq_len=1230)
    fc_cls = model.roi_head.bbox_head.fc_cls
    if loss == "ce":
        assert h.loss_cls.type == "CrossEntropyLoss" and not h.loss_cls.use_sigmoid
        assert fc_cls.out_features == 1231  # softmax with a background logit
    else:
        assert h.loss_cls.type == "LTEqualizationLoss"
        assert h.loss_cls.lambda_ == {"sigmoid": 0.0, "eql": 0.00177 if "-paper" not in path.name else 0.00176}[loss]
        assert fc_cls.out_features == 1230  # C-way sigmoid, no background column
        paper_rule = path.name.startswith("eql-paper")  # the paper's LVIS positive/negative-set rule
        assert h.loss_cls.use_image_level_sets == paper_rule
        assert type(model.roi_head.bbox_head).__name__ == ("LTEQLBBoxHead" if paper_rule else "Shared2FCBBoxHead")
        model.init_weights()
        assert abs(float(fc_cls.bias.mean()) - (-6.9068)) < 1e-3  # -log((1 - 0.001) / 0.001)


@pytest.mark.parametrize("path", CE_V1, ids=lambda p: p.name)
def test_ce_baseline_config(path):
    cfg = _load(path)
    assert cfg.model.roi_head.bbox_head.loss_cls.type == "CrossEntropyLoss"
    ds = cfg.train_dataloader.dataset
    assert ds.type == "ClassBalancedDataset" and ds.oversample_thr == 1e-3 and ds.dataset.type == "LVISV1Dataset"
    assert cfg.train_cfg.max_epochs == 12 and cfg.param_scheduler[1].milestones == [8, 11]
    model = _build_small(cfg)
    assert model.roi_head.bbox_head.fc_cls.out_features == 1204
