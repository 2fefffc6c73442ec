_base_ = './eql_mask-rcnn-r50-fpn_8xb2-90k_lvis-v05-rfs.py'
# EQL (Tan et al., CVPR 2020), OFFICIAL-CODE variant (tztztztztz/eql.detectron2): Mask R-CNN R-50-FPN,
# LVIS v0.5, Equalization Loss, random sampler.
# The published numbers that belong to it are the eql.detectron2 README table (higher than the paper:
# scale jitter, class-specific masks, Caffe weights), configs/published/eql.yaml entries with this exp.
# Recipe: multi-scale training 640-800, class-specific masks, 16 images/batch, lr 0.02, 90k iterations.
# The rfs config's recipe with the plain training set in place of repeat-factor sampling.

# random sampler: the plain LVIS v0.5 training set, NOT wrapped in ClassBalancedDataset
train_dataloader = dict(
    dataset=dict(
        _delete_=True,
        type='LVISV05Dataset',  # source: mmdet lvis_v0.5_instance.py
        data_root='data/lvis_v0.5/',  # source: mmdet lvis_v0.5_instance.py (set by the workflow)
        ann_file='annotations/lvis_v0.5_train.json',  # source: eql.detectron2 DATASETS.TRAIN lvis_v0.5_train
        data_prefix=dict(img='train2017/'),  # source: mmdet lvis_v0.5_instance.py
        filter_cfg=dict(filter_empty_gt=True, min_size=32),  # source: mmdet lvis_v0.5_instance.py
        pipeline={{_base_.train_pipeline}}))  # source: mmdet lvis_v0.5_instance.py (multi-scale)
