_base_ = './eql_mask-rcnn-r50-fpn_8xb2-90k_lvis-v05-random.py'
# EQL (Tan et al., CVPR 2020), OFFICIAL-CODE variant: Mask R-CNN R-50-FPN, LVIS v0.5, softmax cross-entropy
# baseline (mmdet CrossEntropyLoss, C + 1 logits), random sampler. The README's "MaskRCNN" rows
# (tztztztztz/eql.detectron2@29224acf4ea549c53264e6229da69868bd5470f3 projects/EQL/README.md:55-64, 86-95) have no
# config in the repository: this is the EQL config (projects/EQL/configs/eql_mask_rcnn_R_50_FPN_1x.yaml, our
# eql_mask-rcnn-r50-fpn_8xb2-90k_lvis-v05-random.py: model, data, schedule) with detectron2's standard softmax box
# predictor in place of EQL. Paths in the comments below are files of that commit.
# Every value against the official one: configs/fidelity/eql.yaml.
custom_imports = dict(imports=['lt_repro.mm'], allow_failed_imports=False)  # source: lt_repro convention (no EQL heads)

model = dict(
    roi_head=dict(
        bbox_head=dict(
            loss_cls=dict(_delete_=True, type='CrossEntropyLoss', use_sigmoid=False, loss_weight=1.0),  # source: detectron2/modeling/roi_heads/fast_rcnn.py:197-205 softmax cross-entropy over C + 1 logits (mmdet's default loss_cls)
            init_cfg=[  # source: see the three entries
                dict(type='Normal', std=0.01, override=dict(name='fc_cls')),  # source: detectron2/modeling/roi_heads/fast_rcnn.py:383,386 (std 0.01, bias 0)
                dict(type='Normal', std=0.001, override=dict(name='fc_reg')),  # source: detectron2/modeling/roi_heads/fast_rcnn.py:384,386 (std 0.001, bias 0)
                dict(type='Kaiming', a=1, mode='fan_in', nonlinearity='leaky_relu', distribution='uniform', override=[dict(name='shared_fcs'), dict(name='cls_fcs'), dict(name='reg_fcs')]),  # source: detectron2/modeling/roi_heads/box_head.py:71 c2_xavier_fill
            ],
        )))
