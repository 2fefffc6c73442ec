# Softmax Equalization Loss (Tan et al., CVPR 2020) on ImageNet-LT with ResNet-10 (OLTR's backbone).
# Recipe: paper section 6 "Implementation Details". Differences: the paper's colour jitter is not in our
# ImageNet pipeline (lt_repro/data/images.py: RandomResizedCrop + flip; test resize 256, centre crop 224,
# as the paper); 16 GPUs × 64 run as 8 × 128 (same total batch).
_base_ = ["../cb/resnet_8xb128-90e_imagenet-inat.py"]
data_root = "data/imagenet"  # source: our choice; set by the workflow
model = dict(backbone=dict(_delete_=True, type="ResNet10"), num_classes=1000)  # source: sec. 6 "ResNet-10 as our backbone like [30]"
train_dataloader = dict(batch_size=128, dataset=dict(source="imagenet-lt"))  # source: sec. 6 "total mini-batch size of 1024"
test_dataloader = dict(dataset=dict(source="imagenet-lt"))
# source: sec. 6 "trained for 12K iterations": 115,846 / 1024 = 114 iterations per epoch → 106 epochs (12,084)
train_cfg = dict(max_epochs=106)
optim_wrapper = dict(
    _delete_=True,
    # source: sec. 6 "learning rate 0.4"; momentum 0.9 Nesterov and weight decay 1e-4 as the paper's CIFAR
    # setting (the ImageNet-LT paragraph does not restate them: our assumption)
    optimizer=dict(type="SGD", lr=0.4, momentum=0.9, weight_decay=1e-4, nesterov=True),
    paramwise_cfg=dict(custom_keys={}),
)
param_scheduler = [
    dict(type="LinearLR", start_factor=0.25, by_epoch=False, begin=0, end=500),  # source: sec. 6 warm-up 0.1 → 0.4 over 500 iterations
    dict(type="MultiStepLR", by_epoch=False, milestones=[3400, 6800, 10200], gamma=0.1),  # source: sec. 6 "divided by 10 at 3.4K, 6.8K, 10.2K"
]
