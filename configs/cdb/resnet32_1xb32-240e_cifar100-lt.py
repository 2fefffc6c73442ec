# Class-wise Difficulty-Balanced loss (Sinha et al., ACCV 2020), long-tailed CIFAR-100 with ResNet-32.
# Recipe: official hitachi-rd-cv/CDB-loss CIFAR-LT/cifar_train.py (argparse defaults and train()) and
# cifar_test.py (the test of the best-validation model). Value by value: configs/fidelity/cdb.yaml.
_base_ = ["../_base_/classification_runtime.py"]

data_root = "data/cifar"  # source: our choice; set by workflows/classification.smk
split_file = "data/splits/cdb/cifar100lt-r100.split.json"  # source: our choice; set by the workflow

model = dict(
    type="LTImageClassifier",
    backbone=dict(type="ResNet32", variant="idelbayev"),  # source: cifar_train.py resnet.resnet32() (models/resnet.py, Idelbayev's)
    num_classes=100,  # source: cifar_train.py --class_num 100
    loss=dict(type="LTCDBLoss", num_classes=100, tau="dynamic", variant="cifar"),  # source: cifar_train.py --tau dynamic; starts from ones(C) (plain CE)
    prior_bias=True,  # source: cifar_train.py: linear.bias = −log((1−π)/π), π = 1/C, i.e. −log(C−1)
)
# source: cifar_train.py img_normalize (train and validation); the test script normalises differently (below)
imagenet_norm = dict(mean=[0.485, 0.456, 0.406], std=[0.229, 0.224, 0.225])
train_dataloader = dict(
    batch_size=32,  # source: cifar_train.py --batch_size 32 (× n_gpus = 1)
    num_workers=2,  # source: our choice (official 8)
    sampler=dict(type="ResumableSampler", shuffle=True),  # source: cifar_train.py shuffle=True
    collate_fn=dict(type="default_collate"),
    # RandomCrop(32, padding=4) + RandomHorizontalFlip (cifar_train.py transform_train), black padding
    dataset=dict(type="LTSplitDataset", source="cifar100", root=data_root, split_file=split_file, subset="train",
                 **imagenet_norm),
)
val_dataloader = dict(
    batch_size=256,  # source: cifar_train.py valloader batch_size=256
    num_workers=2,
    sampler=dict(type="DefaultSampler", shuffle=False),
    collate_fn=dict(type="default_collate"),
    # 25 images per class held out from the training set (cifar_train.py val_samples_per_class = 25)
    dataset=dict(type="LTSplitDataset", source="cifar100", root=data_root, split_file=split_file, subset="val",
                 **imagenet_norm),
)
test_dataloader = dict(
    batch_size=256,  # source: cifar_test.py testloader batch_size=256
    num_workers=2,
    sampler=dict(type="DefaultSampler", shuffle=False),
    collate_fn=dict(type="default_collate"),
    # source: cifar_test.py transform_test: Normalize((0.4914, 0.4822, 0.4465), (0.2023, 0.1994, 0.2010)),
    # the CIFAR statistics, not the ImageNet ones the model was trained with; we evaluate as the official script
    dataset=dict(type="LTSplitDataset", source="cifar100", root=data_root, split_file=split_file, subset="test",
                 mean=[0.4914, 0.4822, 0.4465], std=[0.2023, 0.1994, 0.2010]),
)
val_evaluator = dict(type="LTClassificationMetric", train_counts="${train_counts}", many_above=100, few_below=20)  # source: OLTR groups (extras)
test_evaluator = val_evaluator

train_cfg = dict(type="ResumableEpochBasedTrainLoop", max_epochs=240, val_interval=1)  # source: --max_epochs 240, --validate_after_every 1
optim_wrapper = dict(
    optimizer=dict(type="SGD", lr=0.1, momentum=0.9, weight_decay=5e-4),  # source: cifar_train.py train(): SGD(lr=0.1, momentum=0.9), wd 5e-4
    paramwise_cfg=dict(custom_keys={"head.bias": dict(decay_mult=0.0)}),  # source: cifar_train.py: weight_decay 0 for 'module.linear.bias'
)
param_scheduler = [dict(type="MultiStepLR", by_epoch=True, milestones=[160, 210], gamma=0.01)]  # source: cifar_train.py MultiStepLR([160, 210], 0.01)

# source: cifar_train.py saves the model best in mean per-class validation accuracy
default_hooks = dict(checkpoint=dict(save_best="mean_class_acc_pct", rule="greater"))
# source: cifar_train.py rebuilds the loss with 1 − class-wise validation accuracy after every validation
custom_hooks = [dict(type="CDBDifficultyHook")]
