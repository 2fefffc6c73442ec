_base_ = './seesaw_mask-rcnn-r50-fpn_8xb2-24e_lvis-v1-rfs.py'
# Seesaw Loss with the normalised mask predictor (paper sec. 3.3 / mmdet *seesaw-loss-normed-mask* config,
# which is exactly its parent config plus this line): Mask R-CNN R-50-FPN, LVIS v1, repeat-factor sampling, threshold 1e-3 (mmdet ClassBalancedDataset, oversample_thr=1e-3).
model = dict(
    roi_head=dict(
        mask_head=dict(predictor_cfg=dict(type='NormedConv2d', tempearture=20))))  # source: mmdet seesaw_loss/mask-rcnn_r50_fpn_seesaw-loss-normed-mask_sample1e-3-ms-2x_lvis-v1.py (tau = 20)
