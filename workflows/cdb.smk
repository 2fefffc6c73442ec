# Class-wise Difficulty-Balanced loss (Sinha et al. 2020): long-tailed CIFAR-100 and ImageNet-LT.
# (The EGTEA video cells are not part of this file.)

register_grid("cdb", "configs/cdb/grid.yaml", CLASSIFICATION_DATA)


rule cdb:
    input:
        paper_target("cdb"),
