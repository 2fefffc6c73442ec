_base_ = './eql_mask-rcnn-r50-fpn_8xb2-90k_lvis-v05-random.py'
# The recipe of eql_mask-rcnn-r50-fpn_8xb2-90k_lvis-v05-random.py with a ResNet-101 backbone: the README's R101-FPN rows
# (tztztztztz/eql.detectron2@29224acf4ea549c53264e6229da69868bd5470f3 projects/EQL/README.md:86-117); the repository
# ships no R-101 config, so this is its R-50 config with RESNETS.DEPTH 101 and detectron2's MSRA R-101 weights.
model = dict(backbone=dict(depth=101, init_cfg=dict(type='Pretrained', checkpoint='open-mmlab://detectron2/resnet101_caffe')))  # source: README R101-FPN rows; mmdet's r101 caffe configs change exactly these two values
