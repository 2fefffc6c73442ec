# Seesaw Loss (Wang et al., CVPR 2021; arXiv:2008.10032v4 sec. 4.4, Tables 10-11) on ImageNet-LT, end-to-end:
# ResNeXt-50 (32x4d) from scratch, SGD momentum 0.9, lr 0.2, batch 512, cosine schedule, 90 epochs, "following [23]".
# [23] is Kang et al. 2020; its code (facebookresearch/classifier-balancing@f162adef63fdf592d0b8a0f6e52bc481fc08785f,
# config/ImageNet_LT/feat_uniform.yaml: the ResNeXt-50 instance-balanced recipe, below "feat_uniform.yaml") gives
# the values the paper leaves out: weight decay 5e-4, cosine to 0, the transforms, a validation pass per epoch.
# The loss is set per cell by configs/seesaw/cls_grid.yaml (cross-entropy, or Seesaw p = 0.8, q = 1).
# Value by value against the official code: configs/fidelity/seesaw.yaml.
_base_ = ["../_base_/classification_runtime.py"]

data_root = "data/imagenet"  # source: our choice; set by the workflow
split_file = "data/splits/seesaw/imagenetlt.split.json"  # source: our choice; set by the workflow

model = dict(
    type="LTImageClassifier",
    # source: paper sec. 4.4 "ResNeXt-50"; feat_uniform.yaml models/ResNext50Feature.py (32 groups x 4, from scratch)
    backbone=dict(type="TorchvisionResNet", arch="resnext50_32x4d"),
    num_classes=1000,  # source: feat_uniform.yaml num_classes 1000
    loss=dict(type="LTCrossEntropyLoss"),  # source: feat_uniform.yaml loss/SoftmaxLoss.py; set per cell by cls_grid.yaml
    prior_bias=False,  # source: feat_uniform.yaml models/DotProductClassifier.py (nn.Linear, default init)
)
train_dataloader = dict(
    batch_size=512,  # source: paper sec. 4.4 / feat_uniform.yaml batch_size 512 (one process; the grid sets 8 GPUs x 64)
    num_workers=12,  # source: feat_uniform.yaml num_workers 12
    # source: feat_uniform.yaml sampler null -> data/dataloader.py DataLoader(shuffle=True)
    sampler=dict(type="ResumableSampler", shuffle=True),
    # source: run_networks.py stops each epoch after int(N / batch_size) batches (epoch_steps): the last, partial batch is not used
    drop_last=True,
    collate_fn=dict(type="default_collate"),  # source: our choice
    # the 'imagenet-lt' source's train transform is classifier-balancing's data/dataloader.py: RandomResizedCrop(224),
    # flip, ColorJitter(0.4, 0.4, 0.4, 0); val/test: Resize(256), CenterCrop(224) (lt_repro/data/images.py)
    dataset=dict(type="LTSplitDataset", source="imagenet-lt", root=data_root, split_file=split_file, subset="train"),
)
val_dataloader = dict(
    batch_size=512,  # source: feat_uniform.yaml batch_size 512
    num_workers=12,  # source: feat_uniform.yaml num_workers 12
    sampler=dict(type="DefaultSampler", shuffle=False),  # source: data/dataloader.py (val: no sampler, shuffle=False)
    collate_fn=dict(type="default_collate"),  # source: our choice
    # ImageNet_LT_val.txt (20 images per class): model selection, as run_networks.py (best validation top-1)
    dataset=dict(type="LTSplitDataset", source="imagenet-lt", root=data_root, split_file=split_file, subset="val"),
)
test_dataloader = dict(
    batch_size=512,  # source: feat_uniform.yaml batch_size 512
    num_workers=12,  # source: feat_uniform.yaml num_workers 12
    sampler=dict(type="DefaultSampler", shuffle=False),  # source: data/dataloader.py (test: shuffle=False)
    collate_fn=dict(type="default_collate"),  # source: our choice
    # ImageNet_LT_test.txt (50 images per class): Table 10 is on the test set
    dataset=dict(type="LTSplitDataset", source="imagenet-lt", root=data_root, split_file=split_file, subset="test"),
)
# source: paper sec. 4.4 "Many Shot (> 100 images), Medium Shot (20~100 images) and Few Shot (< 20 images)"
val_evaluator = dict(type="LTClassificationMetric", train_counts="${train_counts}", many_above=100, few_below=20)
test_evaluator = val_evaluator

# source: paper sec. 4.4 "trained for 90 epochs"; run_networks.py validates after every epoch
train_cfg = dict(type="ResumableEpochBasedTrainLoop", max_epochs=90, val_interval=1)
# weight decay on every parameter, BatchNorm and biases included (run_networks.py init_models: one SGD group per network)
optim_wrapper = dict(
    # source: paper sec. 4.4 (SGD, momentum 0.9, lr 0.2); feat_uniform.yaml optim_params {lr: 0.2, momentum: 0.9, weight_decay: 0.0005}
    optimizer=dict(type="SGD", lr=0.2, momentum=0.9, weight_decay=5e-4),
)
# source: paper sec. 4.4 "cosine learning rate"; feat_uniform.yaml coslr: true, endlr: 0.0 (run_networks.py init_optimizers);
# run_networks.py steps the scheduler at the start of each epoch: epoch e (0-based) trains at the cosine's value for e + 1
param_scheduler = [dict(type="EpochStartCosineAnnealingLR", by_epoch=True, T_max=90, eta_min=0.0)]

# source: run_networks.py keeps the weights of the best validation top-1 (eval_acc_mic_top1, strictly greater) and
# tests them; lt_repro.train reports the last epoch and this best one (best_val/*); the decoupled stage starts from it
default_hooks = dict(checkpoint=dict(save_best="top1_acc_pct", rule="greater"))
