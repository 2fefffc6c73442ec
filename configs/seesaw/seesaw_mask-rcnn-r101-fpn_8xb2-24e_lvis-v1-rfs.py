_base_ = './seesaw_mask-rcnn-r50-fpn_8xb2-24e_lvis-v1-rfs.py'
# The recipe of seesaw_mask-rcnn-r50-fpn_8xb2-24e_lvis-v1-rfs.py with a ResNet-101 backbone.
model = dict(backbone=dict(depth=101, init_cfg=dict(type='Pretrained', checkpoint='torchvision://resnet101')))  # source: the paper's R-101 rows; mmdet's r101 configs change exactly these two values
