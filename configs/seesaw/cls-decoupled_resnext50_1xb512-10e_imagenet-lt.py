# Seesaw Loss (Wang et al., CVPR 2021), ImageNet-LT, decoupled variant (section 4.4, Tables 10–11):
# after the 90-epoch end-to-end run (configs/seesaw/cls_resnext50_1xb512-90e_imagenet-lt.py), the
# classifier alone is re-trained for 10 epochs with class-balanced sampling, the backbone frozen.
# The model is initialised from the LAST end-to-end checkpoint (epoch_90.pth, passed by the workflow as
# `lt_repro.train --init-from`): decoupling re-trains on the final representation, not on a val-selected one.
# Differences: cRT (Kang et al. 2020, classifier-balancing config/ImageNet_LT/stage_2_crt.yaml) re-initialises
# the classifier; we continue from the stage-1 classifier (our choice). The loss of each decoupled cell is
# the loss of its end-to-end cell (set by configs/seesaw/cls_grid.yaml).
_base_ = ["./cls_resnext50_1xb512-90e_imagenet-lt.py"]
model = dict(freeze_backbone=True)  # source: Seesaw sec. 4.4 "re-train the classifier" (backbone fixed, as in cRT)
train_dataloader = dict(
    # source: Seesaw sec. 4.4 "class-balanced sampling"; i.i.d. per-class-uniform draws, one epoch = dataset size
    # (our choice; cRT's ClassAwareSampler uses max class size × classes per epoch, see lt_repro/mm/samplers.py)
    sampler=dict(_delete_=True, type="ClassBalancedSampler"),
)
train_cfg = dict(max_epochs=10)  # source: Seesaw sec. 4.4 "10 epochs"
# source: cRT stage_2_crt.yaml (lr 0.2, batch 512, cosine to 0 over the 10 epochs); the Seesaw paper gives no
# stage-2 learning rate (our choice to follow cRT)
optim_wrapper = dict(optimizer=dict(lr=0.2))
param_scheduler = [dict(type="CosineAnnealingLR", by_epoch=True, T_max=10, eta_min=0.0)]  # source: cRT coslr
