_base_ = './eql-paper_mask-rcnn-r50-fpn_8xb4-25e_lvis-v05-random.py'
# The recipe of eql-paper_mask-rcnn-r50-fpn_8xb4-25e_lvis-v05-random.py with a ResNet-101 backbone (paper Table 1, R-101-FPN).
model = dict(backbone=dict(depth=101, init_cfg=dict(type='Pretrained', checkpoint='torchvision://resnet101')))  # source: paper Table 1 R-101-FPN rows; mmdet's r101 configs change exactly these two values
