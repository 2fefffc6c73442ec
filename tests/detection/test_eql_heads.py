"""The EQL paper's LVIS rule in the mmdet heads: a rare category in a RoI's image's positive or
negative set keeps its negative gradient; other rare categories lose it."""
import pytest

pytest.importorskip("mmcv._ext", reason="needs mmcv's compiled ops (mmcv-lite has none): run scripts/setup.sh --ops")

import torch
from mmdet.structures import DetDataSample
from mmengine.registry import DefaultScope
from mmengine.structures import InstanceData

import lt_repro.mm  # noqa: F401
from lt_repro.mm.detection import LTEQLBBoxHead, image_class_sets


@pytest.fixture(autouse=True)
def mmdet_scope():
    """The heads build mmdet's components (box coder, losses): mmdet's scope, whatever an earlier test left."""
    with DefaultScope.overwrite_default_scope("mmdet"):
        yield


def _sample(labels, neg_labels):
    s = DetDataSample(metainfo=dict(neg_labels=neg_labels))
    s.gt_instances = InstanceData(labels=torch.tensor(labels))
    return s


def test_image_class_sets():
    sets = image_class_sets([_sample([0], [3]), _sample([2, 2], [])], 4, "cpu")
    assert sets.tolist() == [[True, False, False, True], [False, False, True, False]]


def test_bbox_head_applies_the_rule_per_roi_image():
    torch.manual_seed(0)
    loss_cls = dict(type="LTEqualizationLoss", class_frequency=[0.5, 0.01, 0.01, 0.5], lambda_=0.1,
                    use_image_level_sets=True)
    head = LTEQLBBoxHead(num_classes=4, in_channels=8, fc_out_channels=16, roi_feat_size=2, loss_cls=loss_cls)
    assert head.fc_cls.out_features == 4  # C-way sigmoid, no background column
    head.image_sets = torch.tensor([[True, True, False, False], [False, False, False, False]])
    cls_score = torch.zeros(2, 4, requires_grad=True)
    rois = torch.tensor([[0, 0, 0, 8, 8], [1, 0, 0, 8, 8]], dtype=torch.float)
    labels = torch.tensor([0, 3])  # foreground RoIs of image 0 and image 1
    losses = head.loss(cls_score, None, rois, labels, torch.ones(2), None, None)
    losses["loss_cls"].backward()
    grad = cls_score.grad
    # classes 1, 2 are rare; image 0 has class 1 in its sets -> class 1 kept, class 2 dropped;
    # image 1 has no sets -> both rare negatives dropped
    assert grad[0, 1] != 0 and grad[0, 2] == 0 and grad[1, 1] == 0 and grad[1, 2] == 0
    assert grad[0, 3] != 0 and grad[1, 0] != 0  # frequent negatives always count
