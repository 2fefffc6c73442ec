# Softmax Equalization Loss (Tan et al., CVPR 2020) on CIFAR-100-LT (ρ = 200, the CB setting), ResNet-32.
# Recipe: paper section 6 "Implementation Details" (arXiv:2003.05176v2).
# Augmentation: pad-crop-flip + AutoAugment (CIFAR-10 policy, torchvision) + Cutout 16×16, train subset only
# (lt_repro/data/transforms.py AutoAugmentCutout). Differences: the 2 GPUs × 128 batch runs as 1 × 256.
_base_ = ["../cb/resnet32_1xb128-200e_cifar-lt.py"]
model = dict(num_classes=100)  # source: CIFAR-100-LT
train_dataloader = dict(
    batch_size=256,  # source: sec. 6 "total mini-batch size of 256"
    # source: sec. 6 (AutoAugment [Cubuk et al.] and Cutout [DeVries & Taylor]); policy CIFAR-10 and Cutout size 16
    # follow AutoAugment's official CIFAR code (augmentation_transforms.py cutout_numpy size=16) — EQL's own
    # CIFAR code: none in tztztztztz/eql.detectron2 or tztztztztz/eqlv2
    dataset=dict(source="cifar100", augment="autoaugment_cutout"),
)
test_dataloader = dict(dataset=dict(source="cifar100"))
# source: sec. 6 "trained for 12.8K iterations": 9,502 images / 256 = 38 iterations per epoch → 337 epochs (12,806)
train_cfg = dict(max_epochs=337)
optim_wrapper = dict(
    _delete_=True,
    # source: sec. 6 "Nesterov SGD with momentum 0.9 and weight decay 0.0001", "learning rate 0.2"
    optimizer=dict(type="SGD", lr=0.2, momentum=0.9, weight_decay=1e-4, nesterov=True),
    paramwise_cfg=dict(custom_keys={}),
)
param_scheduler = [
    # source: sec. 6 "increased gradually from 0.1 to 0.2 during the first 400 iterations"
    dict(type="LinearLR", start_factor=0.5, by_epoch=False, begin=0, end=400),
    # source: sec. 6 "decayed by a factor of 0.1 at 6.4K and 9.6K iteration"
    dict(type="MultiStepLR", by_epoch=False, milestones=[6400, 9600], gamma=0.1),
]
