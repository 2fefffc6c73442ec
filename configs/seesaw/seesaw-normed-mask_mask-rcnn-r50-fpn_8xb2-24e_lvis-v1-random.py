_base_ = './seesaw_mask-rcnn-r50-fpn_8xb2-24e_lvis-v1-random.py'
# Seesaw Loss with the normalised mask predictor (paper sec. 3.3 / mmdet *seesaw-loss-normed-mask* config,
# which is exactly its parent config plus this line): Mask R-CNN R-50-FPN, LVIS v1, random sampler (no repeat-factor sampling; the dataset is NOT wrapped in ClassBalancedDataset).
model = dict(
    roi_head=dict(
        mask_head=dict(predictor_cfg=dict(type='NormedConv2d', tempearture=20))))  # source: mmdet seesaw_loss/mask-rcnn_r50_fpn_seesaw-loss-normed-mask_random-ms-2x_lvis-v1.py (tau = 20)
