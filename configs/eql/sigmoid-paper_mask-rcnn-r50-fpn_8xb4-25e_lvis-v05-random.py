_base_ = './ce-paper_mask-rcnn-r50-fpn_8xb4-25e_lvis-v05-random.py'
# EQL (Tan et al., CVPR 2020), PAPER variant: sigmoid cross-entropy baseline (Table 5 'Sigmoid Loss' = Table 2
# lambda 0: EQL's C-way head with no term dropped) on the recipe of ce-paper_mask-rcnn-r50-fpn_8xb4-25e_lvis-v05-random.py
# (arXiv:2003.05176v2 sec. 4.2: random sampler, single-scale training, class-agnostic masks, 32 images/batch, lr 0.04,
# 25 epochs, test score threshold 0); only the classifier differs. Every value against the paper: configs/fidelity/eql.yaml.
model = dict(
    roi_head=dict(
        bbox_head=dict(
            loss_cls=dict(
                _delete_=True,
                type='LTEqualizationLoss',  # source: lt_repro/losses/eql.py; at lambda = 0 it is sigmoid cross-entropy (paper sec. 3.1 eq. 3)
                class_frequency='${lvis_image_frequency}',  # source: paper sec. 3.2 f_j = images of class j / images; lt_repro.detect divides by the annotated training images (as the official code); unused at lambda = 0
                lambda_=0.0,  # source: paper Table 2 caption: "When lambda is 0, our equalization loss degenerates to sigmoid cross-entropy"
                use_image_level_sets=False,  # source: irrelevant at lambda = 0
                loss_weight=1.0),  # source: paper sec. 3.1 eq. 3 / sec. 3.2 eq. 6 (unweighted)
            # C-way sigmoid classifier, no background column (the loss sets custom_cls_channels = C and scores =
            # sigmoid); fc_cls bias starts at -log((1 - 0.001) / 0.001) as the official code (the paper does not say)
            init_cfg=[  # source: see the three entries
                dict(type='Normal', std=0.01, bias_prob=0.001, override=dict(name='fc_cls')),  # source: eql.detectron2 projects/EQL/eql/fast_rcnn.py:39,43-44 (prior 0.001)
                dict(type='Normal', std=0.001, override=dict(name='fc_reg')),  # source: mmdet BBoxHead default
                dict(type='Xavier', distribution='uniform', override=[dict(name='shared_fcs'), dict(name='cls_fcs'), dict(name='reg_fcs')]),  # source: mmdet ConvFCBBoxHead default
            ],
        )))
