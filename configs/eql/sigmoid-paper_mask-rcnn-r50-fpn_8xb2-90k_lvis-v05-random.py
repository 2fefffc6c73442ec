_base_ = 'mmdet::lvis/mask-rcnn_r50_fpn_sample1e-3_ms-2x_lvis-v0.5.py'
# EQL (Tan et al., CVPR 2020) sec. 4.2 comparison, PAPER variant: Mask R-CNN R-50-FPN, LVIS v0.5,
# sigmoid cross-entropy baseline (= EQL with lambda = 0: same C-way head, no term dropped), random sampler, single-scale training, class-agnostic masks.
# No published number belongs to these runs yet: the paper's tables are not in configs/published/eql.yaml
# (the README numbers there belong to the official-code configs). The schedule is the official
# code's 1x; the paper trains 25 epochs (lr 0.04, ÷10 at epochs 16 and 22; arXiv:2003.05176v2 sec. 4.2).
custom_imports = dict(imports=['lt_repro.mm'], allow_failed_imports=False)  # source: lt_repro convention

model = dict(
    backbone=dict(depth=50, init_cfg=dict(type='Pretrained', checkpoint='torchvision://resnet50')),  # source: our choice: torchvision ImageNet weights (the paper did not use the Caffe ones, eql.detectron2 README)
    roi_head=dict(
        bbox_head=dict(
            num_classes=1230,  # source: LVIS v0.5 categories
            loss_cls=dict(
                _delete_=True,
                type='LTEqualizationLoss',  # source: lt_repro/losses/eql.py (sigmoid EQL; official fast_rcnn.py eql_loss)
                class_frequency='${lvis_image_frequency}',  # source: paper sec. 3 / official get_image_count_frequency (eql.detectron2 lvis_v0_5_categories.py): image_count / annotated training images, filled in by lt_repro.detect from the train annotations
                lambda_=0.0,  # source: paper sec. 4.2 sigmoid baseline: lambda = 0 drops no term, i.e. plain sigmoid BCE
                use_image_level_sets=False,  # source: irrelevant at lambda = 0
                loss_weight=1.0),  # source: official fast_rcnn.py (unweighted)
            # C-way sigmoid classifier, no background column (the loss sets custom_cls_channels = C and scores =
            # sigmoid); fc_cls bias starts at -log((1 - 0.001) / 0.001) as official fast_rcnn.py
            init_cfg=[  # source: see the three entries
                dict(type='Normal', std=0.01, bias_prob=0.001, override=dict(name='fc_cls')),  # source: official fast_rcnn.py prior 0.001; mmdet std 0.01
                dict(type='Normal', std=0.001, override=dict(name='fc_reg')),  # source: mmdet BBoxHead default
                dict(type='Xavier', distribution='uniform', override=[dict(name='shared_fcs'), dict(name='cls_fcs'), dict(name='reg_fcs')]),  # source: mmdet ConvFCBBoxHead default
            ],
        ),
        mask_head=dict(num_classes=1230, class_agnostic=True)),  # source: eql.detectron2 README: the paper used a class-agnostic mask head
    test_cfg=dict(rcnn=dict(score_thr=0.0001, max_per_img=300)))  # source: LVIS protocol (300 detections, threshold 1e-4), as mmdet's lvis configs
# single-scale training (the eql.detectron2 README lists scale jitter as a difference from the paper)
train_pipeline = [
    dict(type='LoadImageFromFile', backend_args=None),  # source: mmdet lvis_v0.5_instance.py
    dict(type='LoadAnnotations', with_bbox=True, with_mask=True),  # source: mmdet lvis_v0.5_instance.py
    dict(type='Resize', scale=(1333, 800), keep_ratio=True),  # source: shorter side 800, longer <= 1333, no scale jitter (README)
    dict(type='RandomFlip', prob=0.5),  # source: horizontal flip only
    dict(type='PackDetInputs'),  # source: mmdet lvis_v0.5_instance.py
]

# random sampler: the plain LVIS v0.5 training set, NOT wrapped in ClassBalancedDataset
train_dataloader = dict(
    batch_size=2,  # source: eql.detectron2 Base-EQL-RCNN-FPN.yaml IMS_PER_BATCH 16 = 8 GPUs x 2
    dataset=dict(
        _delete_=True,
        type='LVISV05Dataset',  # source: mmdet lvis_v0.5_instance.py
        data_root='data/lvis_v0.5/',  # source: mmdet lvis_v0.5_instance.py (set by the workflow)
        ann_file='annotations/lvis_v0.5_train.json',  # source: eql.detectron2 DATASETS.TRAIN lvis_v0.5_train
        data_prefix=dict(img='train2017/'),  # source: mmdet lvis_v0.5_instance.py
        filter_cfg=dict(filter_empty_gt=True, min_size=32),  # source: mmdet lvis_v0.5_instance.py
        pipeline=train_pipeline))  # source: single-scale pipeline above

# --- schedule: detectron2 1x as in eql.detectron2 (Base-EQL-RCNN-FPN.yaml + detectron2 defaults) ---
train_cfg = dict(_delete_=True, type='IterBasedTrainLoop', max_iters=90000, val_interval=90000)  # source: Base-EQL-RCNN-FPN.yaml MAX_ITER 90000 (no intermediate eval)
optim_wrapper = dict(optimizer=dict(lr=0.02, momentum=0.9, weight_decay=0.0001))  # source: Base-EQL-RCNN-FPN.yaml BASE_LR 0.02; detectron2 defaults MOMENTUM 0.9, WEIGHT_DECAY 1e-4
param_scheduler = [
    dict(type='LinearLR', start_factor=0.001, by_epoch=False, begin=0, end=1000),  # source: detectron2 defaults WARMUP_FACTOR 1/1000, WARMUP_ITERS 1000
    dict(type='MultiStepLR', by_epoch=False, begin=0, end=90000, milestones=[60000, 80000], gamma=0.1),  # source: Base-EQL-RCNN-FPN.yaml STEPS (60000, 80000); detectron2 GAMMA 0.1
]
# --- lt_repro runtime (no effect on the numbers) ---
default_hooks = dict(checkpoint=dict(type='CheckpointHook', by_epoch=False, interval=5000, max_keep_ckpts=2))  # source: our choice: a checkpoint every 5000 iterations
log_processor = dict(by_epoch=False)  # source: our choice: iteration-based logging
custom_hooks = [dict(type='NonFiniteLossHook'), dict(type='PreemptionHook')]  # source: our choice (lt_repro/mm/hooks.py)
