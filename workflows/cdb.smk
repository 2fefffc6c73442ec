# Class-wise Difficulty-Balanced loss (Sinha et al. 2020): long-tailed CIFAR-100 and ImageNet-LT.
# (The EGTEA video cells are not part of this file.)
PAPER_RUNS["cdb"] += register_classification_grid("cdb", "configs/cdb/grid.yaml")
