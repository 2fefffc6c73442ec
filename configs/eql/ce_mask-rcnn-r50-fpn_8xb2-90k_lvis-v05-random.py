_base_ = 'mmdet::lvis/mask-rcnn_r50_fpn_sample1e-3_ms-2x_lvis-v0.5.py'
# EQL (Tan et al., CVPR 2020), OFFICIAL-CODE variant: Mask R-CNN R-50-FPN, LVIS v0.5, softmax cross-entropy
# baseline (mmdet CrossEntropyLoss, C + 1 logits), random sampler. The README's "MaskRCNN" rows
# (tztztztztz/eql.detectron2@29224acf4ea549c53264e6229da69868bd5470f3 projects/EQL/README.md:55-64, 86-95) have no
# config in the repository: this is the EQL config (projects/EQL/configs/eql_mask_rcnn_R_50_FPN_1x.yaml) with
# detectron2's standard softmax box predictor in place of EQL. Paths in the comments below are files of that commit.
# Recipe: multi-scale training 640-800, class-specific masks, 16 images/batch, lr 0.02, 90k iterations.
# Every value against the official one: configs/fidelity/eql.yaml.
custom_imports = dict(imports=['lt_repro.mm'], allow_failed_imports=False)  # source: lt_repro convention

model = dict(
    data_preprocessor=dict(mean=[103.530, 116.280, 123.675], std=[1.0, 1.0, 1.0], bgr_to_rgb=False),  # source: detectron2/config/defaults.py:38-42 PIXEL_MEAN (BGR), PIXEL_STD 1
    backbone=dict(
        depth=50,  # source: projects/EQL/configs/eql_mask_rcnn_R_50_FPN_1x.yaml:6 RESNETS.DEPTH 50
        norm_cfg=dict(requires_grad=False),  # source: detectron2/config/defaults.py:459 RESNETS.NORM FrozenBN
        style='caffe',  # source: detectron2/config/defaults.py:467 STRIDE_IN_1X1 True (stride in the 1x1 conv, mmdet's 'caffe' style)
        init_cfg=dict(type='Pretrained', checkpoint='open-mmlab://detectron2/resnet50_caffe')),  # source: eql_mask_rcnn_R_50_FPN_1x.yaml:3 detectron2://ImageNetPretrained/MSRA/R-50.pkl (mmdet's copy)
    neck=dict(init_cfg=dict(type='Kaiming', layer='Conv2d', a=1, mode='fan_in', nonlinearity='leaky_relu', distribution='uniform')),  # source: detectron2/modeling/backbone/fpn.py:77-78 c2_xavier_fill (kaiming_uniform_ a=1, bias 0)
    roi_head=dict(
        bbox_head=dict(
            num_classes=1230,  # source: eql_mask_rcnn_R_50_FPN_1x.yaml:8 NUM_CLASSES 1230
            init_cfg=[  # source: see the three entries
                dict(type='Normal', std=0.01, override=dict(name='fc_cls')),  # source: detectron2/modeling/roi_heads/fast_rcnn.py:383,386 (std 0.01, bias 0)
                dict(type='Normal', std=0.001, override=dict(name='fc_reg')),  # source: detectron2/modeling/roi_heads/fast_rcnn.py:384,386 (std 0.001, bias 0)
                dict(type='Kaiming', a=1, mode='fan_in', nonlinearity='leaky_relu', distribution='uniform', override=[dict(name='shared_fcs'), dict(name='cls_fcs'), dict(name='reg_fcs')]),  # source: detectron2/modeling/roi_heads/box_head.py:71 c2_xavier_fill
            ],
        ),
        mask_head=dict(num_classes=1230, class_agnostic=False)),  # source: detectron2/config/defaults.py:334 CLS_AGNOSTIC_MASK False (README: class-specific mask head)
    train_cfg=dict(rpn=dict(assigner=dict(min_pos_iou=0.0))),  # source: detectron2/modeling/proposal_generator/rpn.py:122-124 allow_low_quality_matches=True (a GT's best anchors are positive at any IoU)
    test_cfg=dict(rcnn=dict(score_thr=0.0001, max_per_img=300)))  # source: eql_mask_rcnn_R_50_FPN_1x.yaml:9 SCORE_THRESH_TEST 1e-4, :16 DETECTIONS_PER_IMAGE 300
# multi-scale training: inherited from mmdet lvis_v0.5_instance.py, scales (1333, 640..800) = Base-EQL-RCNN-FPN.yaml:43 MIN_SIZE_TRAIN

# random sampler: the plain LVIS v0.5 training set, NOT wrapped in ClassBalancedDataset
train_dataloader = dict(
    batch_size=2,  # source: projects/EQL/configs/Base-EQL-RCNN-FPN.yaml:38 IMS_PER_BATCH 16 = 8 GPUs x 2
    dataset=dict(
        _delete_=True,
        type='LVISV05Dataset',  # source: mmdet lvis_v0.5_instance.py
        data_root='data/lvis_v0.5/',  # source: mmdet lvis_v0.5_instance.py (set by the workflow)
        ann_file='annotations/lvis_v0.5_train.json',  # source: eql_mask_rcnn_R_50_FPN_1x.yaml:13 DATASETS.TRAIN lvis_v0.5_train
        data_prefix=dict(img='train2017/'),  # source: mmdet lvis_v0.5_instance.py
        filter_cfg=dict(filter_empty_gt=True, min_size=0),  # source: detectron2/config/defaults.py:120 FILTER_EMPTY_ANNOTATIONS (no image-size filter)
        pipeline={{_base_.train_pipeline}}))  # source: mmdet lvis_v0.5_instance.py (multi-scale, = Base-EQL-RCNN-FPN.yaml:43)

# --- schedule: detectron2 1x as in eql.detectron2 (Base-EQL-RCNN-FPN.yaml + detectron2 defaults) ---
train_cfg = dict(_delete_=True, type='IterBasedTrainLoop', max_iters=90000, val_interval=90000)  # source: Base-EQL-RCNN-FPN.yaml:41 MAX_ITER 90000; defaults.py:538 EVAL_PERIOD 0 (the final model is tested)
optim_wrapper = dict(optimizer=dict(lr=0.02, momentum=0.9, weight_decay=0.0001))  # source: Base-EQL-RCNN-FPN.yaml:39 BASE_LR 0.02; defaults.py:498 MOMENTUM 0.9, :500 WEIGHT_DECAY 1e-4
param_scheduler = [
    dict(type='LinearLR', start_factor=0.001, by_epoch=False, begin=0, end=1000),  # source: detectron2/config/defaults.py:509-511 WARMUP_FACTOR 1/1000, WARMUP_ITERS 1000, linear
    dict(type='MultiStepLR', by_epoch=False, begin=0, end=90000, milestones=[60000, 80000], gamma=0.1),  # source: Base-EQL-RCNN-FPN.yaml:40 STEPS (60000, 80000); defaults.py:505 GAMMA 0.1
]
# --- lt_repro runtime (no effect on the numbers) ---
default_hooks = dict(checkpoint=dict(type='CheckpointHook', by_epoch=False, interval=5000, max_keep_ckpts=2))  # source: our choice: a checkpoint every 5000 iterations
log_processor = dict(by_epoch=False)  # source: our choice: iteration-based logging
custom_hooks = [dict(type='NonFiniteLossHook'), dict(type='PreemptionHook')]  # source: our choice (lt_repro/mm/hooks.py)
