_base_ = './seesaw_mask-rcnn-r50-fpn_8xb2-24e_lvis-v1-random.py'
# Seesaw Loss (Wang et al., CVPR 2021), Mask R-CNN R-50-FPN, LVIS v1, repeat-factor sampling, threshold 1e-3: the recipe of
# seesaw_mask-rcnn-r50-fpn_8xb2-24e_lvis-v1-random.py with the training set wrapped in mmdet's ClassBalancedDataset(oversample_thr=1e-3), which is how
# mmdet 3.3.0 seesaw_loss/mask-rcnn_r50_fpn_seesaw-loss_sample1e-3-ms-2x_lvis-v1.py (the official implementation's config) differs from
# seesaw_loss/mask-rcnn_r50_fpn_seesaw-loss_random-ms-2x_lvis-v1.py.
train_dataloader = dict(
    dataset=dict(
        _delete_=True,
        type='ClassBalancedDataset',  # source: mmdet lvis_v1_instance.py (the data of the sample1e-3 config)
        oversample_thr=1e-3,  # source: mmdet lvis_v0.5_instance.py / lvis_v1_instance.py oversample_thr=1e-3
        dataset={{_base_.train_dataloader.dataset}}))  # source: the random config's LVIS v1 training set, unchanged
# the sample1e-3 config's evaluator is lvis_v1_instance.py's LVISMetric, written without format_only (default False)
val_evaluator = dict(_delete_=True, type='LVISMetric', ann_file='data/lvis_v1/annotations/lvis_v1_val.json', metric=['bbox', 'segm'], backend_args=None)  # source: mmdet lvis_v1_instance.py / lvis_v0.5_instance.py
test_evaluator = val_evaluator  # source: mmdet lvis_v1_instance.py
