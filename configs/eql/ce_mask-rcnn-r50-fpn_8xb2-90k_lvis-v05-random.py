_base_ = 'mmdet::lvis/mask-rcnn_r50_fpn_sample1e-3_ms-2x_lvis-v0.5.py'
# EQL (Tan et al., CVPR 2020), OFFICIAL-CODE variant (tztztztztz/eql.detectron2): Mask R-CNN R-50-FPN,
# LVIS v0.5, softmax cross-entropy baseline (mmdet CrossEntropyLoss, C + 1 logits), random sampler.
# The published numbers that belong to it are the eql.detectron2 README table (higher than the paper:
# scale jitter, class-specific masks, Caffe weights), configs/published/eql.yaml entries with this exp.
# Recipe: multi-scale training 640-800, class-specific masks, 16 images/batch, lr 0.02, 90k iterations.
custom_imports = dict(imports=['lt_repro.mm'], allow_failed_imports=False)  # source: lt_repro convention

model = dict(
    data_preprocessor=dict(mean=[103.530, 116.280, 123.675], std=[1.0, 1.0, 1.0], bgr_to_rgb=False),  # source: Caffe-style input of detectron2 MSRA weights (mmdet mask-rcnn_r50-caffe_fpn_1x_coco.py)
    backbone=dict(
        depth=50,  # source: eql.detectron2 RESNETS.DEPTH / README R50-FPN
        norm_cfg=dict(requires_grad=False),  # source: detectron2 frozen BN (mmdet caffe configs)
        style='caffe',  # source: eql.detectron2 README ("ImageNet pretrain models of caffe"), detectron2://ImageNetPretrained/MSRA/R-50.pkl
        init_cfg=dict(type='Pretrained', checkpoint='open-mmlab://detectron2/resnet50_caffe')),  # source: mmdet's copy of the MSRA weights (mask-rcnn_r50-caffe_fpn_1x_coco.py)
    roi_head=dict(
        bbox_head=dict(
            num_classes=1230,  # source: LVIS v0.5 categories (eql.detectron2 NUM_CLASSES 1230)
        ),
        mask_head=dict(num_classes=1230, class_agnostic=False)),  # source: eql.detectron2 README: class-specific mask head
    test_cfg=dict(rcnn=dict(score_thr=0.0001, max_per_img=300)))  # source: eql_resampling_mask_rcnn_R_50_FPN_1x.yaml SCORE_THRESH_TEST 1e-4, DETECTIONS_PER_IMAGE 300
# multi-scale training: inherited from mmdet lvis_v0.5_instance.py, scales (1333, 640..800) = eql.detectron2 MIN_SIZE_TRAIN (640, ..., 800)

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
        pipeline={{_base_.train_pipeline}}))  # source: mmdet lvis_v0.5_instance.py (multi-scale)

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
