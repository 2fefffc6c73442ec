# CDB loss on ImageNet-LT with ResNet-10 (Sinha et al., ACCV 2020).
# Recipe: official hitachi-rd-cv/CDB-loss ImageNet-LT/config/ImageNet_LT/feat_uniform_with_CDBloss.yaml
# (classifier-balancing code base): ResNet-10 from scratch, batch 512, 90 epochs, SGD lr 0.2 momentum 0.9
# wd 2e-4, cosine schedule to 0 (coslr: true, endlr: 0.0), loss CDBSoftmaxLoss(tau=1, normalize=True).
# The yaml's stage name says "tau1.5" while loss_params says tau: 1 — we follow loss_params.
# Training loop, checkpoint and test: ImageNet-LT/run_networks.py. Value by value: configs/fidelity/cdb.yaml.
_base_ = ["../_base_/classification_runtime.py"]

data_root = "data/imagenet"  # source: our choice; set by workflows/classification.smk
split_file = "data/splits/cdb/imagenetlt.split.json"  # source: our choice; set by the workflow

model = dict(
    type="LTImageClassifier",
    backbone=dict(type="ResNet10"),  # source: yaml feat_model ResNet10Feature.py (OLTR ResNet(BasicBlock, [1,1,1,1]))
    num_classes=1000,  # source: yaml num_classes 1000
    loss=dict(type="LTCDBLoss", num_classes=1000, tau=1.0, variant="imagenet"),  # source: yaml loss_params {tau: 1, normalize: True}
    prior_bias=False,  # source: DotProductClassifier.py (nn.Linear default init)
)
train_dataloader = dict(
    batch_size=512,  # source: yaml training_opt.batch_size 512 (one process; set 8×64 for 8 GPUs)
    num_workers=12,  # source: yaml num_workers 12
    sampler=dict(type="ResumableSampler", shuffle=True),  # source: yaml sampler null; dataloader.py shuffle=True
    # source: run_networks.py train(): epoch_steps = int(115846 / 512) = 226 batches, the partial last one skipped
    drop_last=True,
    collate_fn=dict(type="default_collate"),
    # RandomResizedCrop(224) + flip + ColorJitter(0.4, 0.4, 0.4, 0) (data/dataloader.py; the 'imagenet-lt' source)
    dataset=dict(type="LTSplitDataset", source="imagenet-lt", root=data_root, split_file=split_file, subset="train"),
)
val_dataloader = dict(
    batch_size=512,
    num_workers=12,
    sampler=dict(type="DefaultSampler", shuffle=False),
    collate_fn=dict(type="default_collate"),
    # ImageNet_LT_val.txt (20 per class): the difficulty is measured on it after every epoch
    dataset=dict(type="LTSplitDataset", source="imagenet-lt", root=data_root, split_file=split_file, subset="val"),
)
test_dataloader = dict(
    batch_size=512,
    num_workers=12,
    sampler=dict(type="DefaultSampler", shuffle=False),
    collate_fn=dict(type="default_collate"),
    dataset=dict(type="LTSplitDataset", source="imagenet-lt", root=data_root, split_file=split_file, subset="test"),
)
# many > 100, few < 20 training images: OLTR / classifier-balancing shot groups
val_evaluator = dict(type="LTClassificationMetric", train_counts="${train_counts}", many_above=100, few_below=20)
test_evaluator = val_evaluator

train_cfg = dict(type="ResumableEpochBasedTrainLoop", max_epochs=90, val_interval=1)  # source: yaml num_epochs 90
optim_wrapper = dict(
    optimizer=dict(type="SGD", lr=0.2, momentum=0.9, weight_decay=2e-4),  # source: yaml optim_params
    paramwise_cfg=dict(custom_keys={}),
)
# source: yaml coslr true, endlr 0.0; run_networks.py steps the scheduler at the start of each epoch, so
# epoch e (0-based) trains at the cosine's value for e + 1 (lt_repro/mm/schedulers.py)
param_scheduler = [dict(type="EpochStartCosineAnnealingLR", by_epoch=True, T_max=90, eta_min=0.0)]

# source: run_networks.py train() keeps the model best in validation top-1 (eval_acc_mic_top1 > best_acc) and
# tests it after training (reset_model(best_model_weights)); its metrics are metrics.json's best_val/...
default_hooks = dict(checkpoint=dict(save_best="top1_acc_pct", rule="greater"))
# source: run_networks.py eval(phase='val') sets class_difficulty = 1 − class-wise validation accuracy, init_criterions()
custom_hooks = [dict(type="CDBDifficultyHook")]
