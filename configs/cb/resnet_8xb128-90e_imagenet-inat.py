# Class-Balanced Loss (Cui et al., CVPR 2019) on ILSVRC-2012 and iNaturalist 2017/2018, ResNet-50/101/152
# trained from scratch at 224 px (the grid's cb-focal-320 rows set the dataset's image_size to 320).
# Recipe: official TPU code richardaecn/class-balanced-loss tpu/run_{ILSVRC2012,inat2017,inat2018}.sh and
# tpu/models/official/resnet/resnet_{main,model}.py (CB focal); the softmax baseline, which that code no
# longer has, follows the TPU ResNet reference it was forked from (tensorflow/tpu@fce3b5c, same files).
# Every value against the official one: configs/fidelity/cb.yaml.
_base_ = ["../_base_/classification_runtime.py"]

data_root = "data/inat2018"  # source: our choice; set by workflows/classification.smk
split_file = "data/splits/cb/inat2018.split.json"  # source: our choice; set by the workflow

model = dict(
    type="LTImageClassifier",
    backbone=dict(
        type="TorchvisionResNet",
        arch="resnet50",  # source: paper sec. 5.4 / Table 3 (ResNet-50/101/152), set by the grid
        weights=None,  # source: paper sec. 5 "train all networks from scratch"
        zero_init_residual=True,  # source: resnet_model.py bottleneck_block: last batch_norm_relu init_zero=True
        conv_init="tf_variance_scaling",  # source: resnet_model.py conv2d_fixed_padding: tf.variance_scaling_initializer()
    ),
    num_classes=8142,  # source: dataset, set by the grid
    loss=dict(type="LTCrossEntropyLoss"),  # source: replaced per experiment by configs/cb/grid-imagenet-inat.yaml
    head_init_std=0.01,  # source: resnet_model.py final dense: random_normal_initializer(stddev=.01), bias 0
    prior_bias=False,  # source: resnet_model.py dense bias -log(C-1) (focal only, set by the grid)
)
train_dataloader = dict(
    batch_size=128,  # source: run_*.sh TRAIN_BATCH_SIZE=1024 = 8 GPUs × 128 (8 TPU cores × 128)
    num_workers=8,  # source: our choice
    sampler=dict(type="ResumableSampler", shuffle=True),
    collate_fn=dict(type="default_collate"),
    # the TPU ResNet preprocessing (random crop, bicubic resize, flip): the source's, lt_repro/data/images.py
    dataset=dict(type="LTSplitDataset", source="inat2018", root=data_root, split_file=split_file, subset="train",
                 image_size=224),  # source: paper Table 3 'input 224×224' (320 in the grid's cb-focal-320 rows)
)
val_dataloader = None  # the paper reports on the official validation set, used as our test split
val_evaluator = None
val_cfg = None
test_dataloader = dict(
    batch_size=125,  # source: run_*.sh EVAL_BATCH_SIZE=1000 over 8 GPUs (we evaluate every image, see the fidelity table)
    num_workers=8,  # source: our choice
    sampler=dict(type="DefaultSampler", shuffle=False),
    collate_fn=dict(type="default_collate"),
    dataset=dict(type="LTSplitDataset", source="inat2018", root=data_root, split_file=split_file, subset="test",
                 image_size=224),  # source: resnet_preprocessing.py IMAGE_SIZE, one setting for train and eval
)
test_evaluator = dict(type="LTClassificationMetric", train_counts="${train_counts}", many_above=100, few_below=20)  # source: OLTR groups (extras)

train_cfg = dict(type="ResumableEpochBasedTrainLoop", max_epochs=90, val_interval=1)  # source: run_*.sh TRAIN_STEPS = 90 epochs at batch 1024
optim_wrapper = dict(
    # lr: the softmax baseline's, base_learning_rate 0.1 per 256 images × 1024 / 256 (tensorflow/tpu
    # resnet_main.py flag default); CB focal gets 2× (ILSVRC) / 4× (iNat) from the grid (run_*.sh LR, paper sec. 5.2).
    # source: resnet_main.py MomentumOptimizer(momentum=0.9, use_nesterov=True), weight_decay 1e-4 (L2 ½‖v‖²)
    optimizer=dict(type="SGD", lr=0.4, momentum=0.9, nesterov=True, weight_decay=1e-4),
    # source: resnet_main.py: no weight decay on 'batch_normalization' variables (the grid's focal rows
    # also exempt the classifier bias, 'dense/bias')
    paramwise_cfg=dict(norm_decay_mult=0.0, custom_keys={}),
)
param_scheduler = [
    # source: resnet_main.py learning_rate_schedule: lr · epoch / 5 from 0, per step (LinearLR cannot
    # start at exactly 0: its chained update divides by the start factor; 1e-6 of the peak is 0 for all purposes)
    dict(type="LinearLR", start_factor=1e-6, by_epoch=True, begin=0, end=5, convert_to_iter_based=True),
    dict(type="MultiStepLR", by_epoch=True, milestones=[30, 60, 80], gamma=0.1),  # source: LR_SCHEDULE ×0.1 at 30/60/80
]
# source: resnet_main.py --precision default 'bfloat16' (bfloat16_scope; float32 variables, logits cast to
# float32): bf16 autocast through mmengine's AmpOptimWrapper (lt_repro.train), float32 weights and loss
amp = "bf16"
