# Equalization Loss (Tan et al., CVPR 2020): softmax EQL on CIFAR-100-LT and ImageNet-LT here;
# the LVIS v0.5 Mask R-CNN cells are registered by workflows/detection.smk.
PAPER_RUNS["eql"] += register_classification_grid("eql", "configs/eql/cls_grid.yaml")
