# Class-Balanced Loss (Cui et al. 2019): long-tailed CIFAR (Table 2) and ILSVRC / iNaturalist.
PAPER_RUNS["cb"] += register_classification_grid("cb", "configs/cb/grid.yaml")
PAPER_RUNS["cb"] += register_classification_grid("cb", "configs/cb/grid-imagenet-inat.yaml")
