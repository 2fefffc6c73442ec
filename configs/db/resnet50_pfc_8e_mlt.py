# Distribution-Balanced Loss (Wu et al., ECCV 2020) on COCO-MLT and VOC-MLT: ImageNet-pretrained ResNet-50, the
# 'pfc' neck and an fc head, trained 8 epochs on one GPU with class-aware sampling, tested on COCO 2017 val /
# VOC 2007 test by mAP (all, head, medium, tail classes).
# Recipe: wutong16/DistributionBalancedLoss configs/coco/LT_resnet50_pfc_DB.py and configs/voc/LT_resnet50_pfc_DB.py
# (commit 14460d0a, the configs unchanged since 2567764a; the two differ only in data, num_classes and the DB loss's
# mu / neg_scale, set by configs/db/grid.yaml). The repository README: "Distributed training is not supported", so
# one GPU. Value by value against the official code: configs/fidelity/db.yaml.
_base_ = ["../_base_/classification_runtime.py"]

data_root = "data/coco"  # source: our choice; set by workflows/classification.smk
split_file = "data/splits/db/coco-mlt.split.json"  # source: our choice; set by the workflow

model = dict(
    type="LTImageClassifier",
    # source: pretrained='torchvision://resnet50', backbone ResNet depth 50, frozen_stages=1; norm_eval=True is the
    # default of mllt/models/backbones/resnet.py (BatchNorm statistics frozen)
    backbone=dict(type="TorchvisionResNet", arch="resnet50", weights="IMAGENET1K_V1", frozen_stages=1, norm_eval=True),
    neck=dict(type="PFCNeck", in_channels=2048, out_channels=256, dropout=0.5),  # source: neck=dict(type='PFC', ...)
    num_classes=80,  # source: ClsHead num_classes=80 (COCO) / 20 (VOC), set by the grid
    head_init_std=0.01,  # source: mllt/models/heads/cls_head.py init_weights: normal(0, 0.01), bias 0
    multi_label=True,  # source: ClsHead loss_cls use_sigmoid=True (multi-label)
    loss=dict(type="LTSigmoidBCELoss"),  # source: replaced per experiment by configs/db/grid.yaml
)
train_dataloader = dict(
    batch_size=32,  # source: data.imgs_per_gpu=32
    num_workers=2,  # source: data.workers_per_gpu=2
    sampler=dict(type="MultiLabelClassAwareSampler"),  # source: data.sampler='ClassAware'
    drop_last=True,  # source: mllt/datasets/loader/build_loader.py: DataLoader(..., drop_last=True)
    collate_fn=dict(type="default_collate"),
    dataset=dict(type="LTSplitDataset", source="coco-mlt", root=data_root, split_file=split_file, subset="train",
                 image_size=224),  # source: img_size=224 (img_scale=(224, 224), resize_keep_ratio=False)
)
# source: mllt/apis/train.py _non_dist_train registers no evaluation hook (evaluation=dict(interval=5) is read only by
# _dist_train, which raises NotImplementedError): no validation during training
val_dataloader = None
val_evaluator = None
val_cfg = None
test_dataloader = dict(
    batch_size=32,  # source: our choice (tools/test.py: imgs_per_gpu=1; eval mode, scores do not depend on the batch)
    num_workers=2,  # source: data.workers_per_gpu=2
    sampler=dict(type="DefaultSampler", shuffle=False),
    collate_fn=dict(type="default_collate"),
    dataset=dict(type="LTSplitDataset", source="coco-mlt", root=data_root, split_file=split_file, subset="test",
                 image_size=224),  # source: data.test img_scale=(224, 224)
)
test_evaluator = dict(type="LTMultiLabelMetric", class_split="${class_split}")  # source: data.test.class_split

train_cfg = dict(type="ResumableEpochBasedTrainLoop", max_epochs=8, val_interval=1)  # source: total_epochs = 8
optim_wrapper = dict(
    optimizer=dict(type="SGD", lr=0.02, momentum=0.9, weight_decay=1e-4),  # source: optimizer
    clip_grad=dict(max_norm=35, norm_type=2),  # source: optimizer_config grad_clip
)
param_scheduler = [
    # source: lr_config warmup='linear', warmup_iters=500, warmup_ratio=1/3
    dict(type="LinearLR", start_factor=1.0 / 3, by_epoch=False, begin=0, end=500),
    dict(type="MultiStepLR", by_epoch=True, milestones=[5, 7], gamma=0.1),  # source: lr_config step=[5, 7]
]
