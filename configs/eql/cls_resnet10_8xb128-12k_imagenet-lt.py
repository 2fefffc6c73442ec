# Softmax Equalization Loss (Tan et al., CVPR 2020) on ImageNet-LT with ResNet-10 (OLTR's backbone).
# Recipe: arXiv:2003.05176v2 sec. 6 "Implementation Details" (no official classification code exists).
# Runtime settings (scope, loops, hooks, environment) come from configs/_base_/classification_runtime.py; every
# recipe value is set here. Every value against the paper: configs/fidelity/eql.yaml.
_base_ = ["../_base_/classification_runtime.py"]
data_root = "data/imagenet"  # source: our choice; set by the workflow
split_file = "data/splits/eql/imagenetlt.split.json"  # source: our choice; set by the workflow

model = dict(
    type="LTImageClassifier",
    backbone=dict(type="ResNet10"),  # source: sec. 6 "ResNet-10 as our backbone like [30]" (OLTR models/ResNet10Feature.py), from scratch
    num_classes=1000,  # source: ImageNet-LT
    loss=dict(type="LTCrossEntropyLoss"),  # source: replaced per experiment by configs/eql/cls_grid.yaml
    prior_bias=False,  # source: softmax heads start at bias 0 (PyTorch nn.Linear init; the paper does not say)
)
amp = None  # source: full precision (the paper does not say)
train_dataloader = dict(
    batch_size=128,  # source: sec. 6 "total mini-batch size of 1024 with 16 GPUs" (16 x 64 run as 8 x 128)
    num_workers=8,  # source: our choice
    sampler=dict(type="ResumableSampler", shuffle=True),  # source: random sampling; lt_repro/mm/runner.py resumes mid-epoch
    collate_fn=dict(type="default_collate"),
    # source: sec. 6 "random-resize-crop, color jitter and horizontal flipping", "input size is 224 x 224": the
    # 'imagenet-lt' source's training transform (lt_repro/data/images.py, lt_repro/data/sources.py)
    dataset=dict(type="LTSplitDataset", source="imagenet-lt", root=data_root, split_file=split_file, subset="train"),
)
# source: no validation during training: sec. 6 reports the trained model on the ImageNet-LT test set only
val_dataloader = None
val_evaluator = None
val_cfg = None
test_dataloader = dict(
    batch_size=125,  # source: our choice (no effect on the numbers)
    num_workers=8,  # source: our choice
    sampler=dict(type="DefaultSampler", shuffle=False),  # source: every test image once
    collate_fn=dict(type="default_collate"),
    # source: sec. 6 "resized the images to 256 x 256 then cropped a single view of 224 x 224 at the center" (ours:
    # shorter side to 256, configs/fidelity/eql.yaml); the 50k-image ImageNet-LT test set
    dataset=dict(type="LTSplitDataset", source="imagenet-lt", root=data_root, split_file=split_file, subset="test"),
)
# source: Tables 9-10: top-1/top-5 accuracy and many (> 100) / medium / few (< 20 training images) shots, OLTR's groups
test_evaluator = dict(type="LTClassificationMetric", train_counts="${train_counts}", many_above=100, few_below=20)
# source: sec. 6 "trained for 12K iterations": 115,846 / 1024 = 114 iterations per epoch (the last one 134 images)
# -> 106 epochs = 12,084 iterations
train_cfg = dict(type="ResumableEpochBasedTrainLoop", max_epochs=106, val_interval=1)
optim_wrapper = dict(
    # source: sec. 6 "learning rate 0.4"; momentum 0.9 Nesterov and weight decay 1e-4 as the paper's CIFAR
    # setting (the ImageNet-LT paragraph does not restate them)
    optimizer=dict(type="SGD", lr=0.4, momentum=0.9, weight_decay=1e-4, nesterov=True),
    paramwise_cfg=dict(custom_keys={}),  # source: weight decay on every parameter (the paper names no exception)
)
param_scheduler = [
    dict(type="LinearLR", start_factor=0.25, by_epoch=False, begin=0, end=500),  # source: sec. 6 warm-up from 0.1 to 0.4 during the first 500 iterations
    dict(type="MultiStepLR", by_epoch=False, milestones=[3400, 6800, 10200], gamma=0.1),  # source: sec. 6 "divided by 10 at 3.4K, 6.8K, 10.2K"
]
