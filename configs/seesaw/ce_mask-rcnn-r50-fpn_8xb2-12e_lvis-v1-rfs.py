_base_ = 'mmdet::lvis/mask-rcnn_r50_fpn_sample1e-3_ms-1x_lvis-v1.py'
# Cross-entropy baseline of the Seesaw comparison (mmdet model zoo, configs/lvis): Mask R-CNN R-50-FPN,
# LVIS v1, softmax cross-entropy, repeat-factor sampling (threshold 1e-3), 1x = 12 epochs, multi-scale training.
# The model, data and schedule are mmdet's config unchanged; its published numbers are the mmdet
# configs/lvis README row R-50-FPN 1x (configs/published/seesaw.yaml, exp lvis-v1_mask-rcnn-r50-fpn-1x_ce_rfs).
# Test setting (inherited): score threshold 1e-4, at most 300 detections per image.
custom_imports = dict(imports=['lt_repro.mm'], allow_failed_imports=False)  # source: lt_repro convention

# --- lt_repro runtime (no effect on the numbers) ---
train_dataloader = dict(sampler=dict(type='ResumableSampler', shuffle=True))  # source: mmdet base (shuffle=True); resumable mid-epoch (lt_repro/mm/runner.py)
train_cfg = dict(type='ResumableEpochBasedTrainLoop', max_epochs=12)  # source: mmdet schedule_1x (12 epochs)
default_hooks = dict(checkpoint=dict(type='CheckpointHook', interval=1, max_keep_ckpts=2))  # source: our choice: keep the last 2 epochs
