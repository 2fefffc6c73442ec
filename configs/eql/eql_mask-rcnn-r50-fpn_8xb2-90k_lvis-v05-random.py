_base_ = './eql_mask-rcnn-r50-fpn_8xb2-90k_lvis-v05-rfs.py'
# EQL (Tan et al., CVPR 2020), OFFICIAL-CODE variant (tztztztztz/eql.detectron2@29224acf4ea549c53264e6229da69868bd5470f3):
# Mask R-CNN R-50-FPN, LVIS v0.5, Equalization Loss, random sampler: the rfs config's recipe with the plain
# training set, as projects/EQL/configs/eql_mask_rcnn_R_50_FPN_1x.yaml (no SAMPLER_TRAIN: detectron2's TrainingSampler).
# Its published numbers are the README table (projects/EQL/README.md), the entries of configs/published/eql.yaml with this exp.

train_dataloader = dict(
    sampler=dict(_delete_=True, type='DefaultSampler', shuffle=True),  # source: detectron2/config/defaults.py:115 SAMPLER_TRAIN TrainingSampler (shuffled, infinite)
    dataset=dict(
        _delete_=True,
        type='LVISV05Dataset',  # source: mmdet lvis_v0.5_instance.py
        data_root='data/lvis_v0.5/',  # source: mmdet lvis_v0.5_instance.py (set by the workflow)
        ann_file='annotations/lvis_v0.5_train.json',  # source: eql_mask_rcnn_R_50_FPN_1x.yaml:13 DATASETS.TRAIN lvis_v0.5_train
        data_prefix=dict(img='train2017/'),  # source: mmdet lvis_v0.5_instance.py
        filter_cfg=dict(filter_empty_gt=True, min_size=0),  # source: detectron2/config/defaults.py:120 FILTER_EMPTY_ANNOTATIONS (no image-size filter)
        pipeline={{_base_.train_pipeline}}))  # source: mmdet lvis_v0.5_instance.py (multi-scale, = Base-EQL-RCNN-FPN.yaml:43)
