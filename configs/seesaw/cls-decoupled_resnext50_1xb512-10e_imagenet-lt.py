# Seesaw Loss, ImageNet-LT, decoupled pipeline (arXiv:2008.10032v4 sec. 4.4, Table 10 rows with 'Decouple'): "we load
# the pre-trained ResNeXt-50 with Cross-Entropy Loss (CE), and finetune the classifier with class-balanced sampler while
# fixing all other layers for 10 epochs", following cRT (Kang et al. 2020). The stage-1 run is therefore the CE
# end-to-end cell for every stage-2 loss (configs/seesaw/cls_grid.yaml: decoupled.cells, `from: x50_ce`); the
# workflow passes its best-validation checkpoint as `lt_repro.train --init-from`, as cRT loads the stage-1
# `state_dict_best` (run_networks.py load_model). The stage-2 loss is the cell's (CE = cRT, or Seesaw q = 1).
# Every other value is cRT's: facebookresearch/classifier-balancing@f162adef63fdf592d0b8a0f6e52bc481fc08785f
# config/ImageNet_LT/cls_crt.yaml (below "cls_crt.yaml"), run with run_networks.py.
_base_ = ["./cls_resnext50_1xb512-90e_imagenet-lt.py"]
model = dict(
    # source: cls_crt.yaml feat_model fix: true -> run_networks.py init_models sets requires_grad=False on the feature model
    freeze_backbone=True,
    # source: run_networks.py train() calls model.train() on every network: the frozen backbone's BatchNorm uses batch
    # statistics and updates its running averages on the class-balanced batches
    frozen_bn_stats=False,
)
# source: cls_crt.yaml classifier stage1_weights: false and run_networks.py load_model skips the DotProductClassifier:
# the classifier is a fresh nn.Linear; Seesaw's cumulative counts start from zero too (a CE stage 1 has none)
load_from_skip = ["head.", "loss_fn."]
train_dataloader = dict(
    batch_size=512,  # source: cls_crt.yaml batch_size 512 (one process; the grid sets 8 GPUs x 64)
    # source: cls_crt.yaml sampler {type: ClassAwareSampler, num_samples_cls: 4}; each epoch is int(N / 512) batches
    # (run_networks.py epoch_steps): LTClassAwareSampler's N draws (lt_repro/mm/samplers.py), the partial batch dropped
    sampler=dict(_delete_=True, type="LTClassAwareSampler", num_samples_cls=4),
    drop_last=True,  # source: run_networks.py epoch_steps = int(N / batch_size)
)
train_cfg = dict(max_epochs=10)  # source: paper sec. 4.4 "for 10 epochs"; cls_crt.yaml num_epochs 10
# source: cls_crt.yaml optim_params of both networks {lr: 0.2, momentum: 0.9, weight_decay: 0.0005} (only the classifier has gradients)
optim_wrapper = dict(optimizer=dict(type="SGD", lr=0.2, momentum=0.9, weight_decay=5e-4))
# source: cls_crt.yaml coslr: true, endlr: 0.0 over num_epochs 10 (run_networks.py init_optimizers, stepped at each epoch's start)
param_scheduler = [dict(type="EpochStartCosineAnnealingLR", by_epoch=True, T_max=10, eta_min=0.0)]
