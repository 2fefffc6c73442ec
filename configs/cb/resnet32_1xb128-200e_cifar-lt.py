# Class-Balanced Loss (Cui et al., CVPR 2019), long-tailed CIFAR-10/100 with ResNet-32.
# Recipe: paper section 5.2 ("Implementation") and the official TensorFlow code,
# richardaecn/class-balanced-loss src/cifar_main.py (argparse defaults) + cifar_im_trainval_cb.sh.
# Data root, split file, num_classes and the loss are set per experiment by configs/cb/grid.yaml.
_base_ = ["../_base_/classification_runtime.py"]

data_root = "data/cifar"  # source: our choice; set by workflows/classification.smk
split_file = "data/cb/cifar10lt-r100.split.json"  # source: our choice; set by the workflow

model = dict(
    type="LTImageClassifier",
    # source: paper sec. 5.2 "ResNet-32"; cifar_main.py --num-layers 32 --resnet-version v1 (post-activation);
    # variant 'cb': model_base.py's average-pool shortcut and glorot_uniform convolutions
    backbone=dict(type="ResNet32", variant="cb"),
    num_classes=10,  # source: dataset (CIFAR-10 / CIFAR-100), set by the grid
    loss=dict(type="LTCrossEntropyLoss"),  # source: replaced per experiment by configs/cb/grid.yaml
    head_init="glorot_uniform",  # source: model_base.py _fully_connected: tf.layers.dense defaults (glorot_uniform, bias 0)
    prior_bias=False,  # source: paper sec. 5.2 / model_base.py _fully_connected: b = −log(C−1) for sigmoid/focal (grid)
)

train_dataloader = dict(
    batch_size=128,  # source: cifar_main.py --train-batch-size 128 (paper sec. 5.2)
    num_workers=2,  # source: our choice
    sampler=dict(type="ResumableSampler", shuffle=True),  # source: our choice (seeded, resumable)
    collate_fn=dict(type="default_collate"),
    # pad 4 + random crop 32 + flip on the train subset (Source 'cifar10'/'cifar100'; official src/cifar.py)
    dataset=dict(type="LTSplitDataset", source="cifar10", root=data_root, split_file=split_file, subset="train"),
)
# No validation split: the paper selects nothing on held-out data and reports the last model on the
# official test set (cifar_main.py evaluates on 'eval' = test_batch).
val_dataloader = None
val_evaluator = None
val_cfg = None
test_dataloader = dict(
    batch_size=100,  # source: cifar_main.py --eval-batch-size 100
    num_workers=2,  # source: our choice
    sampler=dict(type="DefaultSampler", shuffle=False),
    collate_fn=dict(type="default_collate"),
    dataset=dict(type="LTSplitDataset", source="cifar10", root=data_root, split_file=split_file, subset="test"),
)
# many > 100, few < 20 training images (source: OLTR's groups, Liu et al. 2019; reported as extras)
test_evaluator = dict(type="LTClassificationMetric", train_counts="${train_counts}", many_above=100, few_below=20)

train_cfg = dict(type="ResumableEpochBasedTrainLoop", max_epochs=200, val_interval=1)  # source: cifar_main.py --train-epochs 200

optim_wrapper = dict(
    # source: cifar_main.py --learning-rate 0.1 --momentum 0.9 --weight-decay 2e-4 (L2 on every
    # trainable variable, tf.nn.l2_loss = ½‖v‖², so torch weight_decay = 2e-4 is the same gradient)
    optimizer=dict(type="SGD", lr=0.1, momentum=0.9, weight_decay=2e-4),
    # source: cifar_main.py _tower_fn: sigmoid/focal exclude the last layer's bias from weight decay (set by the grid)
    paramwise_cfg=dict(custom_keys={}),
)
param_scheduler = [
    # source: cifar_main.py learning_rate_schedule (--learning-rate-schedule 5 160 180): lr · epoch / 5 from 0,
    # per step, for 5 epochs (LinearLR cannot start at exactly 0: its chained update divides by the start
    # factor; 1e-6 of the peak is 0 for all purposes)
    dict(type="LinearLR", start_factor=1e-6, by_epoch=True, begin=0, end=5, convert_to_iter_based=True),
    # source: cifar_im_trainval*.sh --learning-rate-multiplier 1 0.01 0.0001 → ×0.01 at 160 and at 180
    # (the balanced sets' cifar_trainval.sh keeps the default ×0.1: configs/cb/grid.yaml, imbalance 1)
    dict(type="MultiStepLR", by_epoch=True, milestones=[160, 180], gamma=0.01),
]
amp = None  # source: cifar_main.py trains in float32 (no mixed precision)
