# CDB loss on EGTEA Gaze+ verb recognition (19 verbs) with a Kinetics-pretrained 3D ResNeXt-101 (Sinha et al.,
# ACCV 2020). Recipe: the official hitachi-rd-cv/CDB-loss@82b0119e189a50beb3ae581d401dd8585739c112 EGTEA/
# (EGTEA_train.py, EGTEA_test.py, data/EGTEA.py, models/resnext.py; cited below as hitachi-rd-cv/CDB-loss@82b0119).
# The loss is the README's command, CDB-CE with tau 1.5; configs/cdb/grid-egtea.yaml adds the other losses.
# Value by value: configs/fidelity/cdb.yaml (rows egtea.*).
default_scope = "lt_repro"  # source: our choice (lt_repro.mm.registry: classification never imports mmdet.models)
custom_imports = dict(imports=["lt_repro.mm", "lt_repro.mm.video"], allow_failed_imports=False)  # source: our choice

data_root = "data/egtea"  # source: our choice; set by workflows/cdb.smk (lt_repro/data/egtea.py: the layout)
split_file = "data/splits/cdb/egtea.split.json"  # source: our choice; set by the workflow

model = dict(
    type="LTImageClassifier",
    # source: hitachi-rd-cv/CDB-loss@82b0119:EGTEA/EGTEA_train.py:178 resnext.resnet101(shortcut_type='B',
    # cardinality=32, sample_size=224, sample_duration=args.frames_per_clip = 10), loaded from
    # ./pretrained_weights/resnext-101-kinetics.pth (EGTEA_train.py:170, :181); the path is set by workflows/cdb.smk
    backbone=dict(type="ResNeXt3D", depth=101, cardinality=32, sample_size=224, sample_duration=10,
                  pretrained="data/egtea/resnext-101-kinetics.pth"),
    num_classes=19,  # source: hitachi-rd-cv/CDB-loss@82b0119:EGTEA/EGTEA_train.py:174 (19 verb classes)
    # source: hitachi-rd-cv/CDB-loss@82b0119:README.md:96 --loss_type CDB-CE --tau 1.5; EGTEA/losses/cdb_loss.py
    # (the CIFAR-LT file: variant 'cifar'); EGTEA_train.py:59 starts from class_difficulty = ones (plain CE)
    loss=dict(type="LTCDBLoss", num_classes=19, tau=1.5, variant="cifar"),
    # source: hitachi-rd-cv/CDB-loss@82b0119:EGTEA/EGTEA_train.py:182 fc = nn.Linear(2048, 19), default init
    prior_bias=False,
)
# source: hitachi-rd-cv/CDB-loss@82b0119:EGTEA/EGTEA_train.py:169 --frames_per_clip 10, :191-192 transforms;
# data/EGTEA.py:48-57 segments and frames (lt_repro/data/clips.py)
clip = dict(segments=10, crop_size=480, size=224)
train_dataloader = dict(
    batch_size=8,  # source: hitachi-rd-cv/CDB-loss@82b0119:EGTEA/EGTEA_train.py:168 --batch_size 8 per GPU (x 2 GPUs)
    num_workers=8,  # source: hitachi-rd-cv/CDB-loss@82b0119:EGTEA/EGTEA_train.py:195 num_workers=8
    # source: hitachi-rd-cv/CDB-loss@82b0119:EGTEA/EGTEA_train.py:195 shuffle=True
    sampler=dict(type="ResumableSampler", shuffle=True),
    collate_fn=dict(type="default_collate"),  # source: our choice (torch's default collate, as DataLoader)
    # source: hitachi-rd-cv/CDB-loss@82b0119:EGTEA/EGTEA_train.py:191 RandomCrop 480, RandomRotate(10), flip p=0.5,
    # resize 224; data/EGTEA.py:53 one random frame per segment
    dataset=dict(type="LTVideoClipDataset", source="egtea", root=data_root, split_file=split_file, subset="train",
                 rotate_degrees=10.0, flip_prob=0.5, sampling="random", **clip),
)
val_dataloader = dict(
    batch_size=64,  # source: hitachi-rd-cv/CDB-loss@82b0119:EGTEA/EGTEA_train.py:196 batch_size=128 (64 per GPU x 2)
    num_workers=8,  # source: hitachi-rd-cv/CDB-loss@82b0119:EGTEA/EGTEA_train.py:196
    # source: hitachi-rd-cv/CDB-loss@82b0119:EGTEA/EGTEA_train.py:196 shuffle=False
    sampler=dict(type="DefaultSampler", shuffle=False),
    collate_fn=dict(type="default_collate"),  # source: our choice
    # source: hitachi-rd-cv/CDB-loss@82b0119:EGTEA/EGTEA_train.py:192-194 test transforms (CenterCrop 480, resize
    # 224); createEGTEA without is_training keeps its default True: a random frame per segment (data/EGTEA.py:21, :52)
    dataset=dict(type="LTVideoClipDataset", source="egtea", root=data_root, split_file=split_file, subset="val",
                 sampling="random", **clip),
)
test_dataloader = dict(
    batch_size=64,  # source: hitachi-rd-cv/CDB-loss@82b0119:EGTEA/EGTEA_test.py:103 batch_size=128 (64 per GPU x 2)
    num_workers=8,  # source: hitachi-rd-cv/CDB-loss@82b0119:EGTEA/EGTEA_test.py:103
    # source: hitachi-rd-cv/CDB-loss@82b0119:EGTEA/EGTEA_test.py:103 shuffle=False
    sampler=dict(type="DefaultSampler", shuffle=False),
    collate_fn=dict(type="default_collate"),  # source: our choice
    # source: hitachi-rd-cv/CDB-loss@82b0119:EGTEA/EGTEA_test.py:101-102, the same transforms and sampling as val
    dataset=dict(type="LTVideoClipDataset", source="egtea", root=data_root, split_file=split_file, subset="test",
                 sampling="random", **clip),
)
# source: hitachi-rd-cv/CDB-loss@82b0119:EGTEA/EGTEA_test.py:48-74 (majority: count > 600 training clips, :65)
val_evaluator = dict(type="LTPrecisionRecallMetric", train_counts="${train_counts}", majority_above=600)
test_evaluator = val_evaluator  # source: hitachi-rd-cv/CDB-loss@82b0119:EGTEA/EGTEA_train.py:111-150 (the same sums)

# source: hitachi-rd-cv/CDB-loss@82b0119:EGTEA/EGTEA_train.py:167 --max_epochs 100, :164 --validate_after_every 1
train_cfg = dict(type="ResumableEpochBasedTrainLoop", max_epochs=100, val_interval=1)
val_cfg = dict(type="ValLoop")  # source: our choice (mmengine's loop)
test_cfg = dict(type="TestLoop")  # source: our choice (mmengine's loop)
optim_wrapper = dict(
    # source: hitachi-rd-cv/CDB-loss@82b0119:EGTEA/EGTEA_train.py:41 SGD(lr=0.001, weight_decay=0.0005), no momentum
    optimizer=dict(type="SGD", lr=0.001, momentum=0.0, weight_decay=5e-4),
    paramwise_cfg=dict(custom_keys={}),  # source: hitachi-rd-cv/CDB-loss@82b0119:EGTEA/EGTEA_train.py:41 one group
)
# source: hitachi-rd-cv/CDB-loss@82b0119:EGTEA/EGTEA_train.py:42 StepLR(step_size=0.6 * 100 = 60, gamma=0.1),
# stepped after every epoch (:99)
param_scheduler = [dict(type="StepLR", by_epoch=True, step_size=60, gamma=0.1)]

default_hooks = dict(
    timer=dict(type="IterTimerHook"),  # source: our choice
    logger=dict(type="LoggerHook", interval=50),  # source: hitachi-rd-cv/CDB-loss@82b0119:EGTEA/EGTEA_train.py:96
    param_scheduler=dict(type="ParamSchedulerHook"),  # source: our choice
    # source: hitachi-rd-cv/CDB-loss@82b0119:EGTEA/EGTEA_train.py:107-109 keeps the model best in validation top-1
    # (top_1 > best_top_1); EGTEA_test.py:81 tests best_model.pth: metrics.json's best_val/...
    checkpoint=dict(type="CheckpointHook", interval=1, max_keep_ckpts=2, save_best="top1_acc_pct", rule="greater"),
    sampler_seed=dict(type="DistSamplerSeedHook"),  # source: our choice
)
# source: hitachi-rd-cv/CDB-loss@82b0119:EGTEA/EGTEA_train.py:105-106 rebuilds CDB_loss from 1 − val class
# accuracy after every validation
custom_hooks = [dict(type="NonFiniteLossHook"), dict(type="PreemptionHook"), dict(type="CDBDifficultyHook")]
env_cfg = dict(cudnn_benchmark=True, dist_cfg=dict(backend="nccl"))  # source: our choice
# source: hitachi-rd-cv/CDB-loss@82b0119:EGTEA/EGTEA_train.py:179 nn.DataParallel copies GPU 0's parameters and
# buffers to the other GPU at every forward, so only GPU 0's BatchNorm running statistics persist; DDP with
# rank 0's buffers broadcast before every forward keeps the same statistics (mmengine's default does not)
model_wrapper_cfg = dict(type="MMDistributedDataParallel", broadcast_buffers=True)
log_level = "WARNING"  # source: our choice
