_base_ = './eql_mask-rcnn-r50-fpn_8xb2-90k_lvis-v05-random.py'
# The recipe of eql_mask-rcnn-r50-fpn_8xb2-90k_lvis-v05-random.py with a ResNet-101 backbone.
model = dict(backbone=dict(depth=101, init_cfg=dict(type='Pretrained', checkpoint='open-mmlab://detectron2/resnet101_caffe')))  # source: the paper's R-101 rows; mmdet's r101 configs change exactly these two values
