# Softmax Equalization Loss (Tan et al., CVPR 2020) on CIFAR-100-LT (ρ = 200, the CB setting), ResNet-32.
# Recipe: arXiv:2003.05176v2 sec. 6 "Implementation Details" (no official classification code exists).
# Runtime settings (scope, loops, hooks, environment) come from configs/_base_/classification_runtime.py; every
# recipe value is set here. Every value against the paper: configs/fidelity/eql.yaml.
_base_ = ["../_base_/classification_runtime.py"]
data_root = "data/cifar"  # source: our choice; set by workflows/classification.smk
split_file = "data/splits/eql/cifar100lt-r200.split.json"  # source: our choice; set by the workflow

model = dict(
    type="LTImageClassifier",
    backbone=dict(type="ResNet32", variant="cb"),  # source: sec. 6 "ResNet-32" (He et al. 2016); the network of Cui et al. 2019, whose CIFAR-LT setting sec. 6 follows (lt_repro/models/resnet_cifar.py)
    num_classes=100,  # source: CIFAR-100-LT
    loss=dict(type="LTCrossEntropyLoss"),  # source: replaced per experiment by configs/eql/cls_grid.yaml
    prior_bias=False,  # source: softmax heads start at bias 0 (PyTorch nn.Linear init; the paper does not say)
)
amp = None  # source: full precision (the paper does not say)
train_dataloader = dict(
    batch_size=256,  # source: sec. 6 "total mini-batch size of 256" (2 GPUs x 128 run as 1 x 256)
    num_workers=2,  # source: our choice
    sampler=dict(type="ResumableSampler", shuffle=True),  # source: random sampling; lt_repro/mm/runner.py resumes mid-epoch
    collate_fn=dict(type="default_collate"),
    # source: sec. 6 "first follow the same setting as [24, 18]" (pad 4, random crop 32, flip), "then use autoAugment
    # and Cutout": CIFAR-10 policy and 16 x 16 Cutout as AutoAugment's CIFAR code (lt_repro/data/transforms.py)
    dataset=dict(type="LTSplitDataset", source="cifar100", root=data_root, split_file=split_file, subset="train",
                 augment="autoaugment_cutout"),  # source: see the comment above
)
# source: no validation split: the paper reports the final model on the test set (Cui et al.'s CIFAR-LT setting)
val_dataloader = None
val_evaluator = None
val_cfg = None
test_dataloader = dict(
    batch_size=100,  # source: our choice (no effect on the numbers)
    num_workers=2,  # source: our choice
    sampler=dict(type="DefaultSampler", shuffle=False),  # source: every test image once
    collate_fn=dict(type="default_collate"),
    # source: sec. 6 "In testing, we simply use the origin 32 x 32 images" (the CIFAR-100 test set)
    dataset=dict(type="LTSplitDataset", source="cifar100", root=data_root, split_file=split_file, subset="test"),
)
# source: Table 7/8 report top-1 and top-5 accuracy on the test set (many > 100, few < 20: OLTR's groups, extras)
test_evaluator = dict(type="LTClassificationMetric", train_counts="${train_counts}", many_above=100, few_below=20)
# source: sec. 6 "trained for 12.8K iterations": 9,502 images / 256 = 38 iterations per epoch (the last one
# 30 images) -> 337 epochs = 12,806 iterations
train_cfg = dict(type="ResumableEpochBasedTrainLoop", max_epochs=337, val_interval=1)
optim_wrapper = dict(
    # source: sec. 6 "Nesterov SGD with momentum 0.9 and weight decay 0.0001", "learning rate 0.2"
    optimizer=dict(type="SGD", lr=0.2, momentum=0.9, weight_decay=1e-4, nesterov=True),
    paramwise_cfg=dict(custom_keys={}),  # source: weight decay on every parameter (the paper names no exception)
)
param_scheduler = [
    # source: sec. 6 "increased gradually from 0.1 to 0.2 during the first 400 iterations"
    dict(type="LinearLR", start_factor=0.5, by_epoch=False, begin=0, end=400),
    # source: sec. 6 "decayed by a factor of 0.1 at 6.4K and 9.6K iteration"
    dict(type="MultiStepLR", by_epoch=False, milestones=[6400, 9600], gamma=0.1),
]
