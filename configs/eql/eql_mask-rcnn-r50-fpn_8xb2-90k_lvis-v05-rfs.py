_base_ = 'mmdet::lvis/mask-rcnn_r50_fpn_sample1e-3_ms-2x_lvis-v0.5.py'
# EQL (Tan et al., CVPR 2020), OFFICIAL-CODE variant: Mask R-CNN R-50-FPN, LVIS v0.5, Equalization Loss,
# repeat-factor sampling t = 5e-4 drawn as detectron2 draws it (stochastic rounding, lt_repro/mm/detection.py).
# Official code: tztztztztz/eql.detectron2@29224acf4ea549c53264e6229da69868bd5470f3. The paths in the
# comments below are files of that commit; detectron2/config/defaults.py holds the defaults its configs inherit.
# Its published numbers are the README table (projects/EQL/README.md:121-125: higher than the paper because of
# scale jitter, class-specific masks and Caffe weights), the entries of configs/published/eql.yaml with this exp.
# Recipe: multi-scale training 640-800, class-specific masks, 16 images/batch, lr 0.02, 90k iterations.
# Every value against the official one: configs/fidelity/eql.yaml.
custom_imports = dict(imports=['lt_repro.mm', 'lt_repro.mm.detection'], allow_failed_imports=False)  # source: lt_repro convention (+ the repeat-factor sampling parts)

model = dict(
    data_preprocessor=dict(mean=[103.530, 116.280, 123.675], std=[1.0, 1.0, 1.0], bgr_to_rgb=False),  # source: detectron2/config/defaults.py:38-42 PIXEL_MEAN (BGR), PIXEL_STD 1
    backbone=dict(
        depth=50,  # source: projects/EQL/configs/eql_resampling_mask_rcnn_R_50_FPN_1x.yaml:6 RESNETS.DEPTH 50
        norm_cfg=dict(requires_grad=False),  # source: detectron2/config/defaults.py:459 RESNETS.NORM FrozenBN
        style='caffe',  # source: detectron2/config/defaults.py:467 STRIDE_IN_1X1 True (stride in the 1x1 conv, mmdet's 'caffe' style)
        init_cfg=dict(type='Pretrained', checkpoint='open-mmlab://detectron2/resnet50_caffe')),  # source: eql_resampling_mask_rcnn_R_50_FPN_1x.yaml:3 detectron2://ImageNetPretrained/MSRA/R-50.pkl (mmdet's copy)
    neck=dict(init_cfg=dict(type='Kaiming', layer='Conv2d', a=1, mode='fan_in', nonlinearity='leaky_relu', distribution='uniform')),  # source: detectron2/modeling/backbone/fpn.py:77-78 c2_xavier_fill (kaiming_uniform_ a=1, bias 0)
    roi_head=dict(
        bbox_head=dict(
            num_classes=1230,  # source: eql_resampling_mask_rcnn_R_50_FPN_1x.yaml:8 NUM_CLASSES 1230
            loss_cls=dict(
                _delete_=True,
                type='LTEqualizationLoss',  # source: lt_repro/losses/eql.py, sigmoid EQL as projects/EQL/eql/fast_rcnn.py:101-117 eql_loss
                class_frequency='${lvis_image_frequency}',  # source: projects/EQL/eql/roi_heads.py:68 get_image_count_frequency (image_count / annotated training images), filled in by lt_repro.detect
                lambda_=0.00177,  # source: projects/EQL/configs/Base-EQL-RCNN-FPN.yaml:24 ROI_HEADS.LAMBDA
                use_image_level_sets=False,  # source: projects/EQL/eql/fast_rcnn.py:101-117 (no positive/negative-set exception)
                loss_weight=1.0),  # source: projects/EQL/eql/fast_rcnn.py:132-135 (unweighted)
            # C-way sigmoid classifier, no background column (the loss sets custom_cls_channels = C and scores =
            # sigmoid); fc_cls bias starts at -log((1 - 0.001) / 0.001) as official fast_rcnn.py
            init_cfg=[  # source: see the three entries
                dict(type='Normal', std=0.01, bias_prob=0.001, override=dict(name='fc_cls')),  # source: projects/EQL/eql/fast_rcnn.py:39,43-44; Base-EQL-RCNN-FPN.yaml:25 PRIOR_PROB 0.001
                dict(type='Normal', std=0.001, override=dict(name='fc_reg')),  # source: projects/EQL/eql/fast_rcnn.py:40-41
                dict(type='Kaiming', a=1, mode='fan_in', nonlinearity='leaky_relu', distribution='uniform', override=[dict(name='shared_fcs'), dict(name='cls_fcs'), dict(name='reg_fcs')]),  # source: detectron2/modeling/roi_heads/box_head.py:71 c2_xavier_fill (kaiming_uniform_ a=1, bias 0)
            ],
        ),
        mask_head=dict(num_classes=1230, class_agnostic=False)),  # source: detectron2/config/defaults.py:334 CLS_AGNOSTIC_MASK False (README: class-specific mask head)
    train_cfg=dict(rpn=dict(assigner=dict(min_pos_iou=0.0))),  # source: detectron2/modeling/proposal_generator/rpn.py:122-124 allow_low_quality_matches=True (a GT's best anchors are positive at any IoU)
    test_cfg=dict(rcnn=dict(score_thr=0.0001, max_per_img=300)))  # source: eql_resampling_mask_rcnn_R_50_FPN_1x.yaml:9 SCORE_THRESH_TEST 1e-4, :16 DETECTIONS_PER_IMAGE 300
# multi-scale training: inherited from mmdet lvis_v0.5_instance.py, scales (1333, 640..800) = Base-EQL-RCNN-FPN.yaml:43 MIN_SIZE_TRAIN

# repeat-factor sampling: the images once (LTRepeatFactorDataset) and a per-epoch stochastic rounding of their repeat factors
train_dataloader = dict(
    batch_size=2,  # source: projects/EQL/configs/Base-EQL-RCNN-FPN.yaml:38 IMS_PER_BATCH 16 = 8 GPUs x 2
    sampler=dict(_delete_=True, type='LTRepeatFactorSampler'),  # source: eql_resampling_mask_rcnn_R_50_FPN_1x.yaml:18 RepeatFactorTrainingSampler (detectron2/data/samplers/distributed_sampler.py)
    dataset=dict(
        type='LTRepeatFactorDataset',  # source: lt_repro/mm/detection.py (ClassBalancedDataset's factors, no ceil repetition)
        oversample_thr=0.0005,  # source: eql_resampling_mask_rcnn_R_50_FPN_1x.yaml:19 REPEAT_THRESHOLD 0.0005
        dataset=dict(filter_cfg=dict(filter_empty_gt=True, min_size=0))))  # source: detectron2/config/defaults.py:120 FILTER_EMPTY_ANNOTATIONS (no image-size filter)

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
