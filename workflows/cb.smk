# Class-Balanced Loss (Cui et al. 2019): long-tailed CIFAR (Table 2) and ILSVRC / iNaturalist.

register_grid("cb", "configs/cb/grid.yaml", CLASSIFICATION_DATA)
register_grid("cb", "configs/cb/grid-imagenet-inat.yaml", CLASSIFICATION_DATA)


rule cb:
    input:
        paper_target("cb"),
