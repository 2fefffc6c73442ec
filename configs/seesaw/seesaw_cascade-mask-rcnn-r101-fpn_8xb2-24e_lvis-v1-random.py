_base_ = 'mmdet::seesaw_loss/cascade-mask-rcnn_r101_fpn_seesaw-loss_random-ms-2x_lvis-v1.py'
# Seesaw Loss (Wang et al., CVPR 2021), Cascade Mask R-CNN R-101-FPN, LVIS v1, random sampler (no repeat-factor sampling; the dataset is NOT wrapped in ClassBalancedDataset).
# Base: mmdet 3.3.0 seesaw_loss/cascade-mask-rcnn_r101_fpn_seesaw-loss_random-ms-2x_lvis-v1.py (the official implementation's config; the paper's
# section 4.1 setting: 2x schedule = 24 epochs, 16 images/batch on 8 GPUs, lr 0.02 stepped at
# epochs 16 and 22, multi-scale training, p = 0.8, q = 2, normalised linear classifier, tau = 20).
# Only change to the model: mmdet's SeesawLoss -> lt_repro's LTSeesawLoss (lt_repro/losses/seesaw.py).
# Test setting (inherited, printed in record.json by lt_repro.detect): score threshold 1e-4 and at most
# 300 detections per image, as mmdet's configs; the paper (section 4.1) states a threshold of 1e-3.
custom_imports = dict(imports=['lt_repro.mm'], allow_failed_imports=False)  # source: lt_repro convention

model = dict(
    roi_head=dict(
        # the whole list is restated (mmengine replaces lists); identical to mmdet's but for the loss type
        bbox_head=[  # source: mmdet cascade seesaw config (3 stages)
        dict(  # stage 1; source: mmdet cascade seesaw config
            type='Shared2FCBBoxHead',  # source: mmdet cascade seesaw config
            in_channels=256,  # source: mmdet cascade seesaw config
            fc_out_channels=1024,  # source: mmdet cascade seesaw config
            roi_feat_size=7,  # source: mmdet cascade seesaw config
            num_classes=1203,  # source: LVIS v1 categories
            bbox_coder=dict(type='DeltaXYWHBBoxCoder', target_means=[0., 0., 0., 0.], target_stds=[0.1, 0.1, 0.2, 0.2]),  # source: mmdet cascade config
            reg_class_agnostic=True,  # source: mmdet cascade config
            cls_predictor_cfg=dict(type='NormedLinear', tempearture=20),  # source: paper sec. 3.3 (tau = 20)
            loss_cls=dict(type='LTSeesawLoss', p=0.8, q=2.0, num_classes=1203, loss_weight=1.0),  # source: paper sec. 4.1 / mmdet config
            loss_bbox=dict(type='SmoothL1Loss', beta=1.0, loss_weight=1.0)),  # source: mmdet cascade seesaw config
        dict(  # stage 2; source: mmdet cascade seesaw config
            type='Shared2FCBBoxHead',  # source: mmdet cascade seesaw config
            in_channels=256,  # source: mmdet cascade seesaw config
            fc_out_channels=1024,  # source: mmdet cascade seesaw config
            roi_feat_size=7,  # source: mmdet cascade seesaw config
            num_classes=1203,  # source: LVIS v1 categories
            bbox_coder=dict(type='DeltaXYWHBBoxCoder', target_means=[0., 0., 0., 0.], target_stds=[0.05, 0.05, 0.1, 0.1]),  # source: mmdet cascade config
            reg_class_agnostic=True,  # source: mmdet cascade config
            cls_predictor_cfg=dict(type='NormedLinear', tempearture=20),  # source: paper sec. 3.3 (tau = 20)
            loss_cls=dict(type='LTSeesawLoss', p=0.8, q=2.0, num_classes=1203, loss_weight=1.0),  # source: paper sec. 4.1 / mmdet config
            loss_bbox=dict(type='SmoothL1Loss', beta=1.0, loss_weight=1.0)),  # source: mmdet cascade seesaw config
        dict(  # stage 3; source: mmdet cascade seesaw config
            type='Shared2FCBBoxHead',  # source: mmdet cascade seesaw config
            in_channels=256,  # source: mmdet cascade seesaw config
            fc_out_channels=1024,  # source: mmdet cascade seesaw config
            roi_feat_size=7,  # source: mmdet cascade seesaw config
            num_classes=1203,  # source: LVIS v1 categories
            bbox_coder=dict(type='DeltaXYWHBBoxCoder', target_means=[0., 0., 0., 0.], target_stds=[0.033, 0.033, 0.067, 0.067]),  # source: mmdet cascade config
            reg_class_agnostic=True,  # source: mmdet cascade config
            cls_predictor_cfg=dict(type='NormedLinear', tempearture=20),  # source: paper sec. 3.3 (tau = 20)
            loss_cls=dict(type='LTSeesawLoss', p=0.8, q=2.0, num_classes=1203, loss_weight=1.0),  # source: paper sec. 4.1 / mmdet config
            loss_bbox=dict(type='SmoothL1Loss', beta=1.0, loss_weight=1.0)),  # source: mmdet cascade seesaw config
        ],
        mask_head=dict(num_classes=1203)),  # source: LVIS v1 categories
    test_cfg=dict(rcnn=dict(score_thr=0.0001, max_per_img=300)))  # source: mmdet seesaw config (paper sec. 4.1 says 1e-3)

# --- lt_repro runtime (no effect on the numbers) ---
# source: our choice: a seeded sampler/loop that can resume mid-epoch after preemption (lt_repro/mm/runner.py)
train_dataloader = dict(sampler=dict(type='ResumableSampler', shuffle=True))  # source: mmdet base (shuffle=True)
train_cfg = dict(type='ResumableEpochBasedTrainLoop', max_epochs=24, val_interval=24)  # source: mmdet schedule_2x (24 epochs), mmdet seesaw config (val_interval=24)
default_hooks = dict(checkpoint=dict(type='CheckpointHook', interval=1, max_keep_ckpts=2))  # source: our choice: keep the last 2 epochs
