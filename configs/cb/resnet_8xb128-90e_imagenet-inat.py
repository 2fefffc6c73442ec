# Class-Balanced Loss (Cui et al., CVPR 2019) on ILSVRC-2012 and iNaturalist 2017/2018, ResNet-50/101/152
# trained from scratch at 224 px (the grid's cb-focal-320 rows set the dataset's image_size to 320).
# Recipe: official TPU scripts richardaecn/class-balanced-loss tpu/run_inat2018.sh (LR=0.4,
# TRAIN_BATCH_SIZE=1024, TRAIN_STEPS = 90 epochs, BETA=0.999, GAMMA=0.5) and the TPU ResNet reference's
# LR_SCHEDULE [(1.0, 5), (0.1, 30), (0.01, 60), (0.001, 80)] (warm-up from 0 over 5 epochs).
default_scope = "lt_repro"  # source: our choice (lt_repro.mm.registry: classification never imports mmdet.models)
custom_imports = dict(imports=["lt_repro.mm"], allow_failed_imports=False)

data_root = "data/inat2018"  # source: our choice; set by workflows/classification.smk
split_file = "data/splits/cb/inat2018.split.json"  # source: our choice; set by the workflow

model = dict(
    type="LTImageClassifier",
    backbone=dict(type="TorchvisionResNet", arch="resnet50"),  # source: paper sec. 5 (ResNet-50/101/152), set by the grid
    num_classes=8142,  # source: dataset, set by the grid
    loss=dict(type="LTCrossEntropyLoss"),  # source: replaced per experiment by configs/cb/grid-imagenet-inat.yaml
    prior_bias=False,  # source: paper sec. 4.3 (True for focal, set by the grid)
)
train_dataloader = dict(
    batch_size=128,  # source: run_inat2018.sh TRAIN_BATCH_SIZE=1024 = 8 GPUs × 128
    num_workers=8,  # source: our choice
    sampler=dict(type="ResumableSampler", shuffle=True),
    collate_fn=dict(type="default_collate"),
    # RandomResizedCrop(224) + flip, lt_repro/data/images.py
    dataset=dict(type="LTSplitDataset", source="inat2018", root=data_root, split_file=split_file, subset="train",
                 image_size=224),  # source: paper Table 3 'input 224×224' (320 in the grid's cb-focal-320 rows)
)
val_dataloader = None  # the paper reports on the official validation set, used as our test split
val_evaluator = None
val_cfg = None
test_dataloader = dict(
    batch_size=125,  # source: run_inat2018.sh EVAL_BATCH_SIZE=1000 over 8 GPUs
    num_workers=8,  # source: our choice
    sampler=dict(type="DefaultSampler", shuffle=False),
    collate_fn=dict(type="default_collate"),
    dataset=dict(type="LTSplitDataset", source="inat2018", root=data_root, split_file=split_file, subset="test",
                 image_size=224),  # source: as the training crop (run_inat2018.sh: one resolution setting)
)
test_evaluator = dict(type="LTClassificationMetric", train_counts="${train_counts}", many_above=100, few_below=20)  # source: OLTR groups (extras)

train_cfg = dict(type="ResumableEpochBasedTrainLoop", max_epochs=90, val_interval=1)  # source: run_inat2018.sh TRAIN_STEPS=38454 ≈ 90 epochs
test_cfg = dict(type="TestLoop")
optim_wrapper = dict(
    # source: run_inat2018.sh LR=0.4 for batch 1024; momentum 0.9 and weight decay 1e-4 are the TPU ResNet
    # reference defaults (not read in the CB copy of resnet_main.py)
    optimizer=dict(type="SGD", lr=0.4, momentum=0.9, weight_decay=1e-4),
    paramwise_cfg=dict(custom_keys={}),
)
param_scheduler = [
    dict(type="LinearLR", start_factor=1e-3, by_epoch=True, begin=0, end=5, convert_to_iter_based=True),  # source: LR_SCHEDULE warm-up 5 epochs
    dict(type="MultiStepLR", by_epoch=True, milestones=[30, 60, 80], gamma=0.1),  # source: LR_SCHEDULE ×0.1 at 30/60/80
]
default_hooks = dict(
    timer=dict(type="IterTimerHook"),
    logger=dict(type="LoggerHook", interval=100),
    param_scheduler=dict(type="ParamSchedulerHook"),
    checkpoint=dict(type="CheckpointHook", interval=1, max_keep_ckpts=2),  # source: our choice
    sampler_seed=dict(type="DistSamplerSeedHook"),
)
custom_hooks = [dict(type="NonFiniteLossHook"), dict(type="PreemptionHook")]
env_cfg = dict(cudnn_benchmark=True, dist_cfg=dict(backend="nccl"))  # source: our choice
log_level = "WARNING"
